"""Record linkage across the former units of a new unit: Splink model, persons and golden records."""
