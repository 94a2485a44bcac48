"""Syndication tests reuse the REST fixtures: content builders, role tokens."""

from tests.rest.conftest import content, count_statements, tokens

__all__ = ["content", "count_statements", "tokens"]
