"""Colophon: a headless content API for publishers of articles."""
