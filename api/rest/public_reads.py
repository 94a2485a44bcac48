"""Anonymous reads of the busiest routes without FastAPI's per-request machinery.

FastAPI runs every request through its application (exception middleware, telemetry, a
body limit, an exit stack, the router's matching) and then resolves the handler's
dependencies and validates its parameters anew: for a public GET that answers from one SQL
statement, that is well over half the Python work. `AnonymousReadsFirst` stands in front of
the mounted API: an anonymous GET of an endpoint marked `answers_anonymous` is answered by
calling that endpoint with the arguments its function builds from the request directly.
Whatever that function declines (a token, a preview link, parameters that do not validate),
and every other request, goes to FastAPI unchanged, so the OpenAPI document and every
error keep their one shape; an error the endpoint raises goes through the API's own
exception handlers.
"""

from collections.abc import Awaitable, Callable, Iterable
from inspect import isawaitable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.db import get_session, read_alone

# The endpoint's keyword arguments for this request, or None: let FastAPI resolve them.
AnonymousArguments = Callable[[Request], dict[str, Any] | None]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
ExceptionHandler = Callable[[Request, Any], Response | Awaitable[Response]]
_ATTRIBUTE = "anonymous_arguments"


def answers_anonymous(arguments: AnonymousArguments) -> Callable[[Endpoint], Endpoint]:
    """Marks a GET endpoint: `arguments` resolves an anonymous request's parameters the way
    the endpoint's declaration would, or declines."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ATTRIBUTE, arguments)
        return endpoint

    return mark


class AnonymousReadsFirst:
    """The REST API as mounted: marked endpoints answer anonymous GETs directly."""

    def __init__(self, api: FastAPI, routers: Iterable[APIRouter]) -> None:
        """`routers`: those of `api`'s routers (included without a prefix) whose marked
        endpoints are answered here."""
        self.api: ASGIApp = api  # where every other request goes
        self._fastapi = api
        self._reads = [
            (route, getattr(route.endpoint, _ATTRIBUTE))
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute)
            and "GET" in (route.methods or ())
            and hasattr(route.endpoint, _ATTRIBUTE)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and _is_anonymous(scope):
            for route, arguments in self._reads:
                match, child = route.matches(scope)
                if match is not Match.FULL:
                    continue
                # What FastAPI's application and router would have put in the scope.
                inner = {**scope, **child, "app": self._fastapi, "router": self._fastapi.router}
                request = Request(inner, receive)
                resolved = arguments(request)
                if resolved is None:
                    break
                response, unexpected = await self._answer(request, route.endpoint, resolved)
                await response(inner, receive, send)
                if unexpected is not None:
                    # As Starlette's server-error middleware does: answer, then raise it
                    # for the server to log.
                    raise unexpected
                return
        await self.api(scope, receive, send)

    async def _answer(
        self, request: Request, endpoint: Callable[..., Any], arguments: dict[str, Any]
    ) -> tuple[Response, Exception | None]:
        """The endpoint's response, or the API's answer to what it raised (and the
        exception itself when only the catch-all handler knew it)."""
        read_alone(get_session(request))
        try:
            response: Response = await endpoint(**arguments)
        except Exception as exc:
            handler, last_resort = self._handler(exc)
            answer = handler(request, exc)
            if isawaitable(answer):
                answer = await answer
            return answer, exc if last_resort else None
        return response, None

    def _handler(self, exc: Exception) -> tuple[ExceptionHandler, bool]:
        """The API's handler for this exception, and whether it is the catch-all."""
        handlers: dict[Any, ExceptionHandler] = self._fastapi.exception_handlers
        for kind in type(exc).__mro__:
            if kind in handlers and kind is not Exception:
                return handlers[kind], False
        return handlers[Exception], True


def _is_anonymous(scope: Scope) -> bool:
    return all(name != b"authorization" for name, _ in scope["headers"])
