"""Syndication tests reuse the REST fixtures: content builders, role tokens."""

from tests.rest.conftest import content, tokens

__all__ = ["content", "tokens"]
