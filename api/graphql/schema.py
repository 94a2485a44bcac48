"""The schema and the extensions that guard it, built once per set of options."""

from dataclasses import dataclass
from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.graphql.documents import ParsedDocuments, ValidatedDocuments
from api.graphql.errors import ErrorCodes, MaskUnexpectedErrors, is_worth_logging
from api.graphql.execution import ColophonExecutionContext, answer_resolvers_directly
from api.graphql.limits import NodeLimit, QueryLimits
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.scalars import SCALARS
from api.graphql.session import QueriesReadAlone
from api.graphql.types.directory import Author, Category, Series, Tag
from api.graphql.types.publication import Publication


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    introspection: bool = True
    mask_errors: bool = False


class ColophonSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        super().process_errors([e for e in errors if is_worth_logging(e)], execution_context)


@cache
def build_schema(options: SchemaOptions = SchemaOptions()) -> ColophonSchema:
    """Cached: building a schema takes a while and its options are few."""
    # Exit order is the reverse of this list: codes are given, then unexpected errors masked.
    extensions: list[type[SchemaExtension]] = []
    if options.mask_errors:
        extensions.append(MaskUnexpectedErrors)
    # The caches come after the hooks that set what they key on (the token limit, the rules).
    extensions += [
        ErrorCodes,
        QueryLimits,
        NodeLimit,
        ParsedDocuments,
        ValidatedDocuments,
        QueriesReadAlone,
    ]
    if not options.introspection:
        extensions.append(DisableIntrospection)
    schema = ColophonSchema(
        query=Query,
        mutation=Mutation,
        # Node types reached only through `node(id)` must still be in the schema.
        types=[Publication, Author, Category, Series, Tag],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=ColophonExecutionContext,
    )
    answer_resolvers_directly(schema)
    return schema


def sdl() -> str:
    """The schema in SDL, as committed in `api/graphql/schema.graphql`."""
    return build_schema().as_str() + "\n"
