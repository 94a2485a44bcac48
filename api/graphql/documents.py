"""Parsed and validated documents, kept per document text: a client sends the same few
documents again and again, and parsing and validating one costs more than running it.

strawberry's `ParserCache` and `ValidationCache` do the keeping (bounded LRU caches shared by
every request). The limits still hold: the token limit is a parse option, part of the parse
cache's key, and the depth and alias limits are validation rules, part of the validation
cache's key (`limits.py` builds them once so that key repeats).
"""

from collections.abc import Iterator
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache

# Distinct documents kept: the persisted ones and the few each client sends, with room to
# spare; an LRU, so a client sending new texts forever evicts only its own.
DOCUMENTS_KEPT = 256


class ParsedDocuments(ParserCache):
    """`ParserCache`, except for a document that does not parse: `ParserCache` would raise
    its error before the other extensions' parse hooks are entered, and it would reach the
    client without its code. Such a document is left to strawberry's own parse."""

    def __init__(self) -> None:
        super().__init__(maxsize=DOCUMENTS_KEPT)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class ValidatedDocuments(ValidationCache):
    def __init__(self) -> None:
        super().__init__(maxsize=DOCUMENTS_KEPT)
