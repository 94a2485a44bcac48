"""Demo data: a seeded generator of NDJSON interchange files that ends with the seed article."""
