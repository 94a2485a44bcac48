"""Parsed and validated documents, kept per document text: a client sends the same few
documents again and again, and parsing and validating one costs more than running it.

strawberry's `ParserCache` does the parsing's keeping (a bounded LRU cache shared by every
request), and `ValidatedDocuments` the validation's. The limits still hold: the token limit
is a parse option, part of the parse cache's key, and the depth and alias limits are
validation rules, part of the validation cache's key (`limits.py` builds them once so that
key repeats).
"""

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import ASTValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

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


class ValidatedDocuments(SchemaExtension):
    """strawberry's `ValidationCache` keys its cache on the parsed document, and graphql-core's
    nodes are dataclasses that hash their whole tree at each lookup (2 % of a category page's
    time over GraphQL). A document is keyed here on its text instead: one text, one parse."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.query is None or document is None or not context.validation_rules:
            yield  # strawberry's own validation, if any
            return
        context.pre_execution_errors = _validated(
            context.schema._schema, _ByText(context.query, document), context.validation_rules
        )
        yield


@dataclass(frozen=True, slots=True, eq=False)
class _ByText:
    """A parsed document that hashes and compares as the text it was parsed from."""

    text: str
    document: DocumentNode

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByText) and other.text == self.text


@lru_cache(maxsize=DOCUMENTS_KEPT)
def _validated(
    schema: GraphQLSchema, parsed: _ByText, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, parsed.document, rules)
