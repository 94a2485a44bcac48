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

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api.db import get_session, read_alone

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
