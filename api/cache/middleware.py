"""The response cache: public GET answers kept in memory, keyed by the request and the
content version, so an answer is reused until the content changes, and never after.

Only answers the app marked `Cache-Control: public` are kept; requests that carry a token or
a preview link are never served from it. A hit costs no database round trip: the version is
known in the process (see `clock.py`). A write that changed the content refreshes the version
before it answers, through its own session, so the process that committed a change never
serves the old body afterwards.
"""

from datetime import datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cache.clock import ContentClock
from api.cache.store import Entry, ResponseStore
from api.caching import matches_entity_tag
from api.services import content_version

CACHEABLE_STATUS = {200, 301, 404}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, clock: ContentClock, store: ResponseStore) -> None:
        self.app = app
        self.clock = clock
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in WRITES:
            await self.app(scope, receive, self._refreshing(scope, send))
            return
        headers = Headers(scope=scope)
        if scope["method"] != "GET" or not _anonymous(scope, headers):
            await self.app(scope, receive, send)
            return
        key = _key(scope, headers)
        entry = self.store.get(key)
        if entry is not None and self.clock.fresh(entry.version, entry.expires_at):
            self.store.hits += 1
            await _replay(entry, headers.get("if-none-match"), send)
            return
        self.store.misses += 1
        # Taken before rendering: a write meanwhile makes the entry stale at once.
        version, expires_at = self.clock.version, self.clock.next_scheduled
        await self.app(scope, receive, self._recording(key, version, expires_at, send))

    def _refreshing(self, scope: Scope, send: Send) -> Send:
        async def refreshed_first(message: Message) -> None:
            if message["type"] == "http.response.start":
                db = scope.get("state", {}).get("db")
                if db is not None and content_version.bumped(db):
                    await self.clock.refresh(db)  # committed: see it before answering
            await send(message)

        return refreshed_first

    def _recording(
        self, key: tuple[str, ...], version: int, expires_at: datetime | None, send: Send
    ) -> Send:
        start: Message = {}
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    entry = self._entry(version, expires_at, start, b"".join(chunks))
                    if entry is not None:
                        self.store.put(key, entry)
            await send(message)

        return record

    def _entry(
        self, version: int, expires_at: datetime | None, start: Message, body: bytes
    ) -> Entry | None:
        if version < 0 or start.get("status") not in CACHEABLE_STATUS:
            return None
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
        control = next((v for k, v in headers if k.lower() == b"cache-control"), b"")
        if not control.startswith(b"public"):
            return None
        etag = next((v for k, v in headers if k.lower() == b"etag"), None)
        # Per-request headers are added again on every answer by the outer middleware.
        kept = [(k, v) for k, v in headers if k.lower() not in _PER_REQUEST]
        return Entry(version, expires_at, start["status"], kept, body, etag)


_PER_REQUEST = {b"x-request-id", b"content-length", b"date", b"server"}


def _anonymous(scope: Scope, headers: Headers) -> bool:
    if "authorization" in headers:
        return False
    return b"preview=" not in scope.get("query_string", b"")


def _key(scope: Scope, headers: Headers) -> tuple[str, ...]:
    query = scope.get("query_string", b"").decode("latin-1")
    # GraphQL answers in the media type the client accepts; REST has one.
    accept = headers.get("accept", "") if scope["path"] == "/graphql" else ""
    return (scope["path"], query, accept)


async def _replay(entry: Entry, if_none_match: str | None, send: Send) -> None:
    if entry.etag is not None and matches_entity_tag(if_none_match, entry.etag.decode()):
        headers = [(k, v) for k, v in entry.headers if k.lower() != b"content-type"]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [*entry.headers, (b"content-length", str(len(entry.body)).encode())]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})
