"""Intake: reading raw exports (read), typing their values (parse), the canonical tables and
header aliases (schema) and reference data (reference: provinces, cities, industries)."""
