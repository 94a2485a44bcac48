"""Anonymous reads of the busiest routes without FastAPI's per-request machinery.

FastAPI resolves a handler's dependencies and validates its parameters anew on every
request: for a public GET that answers from one SQL statement, that is about half the
Python work. A route of `PublicReadRoute` keeps FastAPI's declaration (the OpenAPI document,
and the whole path for anything out of the ordinary) but answers an anonymous request by
calling the same endpoint with the arguments its `answers_anonymous` function builds from
the request directly. Whatever that function declines (a token, a preview link, parameters
that do not validate) takes FastAPI's path unchanged, so every error keeps its one shape.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.db import get_session

# The endpoint's keyword arguments for this request, or None: let FastAPI resolve them.
AnonymousArguments = Callable[[Request], dict[str, Any] | None]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
_ATTRIBUTE = "anonymous_arguments"


def answers_anonymous(arguments: AnonymousArguments) -> Callable[[Endpoint], Endpoint]:
    """Marks an endpoint of a `PublicReadRoute` router: `arguments` resolves an anonymous
    request's parameters the way the endpoint's declaration would."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ATTRIBUTE, arguments)
        return endpoint

    return mark


class PublicReadRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        declared = super().get_route_handler()
        arguments: AnonymousArguments | None = getattr(self.endpoint, _ATTRIBUTE, None)
        if arguments is None:
            return declared
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            resolved = arguments(request) if is_anonymous(request) else None
            if resolved is None:
                return await declared(request)
            read_alone(get_session(request))
            response: Response = await endpoint(**resolved)
            return response

        return handler


def is_anonymous(request: Request) -> bool:
    return "authorization" not in request.headers


def read_alone(db: AsyncSession) -> None:
    """An anonymous GET only reads, one statement (sometimes two) each its own snapshot: on
    PostgreSQL its session reads outside a transaction (AUTOCOMMIT), which spares the BEGIN
    and ROLLBACK round trips. The session is pointed at an AUTOCOMMIT view of its engine
    rather than connected here: a search reads on connections of its own and may never
    need the request's. SQLite begins no transaction for a read anyway, and a session bound
    to a connection (the tests' outer transaction) keeps that connection's state."""
    bind = db.bind
    if (
        isinstance(bind, AsyncEngine)
        and bind.dialect.name == "postgresql"
        and not db.in_transaction()
    ):
        db.sync_session.bind = _autocommit_view(bind.sync_engine)


_AUTOCOMMIT_VIEWS: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def _autocommit_view(engine: Engine) -> Engine:
    """The engine's pool, its connections handed out in AUTOCOMMIT; made once per engine."""
    view = _AUTOCOMMIT_VIEWS.get(engine)
    if view is None:
        view = _AUTOCOMMIT_VIEWS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view
