"""`/graphql` over HTTP, per the GraphQL-over-HTTP spec: POST and GET, `application/json` and
`application/graphql-response+json`, persisted queries, and cache validators on GET answers.

strawberry's ASGI view does the protocol; this subclass decides what an answer looks like:
request errors (nothing executed) carry no `data`, answer 400 to clients that accept
`application/graphql-response+json` and 200 to `application/json` ones, and every failure,
a malformed request included, is a GraphQL error with `extensions.code`.
"""

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError

from api.cache.posted import mark_shareable
from api.cache.tags import header_values
from api.caching import cached_response
from api.db import get_session
from api.errors import Unauthenticated
from api.graphql.cache_tags import document_tags
from api.graphql.context import Context
from api.graphql.errors import Code
from api.graphql.persisted import (
    DocumentStore,
    PersistedQueries,
    PersistedQueryError,
    document_store,
    load_manifest,
)
from api.graphql.schema import SchemaOptions, build_schema
from api.graphql.session import SerialSession
from api.services.auth import Principal, authenticate
from api.settings import Settings

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def create_graphql_app(settings: Settings, documents: DocumentStore | None = None) -> "GraphQLApp":
    """The `/graphql` endpoint for these settings. Production hides GraphiQL and
    introspection unless a setting enables them, and masks unexpected errors."""
    development = not settings.is_production
    introspection = settings.graphql_introspection
    graphiql = settings.graphql_graphiql
    schema = build_schema(
        SchemaOptions(
            introspection=development if introspection is None else introspection,
            mask_errors=settings.is_production,
        )
    )
    allowed: dict[str, str] | None = None
    if settings.graphql_allow_list:
        manifest = settings.graphql_persisted_documents
        allowed = load_manifest(manifest) if manifest is not None else {}
    return GraphQLApp(
        schema,
        settings=settings,
        persisted=PersistedQueries(documents or document_store(settings.redis_url), allowed),
        graphiql=development if graphiql is None else graphiql,
    )


class _SubResponse(Response):
    """strawberry hands `create_response` only the sub-response: it carries the request."""

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request
        self.context: Context | None = None


async def _principal(request: Request) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    return await authenticate(get_session(request), header, request.app.state.secret_key)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        persisted: PersistedQueries,
        graphiql: bool,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(),
        )
        self.settings = settings
        self.persisted = persisted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        try:
            request.state.principal = await _principal(request)
            response = await self.run(request)
        except Unauthenticated as error:
            # A token that does not authenticate is refused before anything runs, never
            # treated as anonymous: the client must learn its token is bad.
            response = _request_error(
                request, Code.UNAUTHENTICATED, error.detail, status=401, headers=error.headers
            )
        except PersistedQueryError as error:
            status = 400 if error.code is Code.BAD_REQUEST else None
            response = _request_error(request, error.code, error.message, status=status)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                # GraphQL-over-HTTP: a mutation must not run over GET; 405 names the method
                # that would work.
                response = _request_error(
                    request, Code.BAD_REQUEST, error.reason, status=405, headers={"Allow": "POST"}
                )
            else:
                response = _request_error(
                    request, Code.BAD_REQUEST, error.reason, status=error.status_code
                )
        await response(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> Context:
        context = Context(
            request=request,
            db=SerialSession(get_session(request)),
            settings=self.settings,
            principal=request.state.principal,
        )
        if isinstance(response, _SubResponse):
            response.context = context
        return context

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        assert isinstance(request, Request)
        return _SubResponse(request)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET by persisted-query hash has no `query` either, yet is no browser's visit.
        return (
            self.graphql_ide is not None
            and "extensions" not in request.query_params
            and super().should_render_graphql_ide(request)
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            # `__call__` has authenticated any Authorization header before this runs: a bad
            # one never gets this far.
            authenticated = "authorization" in request.headers
            data.query = await self.persisted.resolve(
                data.query, data.extensions, authenticated=authenticated
            )
            _document.set(data.query)  # its answer's cache tags, if it is cached
        return data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        assert isinstance(sub_response, _SubResponse)
        assert isinstance(response_data, dict), "batching is off"
        request = sub_response.request
        body = dict(response_data)
        status = 200
        if _is_request_error(body):
            # Nothing was executed: the spec's request error, which has no `data` entry.
            body.pop("data", None)
            status = 400 if _media_type(request) == GRAPHQL_RESPONSE_JSON else 200
        context = sub_response.context
        private = request.state.principal is not None or (context is not None and context.private)
        query = context is not None and context.is_query
        response = _answer(request, body, status, private=private, query=query)
        response.headers.update(
            {k: v for k, v in sub_response.headers.items() if k != "content-length"}
        )
        return response


# The document being answered, from the request's parsing to its response (one task).
_document: ContextVar[str | None] = ContextVar("graphql_document", default=None)


def _is_request_error(body: Mapping[str, Any]) -> bool:
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) and all("path" not in e for e in errors)


def _request_error(
    request: Request,
    code: str,
    message: str,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    if status is None:
        status = 400 if _media_type(request) == GRAPHQL_RESPONSE_JSON else 200
    return _answer(request, body, status, headers)


def _answer(
    request: Request,
    body: Mapping[str, Any],
    status: int,
    headers: dict[str, str] | None = None,
    *,
    private: bool = False,
    query: bool = False,
) -> Response:
    """`query`: the answer is a query's (never a mutation's)."""
    content = orjson.dumps(body)
    media_type = f"{_media_type(request)}; charset=utf-8"
    # The media type depends on Accept, and a token-bearing request may see more.
    vary = {"Vary": "Accept, Authorization"}
    if private:
        # Drafts, editors' fields, previews: for this client only, POST and GET alike.
        no_store = {"Cache-Control": "private, no-store"}
        return Response(
            content, status_code=status, media_type=media_type,
            headers={**vary, **no_store, **(headers or {})},
        )  # fmt: skip
    if request.method == "GET" and status == 200 and "errors" not in body:
        # A query's answer is as cacheable as REST's; an error never is (a missing hash
        # must not stay missing in a CDN once its document is registered).
        tags = header_values(document_tags(_document.get() or ""))
        return cached_response(
            request, content, media_type, headers={**vary, **tags, **(headers or {})}
        )
    if query and status == 200 and "errors" not in body:
        # A query sent by POST: the response cache may keep it (`api.cache.posted`); a
        # shared cache outside is told nothing, as HTTP caches do not keep POST answers.
        mark_shareable(request.scope)
    no_store = {"Cache-Control": "no-store"} if request.method == "GET" else {}
    return Response(
        content,
        status_code=status,
        media_type=media_type,
        headers={**vary, **no_store, **(headers or {})},
    )


def _media_type(request: Request) -> str:
    """`application/graphql-response+json` when the client prefers it; otherwise (no Accept,
    `*/*`, or only `application/json`) `application/json`, which every client reads."""
    preferences: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        preferences[name.lower()] = max(quality, preferences.get(name.lower(), 0.0))
    preferred = preferences.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if preferred > 0 and preferred >= preferences.get(JSON, 0.0):
        return GRAPHQL_RESPONSE_JSON
    return JSON
