"""Pure-ASGI middleware: a request id and one structured access-log line per request."""

import os
import time

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLarge, problem_response
from api.logging import get_logger, info_enabled


class AccessLog:
    """One line per answered request. Made per app, after the app configured logging: the
    logger keeps the configuration it first ran with."""

    def __init__(self) -> None:
        self.log = get_logger("colophon.access")
        self.enabled = info_enabled()  # else no line is built at all

    def answered(self, scope: Scope, status: int, started: float, **extra: str) -> None:
        if self.enabled:
            self.log.info(
                "request",
                **extra,
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, access: AccessLog) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(_incoming_request_id(scope))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            self.access.log.exception("request.failed", method=scope["method"], path=scope["path"])
            raise
        finally:
            self.access.answered(scope, status, started)
            structlog.contextvars.unbind_contextvars("request_id")


def request_id_for(incoming: bytes | None) -> str:
    """The client's `X-Request-Id` if it is a sane one (letters, digits, dashes, at most
    64), else a new one."""
    if incoming is not None:
        candidate = incoming.decode("latin-1")[:64]
        if candidate.replace("-", "").isalnum():
            return candidate
    return _new_request_id()


def _incoming_request_id(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            found: bytes = value
            return found
    return None


def _new_request_id() -> str:
    # 32 random hex digits, as uuid4().hex gave, at a quarter of its cost.
    return os.urandom(16).hex()


class HeadAsGetMiddleware:
    """Answers HEAD as GET without the body (RFC 9110 §9.3.2), for every GET route, so
    validators and lengths agree between the two."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class _BodyTooLarge(HTTPException):
    """Raised from `receive` as the body passes the limit. An HTTPException, because
    FastAPI turns any other error raised while it reads a body into a 400; it hands this
    one to the API's handlers, which answer the same 413 problem as `_refuse`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with a `413` problem, before the app reads
    them (by `Content-Length`) or as soon as a streamed body passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _announced_body(scope)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        if declared is None and not chunked and scope.get("http_version") in ("1.0", "1.1"):
            # HTTP/1 sends no body without either header (RFC 9112 §6.3): nothing to count.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(PayloadTooLarge(_too_large(self.max_bytes)))(scope, receive, send)


def _too_large(max_bytes: int) -> str:
    return f"request bodies are limited to {max_bytes} bytes"


def _announced_body(scope: Scope) -> tuple[str | None, bool]:
    """The request's `Content-Length` (the first, as Starlette reads it) and whether it
    declares a `Transfer-Encoding`."""
    declared: str | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length" and declared is None:
            declared = value.decode("latin-1")
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked
