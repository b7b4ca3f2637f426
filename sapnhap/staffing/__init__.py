"""The new commune's staffing picture: headcount against the quota, positions, retirements (issue 15)."""
