"""Reference data and rules that every stage reads: administrative units, the personal ID number."""
