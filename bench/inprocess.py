"""What is measured with the app in this process rather than under load: the targets the
queries ask for, and the SQL statements each request costs.

Statements are counted with a `before_cursor_execute` listener on the app's engine, only
while a request of ours is being answered (a context variable marks it), so the background
tasks (the content clock, the rate limiter's sync) are not counted. A listener makes the
app send its public reads through SQLAlchemy rather than to asyncpg directly
(`api/direct_reads.py`): the same statements, counted the same.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import httpx
from sqlalchemy import event

from api.app import create_app
from api.demo.seed import SLUG as SEED_SLUG
from api.settings import Settings, Switch
from bench.queries import PAGE_SIZE, Query, Targets
from bench.wrk import HttpRequest

PAGE_SIZES = (1, PAGE_SIZE, 100)
_counting: ContextVar[list[int] | None] = ContextVar("counting", default=None)


def find_targets(database_url: str, selective: str, broad: str) -> Targets:
    """The category with the most visible publications, the seed article, and the size of
    REST's answer to Q1."""

    async def go() -> Targets:
        async with _client(database_url, cache=False) as client:
            answer = await client.get("/api/v1/categories", params={"per_page": 100})
            answer.raise_for_status()
            categories = answer.json()["data"]
            top = max(categories, key=lambda c: (c["publication_count"], c["slug"]))
            params = {"category": top["slug"], "per_page": PAGE_SIZE}
            page = await client.get("/api/v1/publications", params=params)
            page.raise_for_status()
            return Targets(top["slug"], SEED_SLUG, selective, broad, len(page.content), _sent(page))

    return asyncio.run(go())


# Added by the server, or by the fixed app itself.
_NOT_SENT = {"date", "server", "content-type", "content-length"}
# A live answer to a partner key carries these too (the in-process client has no limiter).
_RATE_LIMIT = (("ratelimit-limit", "100000000"), ("ratelimit-remaining", "99999999"),
               ("ratelimit-reset", "42"))  # fmt: skip


def _sent(answer: httpx.Response) -> tuple[tuple[str, str], ...]:
    """The headers Colophon's application sent with `answer`, as a hit would send them."""
    headers = [(k, v) for k, v in answer.headers.multi_items() if k not in _NOT_SENT]
    names = {k for k, _ in headers}
    return (*headers, *(h for h in _RATE_LIMIT if h[0] not in names))


def count_statements(
    database_url: str, cache: bool, queries: Sequence[Query], headers: dict[str, str]
) -> dict[str, list[float]]:
    """Statements per request, by query label: at each page size for pages, else one figure.
    Each request is sent once first (it looks up the key, registers the persisted query,
    fills the response cache), then counted over three more."""

    async def go() -> dict[str, list[float]]:
        counts: dict[str, list[float]] = {}
        async with _client(database_url, cache=cache, headers=headers) as client:
            for query in queries:
                if query.setup is not None:
                    await _send(client, query.setup)
                sizes = PAGE_SIZES if query.paged else (PAGE_SIZE,)
                counts[query.label] = [await _count(client, query.request(n)) for n in sizes]
        return counts

    return asyncio.run(go())


async def _count(client: httpx.AsyncClient, request: HttpRequest, repeat: int = 3) -> float:
    await _send(client, request)
    counter = [0]
    token = _counting.set(counter)
    try:
        for _ in range(repeat):
            await _send(client, request)
    finally:
        _counting.reset(token)
    return counter[0] / repeat


async def _send(client: httpx.AsyncClient, request: HttpRequest) -> None:
    answer = await client.request(
        request.method, request.path, content=request.body, headers=request.headers
    )
    answer.raise_for_status()


def _on_statement(*_args: Any) -> None:
    counter = _counting.get()
    if counter is not None:
        counter[0] += 1


@asynccontextmanager
async def _client(
    database_url: str, *, cache: bool, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        response_cache=Switch.ON if cache else Switch.OFF,
        worker=Switch.OFF,
        log_level="WARNING",
    )
    app = create_app(settings)
    for engine in app.state.request_engines:
        event.listen(engine.sync_engine, "before_cursor_execute", _on_statement)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        # As wrk asks: for the plain answer (httpx would ask for gzip).
        httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Accept-Encoding": "identity", **(headers or {})},
        ) as client,
    ):
        if app.state.content_clock is not None:  # its first read may still be under way
            await app.state.content_clock.refresh()
        yield client
