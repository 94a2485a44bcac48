"""`strawberry.field` as a typed decorator.

strawberry types the decorator form `@strawberry.field(description=…)` as returning Any,
which strict mypy refuses; this says what it is. A resolver decorated with it becomes a
schema field: call the helpers it uses, never the resolver itself.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(*, description: str | None = None, graphql_type: Any = None) -> Callable[[F], F]:
    """`graphql_type` for a resolver that may answer now or later (`prefetch.now_or_later`),
    whose annotation is no GraphQL type."""
    decorator: Callable[[F], F] = strawberry.field(
        description=description, graphql_type=graphql_type
    )
    return decorator
