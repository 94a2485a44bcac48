"""The schema's object types, one module per resource, each built from a service row."""
