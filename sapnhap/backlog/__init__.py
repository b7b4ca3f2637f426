"""The procedure backlog a new commune inherits from its former units: dossiers received and not yet
settled, their appointment dates in working days, overdue at the cut-over and today (issue 15)."""
