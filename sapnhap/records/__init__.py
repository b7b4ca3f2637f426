"""Records of a former unit: fields extracted, normalised, validated by rules and routed to their new unit."""
