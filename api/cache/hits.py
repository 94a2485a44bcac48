"""Response-cache hits answered at the door, before any other layer runs.

A hit is most of a read API's traffic, and on one it has nothing left to do but what the
outer layers do to every answer: count it against its rate limit, add the CORS headers for
its Origin, give it a request id, log it. Passing it through those layers cost more than
sending it (each wraps `send`, re-reads the headers, or builds objects for them), so this
middleware, the outermost, does all of that itself in one step, with the entry's headers
prepared once per Origin by the CORS middleware's own code. Anything it cannot answer alone
goes down the usual stack unchanged: a miss, a token, a request body (but a GraphQL query's,
`posted.py`), a key the rate limiter has not seen lately, a bucket due for a sync, a refusal.
"""

import time
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cache.clock import ContentClock
from api.cache.middleware import (
    answer_headers,
    cacheable_request,
    entry_key,
    not_modified,
    posted_key,
)
from api.cache.posted import cacheable_post, read_body, replaying
from api.cache.store import Entry, Key, Prepared, ResponseStore
from api.compression import accepts_gzip, compress
from api.middleware import AccessLog, request_id_for
from api.ratelimit import RateLimiter
from api.ratelimit.middleware import EXEMPT_PATHS, client_of

# Request headers a hit reads. One it does not expect twice makes it take the usual path,
# whose layers each have their own rule for repeated headers.
_READ = frozenset(
    {b"host", b"accept", b"accept-encoding", b"authorization", b"if-none-match", b"origin",
     b"x-api-key", b"x-request-id", b"content-length", b"content-type", b"transfer-encoding"}
)  # fmt: skip
# Origins (each with and without gzip) whose prepared headers an entry keeps; others are
# prepared for each answer.
MAX_ORIGINS = 8


class CacheHitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: ResponseStore,
        clock: ContentClock,
        cors_options: Mapping[str, Any],
        limiter: RateLimiter | None,
        access: AccessLog,
    ) -> None:
        self.app = app
        self.access = access
        self.store = store
        self.clock = clock
        # Configured as the app's CORS layer; only its `send` is used, to prepare headers.
        self.cors = CORSMiddleware(app, **cors_options)
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] in ("GET", "HEAD"):
                if await self._answered(scope, send):
                    return
            elif scope["method"] == "POST":
                await self._post(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answered(self, scope: Scope, send: Send) -> bool:
        """Answer the request from the cache if it is a hit this layer can serve alone."""
        started = time.perf_counter()
        read = _read_once(scope)
        if (
            read is None
            or b"content-length" in read
            or b"transfer-encoding" in read
            or scope["path"] in EXEMPT_PATHS
            or not cacheable_request(scope, b"authorization" in read)
        ):
            return False
        key = entry_key(scope, read.get(b"host", b""), read.get(b"accept", b""))
        return await self._served(scope, send, read, key, started)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A GraphQL query sent by POST (`posted.py`): its body is read to find its entry,
        and given again to the stack if there is none to serve."""
        started = time.perf_counter()
        read = _read_once(scope)
        if (
            read is None
            or not cacheable_post(scope, read)
            or not cacheable_request(scope, b"authorization" in read)
        ):
            await self.app(scope, receive, send)
            return
        messages, body = await read_body(receive)
        receive = replaying(messages, receive)
        if body is None or not await self._served(
            scope, send, read, posted_key(scope, read, body), started
        ):
            await self.app(scope, receive, send)

    async def _served(
        self, scope: Scope, send: Send, read: dict[bytes, bytes], key: Key, started: float
    ) -> bool:
        """Serve the entry for `key` if there is a fresh one and the rate limit allows it
        here; False if the usual stack must answer."""
        entry = self.store.get(key)
        if entry is None or not self.clock.fresh(entry.version, entry.expires_at):
            return False
        limits: list[tuple[bytes, bytes]] = []
        if self.limiter is not None:
            api_key = read.get(b"x-api-key")
            admitted = (
                self.limiter.admit_now(None, client_of(scope))
                if api_key is None
                else self.limiter.admit_now(api_key.decode("latin-1").strip(), "")
            )
            if admitted is None:
                return False
            limits = admitted
        # Counted: from here on the request is answered here.
        self.store.hits += 1
        request_id = request_id_for(read.get(b"x-request-id"))
        origin = read.get(b"origin")
        gzipped = entry.compressible and accepts_gzip(read.get(b"accept-encoding"))
        if gzipped and entry.gzipped is None:
            self.store.attach_gzip(key, entry, compress(entry.body))
        prepared = entry.prepared.get((origin, gzipped)) or await self._prepare(
            entry, origin, gzipped
        )
        if not_modified(entry, read.get(b"if-none-match")):
            status, headers, body = 304, prepared.not_modified, b""
        else:
            status, headers = entry.status, prepared.full
            if scope["method"] == "HEAD":
                body = b""
            else:
                body = (entry.gzipped or b"") if gzipped else entry.body
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [*headers, *limits, (b"x-request-id", request_id.encode("latin-1"))],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            self.access.answered(scope, status, started, request_id=request_id)
        return True

    async def _prepare(self, entry: Entry, origin: bytes | None, gzipped: bool) -> Prepared:
        """The entry's headers, in the form asked for, as the CORS middleware would send
        them to this Origin."""
        request = Headers(raw=[] if origin is None else [(b"origin", origin)])
        full, unchanged = answer_headers(entry, gzipped=gzipped)
        prepared = Prepared(
            await self._through_cors(full, request), await self._through_cors(unchanged, request)
        )
        if len(entry.prepared) < 2 * MAX_ORIGINS:
            entry.prepared[(origin, gzipped)] = prepared
        return prepared

    async def _through_cors(
        self, headers: list[tuple[bytes, bytes]], request: Headers
    ) -> list[tuple[bytes, bytes]]:
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        start = {"type": "http.response.start", "status": 200, "headers": list(headers)}
        await self.cors.send(start, keep, request)
        result: list[tuple[bytes, bytes]] = sent[0]["headers"]
        return result


def _read_once(scope: Scope) -> dict[bytes, bytes] | None:
    """The request headers a hit reads; None if one of them comes twice."""
    read: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _READ:
            if name in read:
                return None
            read[name] = value
    return read
