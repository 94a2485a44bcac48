"""Pure-ASGI middleware: every request but the health probes spends from a per-minute
budget, and every answer says how much is left (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`, IETF draft-ietf-httpapi-ratelimit-headers).

The budget is the partner key's (`X-Api-Key`), else the client address's: anonymous reads
one limit, token-bearing requests (`Authorization`) a higher one. Tokens are not checked
here (that costs a query, and happens later anyway), so a made-up `Authorization` header
only ever buys the editors' limit, never an unlimited one.
"""

import ipaddress
from functools import lru_cache

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, Unauthenticated, problem_response
from api.ratelimit.counter import Decision
from api.ratelimit.limiter import RateLimiter, RateLimitExceeded
from api.services.partner_keys import ActiveKey

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
GRAPHQL_PATH = "/graphql"


class InvalidApiKey(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("the X-Api-Key is not a valid partner key: unknown or revoked")
        self.headers = {"WWW-Authenticate": 'ApiKey header="X-Api-Key"'}


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        api_key: str | None = None
        has_token = False
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value.decode("latin-1").strip()
            elif name == b"authorization":
                has_token = True
        limiter = self.limiter
        client = client_of(scope)
        key: ActiveKey | None = None
        try:
            if api_key is not None:
                key = await limiter.partner(api_key, client)
                if key is None:
                    raise InvalidApiKey
                bucket, limit = f"key:{key.id}", key.requests_per_minute
            elif has_token:
                # Admins may revoke a partner key: the endpoint drops it from this cache.
                scope.setdefault("state", {})["rate_limiter"] = limiter
                bucket, limit = "editor:" + client, limiter.limits.editor
            else:
                bucket, limit = "client:" + client, limiter.limits.anonymous
            decision = await limiter.acquire(bucket, limit)
            if not decision.allowed:
                raise RateLimitExceeded(decision)
        except ApiError as error:
            await _refuse(error, scope, receive, send)
            return
        if key is not None:
            limiter.used(key)
        headers = decision.headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@lru_cache(maxsize=4096)
def _client_id(host: str) -> str:
    if ":" not in host:
        return host[:100]
    try:
        # One subscriber usually holds a whole IPv6 /64: counting addresses within it
        # separately would give one client millions of budgets.
        return str(ipaddress.IPv6Network((host, 64), strict=False))
    except ValueError:
        return host[:100]


def client_of(scope: Scope) -> str:
    """The client's address as the server saw it (behind a proxy, uvicorn's
    `--proxy-headers` puts the forwarded address here)."""
    client = scope.get("client")
    return _client_id(client[0]) if client else "unknown"


async def _refuse(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    headers = dict(error.headers)
    if isinstance(error, RateLimitExceeded):
        headers.update(_header_dict(error.decision))
    if scope["path"] == GRAPHQL_PATH:
        # GraphQL clients read errors in GraphQL's shape, with the contract's codes.
        body = {"errors": [{"message": error.detail, "extensions": {"code": error.code}}]}
        response = Response(
            orjson.dumps(body), error.status, headers=headers, media_type="application/json"
        )
    else:
        response = problem_response(error, Request(scope), headers=headers)
    await response(scope, receive, send)


def _header_dict(decision: Decision) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in decision.headers()}
