"""The response cache: public GET answers kept in memory, keyed by the request and the
content version, so an answer is reused until the content changes, and never after.

Only answers the app marked `Cache-Control: public` are kept; requests that carry a token or
a preview link are never served from it. A hit costs no database round trip: the version is
known in the process (see `clock.py`). A write that changed the content refreshes the version
before it answers, through its own session, so the process that committed a change never
serves the old body afterwards.

GraphQL queries sent by POST are kept too, keyed by their body (`posted.py`), when the
application marks their answer shareable.

This middleware sits innermost: it records answers as the application made them, before the
outer layers add per-request headers, and refreshes the version on writes. Most hits never
reach it: `hits.py` answers them before any other layer runs; the rest (a request the rate
limiter must look at first) are replayed here.
"""

import asyncio
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cache.clock import ContentClock
from api.cache.posted import (
    GRAPHQL_PATH,
    body_key,
    cacheable_post,
    is_shareable,
    read_body,
    replaying,
)
from api.cache.store import Entry, Key, ResponseStore
from api.caching import matches_entity_tag
from api.compression import compressible, encoded, varying
from api.db import opened_session
from api.services import content_version

CACHEABLE_STATUS = {200, 301, 404}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def entry_key(scope: Scope, host: bytes, accept: bytes, body: bytes = b"") -> Key:
    """`body`: a POST's `posted.body_key`."""
    # GraphQL answers in the media type the client accepts; REST has one.
    return (
        scope.get("scheme", "http"),
        host,
        scope["path"],
        scope.get("query_string", b""),
        accept if scope["path"] == GRAPHQL_PATH else b"",
        body,
    )


def cacheable_request(scope: Scope, has_authorization: bool) -> bool:
    """An anonymous GET without a preview link: its answer is everyone's."""
    return not has_authorization and b"preview=" not in scope.get("query_string", b"")


class ResponseCacheMiddleware:
    def __init__(
        self, app: ASGIApp, clock: ContentClock, store: ResponseStore, *, compression: bool = True
    ) -> None:
        self.app = app
        self.clock = clock
        self.store = store
        # Whether answers may be sent gzipped (`api.compression`), so hits may be too.
        self.compression = compression
        # GET answers being rendered, by key: set when the rendering ends.
        self._rendering: dict[Key, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in WRITES:
            wanted = _first_values(scope)
            if cacheable_post(scope, wanted) and cacheable_request(
                scope, b"authorization" in wanted
            ):
                await self._posted(scope, receive, send, wanted)
            else:
                await self.app(scope, receive, self._refreshing(scope, send))
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        wanted = _first_values(scope)
        if not cacheable_request(scope, b"authorization" in wanted):
            await self.app(scope, receive, send)
            return
        key = entry_key(scope, wanted.get(b"host", b""), wanted.get(b"accept", b""))
        if_none_match = wanted.get(b"if-none-match")
        if await self._replayed(key, if_none_match, send):
            return
        await self._rendered_once(
            key,
            lambda: self._replayed(key, if_none_match, send),
            lambda version, expires_at: self.app(
                scope, receive, self._recording(key, version, expires_at, send)
            ),
        )

    async def _rendered_once(
        self,
        key: Key,
        replayed: Callable[[], Awaitable[bool]],
        render: Callable[[int, float | None], Awaitable[None]],
    ) -> None:
        """Render a missed answer, unless the same one is being rendered for another
        request: then wait for it rather than render it again (an expensive page missed by
        many clients at once, as after every change), and render only if it was not kept."""
        rendering = self._rendering.get(key)
        if rendering is not None:
            await rendering.wait()
            if await replayed():
                return
        self.store.misses += 1
        # Taken before rendering: a write meanwhile makes the entry stale at once.
        version, expires_at = self.clock.version, self.clock.next_at
        leads = key not in self._rendering
        if leads:
            self._rendering[key] = asyncio.Event()
        try:
            await render(version, expires_at)
        finally:
            if leads:
                self._rendering.pop(key).set()

    async def _replayed(self, key: Key, if_none_match: bytes | None, send: Send) -> bool:
        """Answer from a fresh entry, if there is one."""
        entry = self.store.get(key)
        if entry is None or not self.clock.fresh(entry.version, entry.expires_at):
            return False
        self.store.hits += 1
        await _replay(entry, if_none_match, send)
        return True

    async def _posted(
        self, scope: Scope, receive: Receive, send: Send, wanted: dict[bytes, bytes]
    ) -> None:
        """A GraphQL POST: answered from the cache if its body was, recorded if the
        application marks its answer shareable, and refreshing the version if it wrote."""
        messages, body = await read_body(receive)
        receive = replaying(messages, receive)
        send = self._refreshing(scope, send)
        if body is None:
            await self.app(scope, receive, send)
            return
        key = posted_key(scope, wanted, body)
        if await self._replayed(key, None, send):
            return
        await self._rendered_once(
            key,
            lambda: self._replayed(key, None, send),
            lambda version, expires_at: self.app(
                scope, receive, self._recording(key, version, expires_at, send, posted=scope)
            ),
        )

    def _refreshing(self, scope: Scope, send: Send) -> Send:
        async def refreshed_first(message: Message) -> None:
            if message["type"] == "http.response.start":
                db = opened_session(scope)
                if db is not None and content_version.bumped(db):
                    await self.clock.refresh(db)  # committed: see it before answering
            await send(message)

        return refreshed_first

    def _recording(
        self,
        key: Key,
        version: int,
        expires_at: float | None,
        send: Send,
        *,
        posted: Scope | None = None,
    ) -> Send:
        """Records the answer if it may be shared: a GET's if it says `Cache-Control:
        public`, a POST's (`posted`, its scope) if the application marked it."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                # Copied now: the outer layers add their per-request headers to this message.
                status, headers = message["status"], list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    shared = _public(headers) if posted is None else is_shareable(posted)
                    entry = (
                        _entry(version, expires_at, status, headers, body, self.compression)
                        if shared
                        else None
                    )
                    if entry is not None:
                        self.store.put(key, entry)
            await send(message)

        return record


_WANTED = frozenset(
    {b"host", b"accept", b"authorization", b"if-none-match", b"content-length",
     b"content-type", b"transfer-encoding"}
)  # fmt: skip


def posted_key(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Key:
    return entry_key(
        scope,
        headers.get(b"host", b""),
        headers.get(b"accept", b""),
        body_key(headers.get(b"content-type", b""), body),
    )


def _first_values(scope: Scope) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value
    return found


def _entry(
    version: int,
    expires_at: float | None,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    compression: bool,
) -> Entry | None:
    if version < 0 or status not in CACHEABLE_STATUS:
        return None
    etag = next((v for k, v in headers if k.lower() == b"etag"), None)
    kept = [(k, v) for k, v in headers if k.lower() not in _PER_ANSWER]
    tag = None if etag is None else etag.decode("latin-1")
    gzip = compression and compressible(kept, len(body))
    return Entry(version, expires_at, status, kept, body, tag, gzip)


def _public(headers: list[tuple[bytes, bytes]]) -> bool:
    control = next((v for k, v in headers if k.lower() == b"cache-control"), b"")
    return control.startswith(b"public")


# Sent again with each answer: its length is added by the replay, the rest by the server.
_PER_ANSWER = {b"content-length", b"date", b"server"}


def answer_headers(
    entry: Entry, *, gzipped: bool = False
) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """The entry's headers for a full answer, as it is or (`gzipped`) in its gzip form, and
    for a `304` (which carries no body, so no Content-Type, -Encoding or -Length)."""
    if gzipped and entry.gzipped is not None:
        full = encoded(entry.headers, len(entry.gzipped))
    else:
        headers = varying(entry.headers) if entry.compressible else entry.headers
        full = [*headers, (b"content-length", b"%d" % len(entry.body))]
    # As `CompressionMiddleware` sends it: a 304 cannot tell whether the body was worth it.
    not_modified = [(k, v) for k, v in varying(full) if k.lower() not in _BODY_HEADERS]
    return full, not_modified


_BODY_HEADERS = {b"content-type", b"content-encoding", b"content-length"}


def not_modified(entry: Entry, if_none_match: bytes | None) -> bool:
    return (
        entry.etag is not None
        and if_none_match is not None
        and matches_entity_tag(if_none_match.decode("latin-1"), entry.etag)
    )


async def _replay(entry: Entry, if_none_match: bytes | None, send: Send) -> None:
    full, unchanged = answer_headers(entry)
    if not_modified(entry, if_none_match):
        await send({"type": "http.response.start", "status": 304, "headers": unchanged})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": entry.status, "headers": full})
    await send({"type": "http.response.body", "body": entry.body})
