"""Alembic migrations, shipped inside the package so `colophon migrate` works anywhere."""
