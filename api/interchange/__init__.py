"""NDJSON import and export: Colophon's interchange format (docs/interchange.md)."""
