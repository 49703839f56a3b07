"""Intake: reading raw exports (read), typing their values (parse) and the canonical tables
and columns they are mapped onto (schema)."""
