"""Intake of a former unit's hand-over: fixity, type from content, archive, duplicates, quarantine."""
