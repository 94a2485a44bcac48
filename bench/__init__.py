"""Colophon's own benchmarks. Each module is runnable: `python -m bench.<name>`."""
