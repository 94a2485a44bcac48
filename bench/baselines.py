"""The two baselines every Colophon figure is divided by, served by the same uvicorn.

    uvicorn --factory bench.baselines:create_fixed_app      # one fixed JSON body
    BENCH_DATABASE_URL=... uvicorn --factory bench.baselines:create_sql_app

The fixed body is the ceiling of the stack (uvicorn, the event loop, HTTP parsing). The SQL
app is the best a database-backed handler can do: plain ASGI, no framework, and each query
answered by one hand-written statement whose JSON the database builds (`json_build_object`
on PostgreSQL through asyncpg; `json_object` and `json_group_array` on SQLite through
aiosqlite). It applies the same visibility rule and matching as Colophon:

    /q1?category=SLUG&limit=N   the N newest in a category, authors and categories, the total
    /q2?slug=SLUG               one publication with body, authors, categories, series, footnotes
    /q3?q=WORD&limit=N          ranked full-text search (WORD as a prefix), top N and the total
"""

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy.engine import make_url
from starlette.types import Receive, Scope, Send

FIXED_BODY = orjson.dumps({"data": {"id": "1", "slug": "hello", "title": "Hello, world"}})
NOT_FOUND = orjson.dumps({"title": "Not Found", "status": 404})
POOL_SIZE = 10
_WORD = re.compile(r"\w+")

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_fixed_app() -> ASGIApp:
    """Answers every request with the same small JSON body, or with `?bytes=N` one of N
    bytes (what sending a page's worth of bytes costs the stack); with
    `BENCH_FIXED_HEADERS` (a JSON list of [name, value] pairs) set, it sends those headers
    too (what sending a real answer's headers costs it)."""
    bodies: dict[bytes, bytes] = {b"": FIXED_BODY}
    extra = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in orjson.loads(os.environ.get("BENCH_FIXED_HEADERS", "[]"))
    ]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            query = scope["query_string"]
            body = bodies.get(query)
            if body is None:
                body = bodies[query] = _padded(int(parse_qs(query.decode())["bytes"][0]))
            await _answer(send, 200, body, extra)

    return app


def _padded(size: int) -> bytes:
    frame = b'{"data":""}'
    return frame[:-2] + b"x" * max(0, size - len(frame)) + frame[-2:]


def create_sql_app() -> ASGIApp:
    """Q1, Q2 and Q3 with one statement each, on the database `BENCH_DATABASE_URL` names."""
    url = make_url(os.environ["BENCH_DATABASE_URL"])
    database: Database = (
        SqliteDatabase(url.database or "")
        if url.get_backend_name() == "sqlite"
        else PostgresDatabase(url.set(drivername="postgresql").render_as_string(False))
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, database)
            return
        if scope["type"] != "http":
            return
        params = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        body = await _route(database, scope["path"], params)
        await _answer(send, 404 if body is None else 200, body or NOT_FOUND)

    return app


async def _route(database: "Database", path: str, params: dict[str, str]) -> bytes | None:
    limit = int(params.get("limit", "20"))
    if path == "/q1":
        return await database.category_page(params["category"], limit)
    if path == "/q2":
        return await database.publication(params["slug"])
    if path == "/q3":
        return await database.search(params["q"], limit)
    if path == "/readyz":
        return b"{}"
    return None


class Database(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def category_page(self, category: str, limit: int) -> bytes | None: ...

    async def publication(self, slug: str) -> bytes | None: ...

    async def search(self, word: str, limit: int) -> bytes | None: ...


def _first_word(text: str) -> str:
    words = _WORD.findall(text.lower())
    return words[0] if words else "_"


# PostgreSQL: asyncpg prepares each statement once per connection; JSON comes back as text.
_PG_VISIBLE = "(p.status = 'published' OR (p.status = 'scheduled' AND p.published_at <= now()))"
_PG_AUTHORS = """(SELECT coalesce(json_agg(json_build_object('id', a.id::text, 'slug', a.slug,
        'name', a.name, 'job_title', a.job_title{bio}) ORDER BY pa.position), '[]'::json)
    FROM publication_authors pa JOIN authors a ON a.id = pa.author_id
    WHERE pa.publication_id = p.id)"""
_PG_CATEGORIES = """(SELECT coalesce(json_agg(json_build_object('id', c.id::text, 'slug', c.slug,
        'name', c.name) ORDER BY pc.position), '[]'::json)
    FROM publication_categories pc JOIN categories c ON c.id = pc.category_id
    WHERE pc.publication_id = p.id)"""
_PG_SUMMARY = f"""json_build_object('id', p.id::text, 'slug', p.slug, 'title', p.title,
    'subtitle', p.subtitle, 'excerpt', p.excerpt, 'published_at', p.published_at,
    'updated_at', p.updated_at, 'word_count', p.word_count,
    'authors', {_PG_AUTHORS.format(bio="")}, 'categories', {_PG_CATEGORIES})"""

PG_Q1 = f"""
WITH category AS MATERIALIZED (SELECT id FROM categories WHERE slug = $1),
page AS (
    SELECT p.id FROM publications p
    WHERE {_PG_VISIBLE} AND EXISTS (
        SELECT 1 FROM publication_categories pcf
        WHERE pcf.publication_id = p.id AND pcf.category_id = (SELECT id FROM category))
    ORDER BY p.published_at DESC, p.id DESC LIMIT $2
)
SELECT json_build_object(
    'data', coalesce(json_agg({_PG_SUMMARY} ORDER BY p.published_at DESC, p.id DESC), '[]'),
    'meta', json_build_object('total', (
        SELECT count(*) FROM publication_categories pcf
        WHERE pcf.category_id = (SELECT id FROM category) AND pcf.publication_id NOT IN (
            SELECT p.id FROM publications p
            WHERE p.status <> 'published' AND NOT coalesce({_PG_VISIBLE}, false)))))::text
FROM page JOIN publications p ON p.id = page.id
"""  # noqa: S608 -- fixed SQL fragments, values are bound

PG_Q2 = f"""
SELECT json_build_object('data', json_build_object('id', p.id::text, 'slug', p.slug,
    'title', p.title, 'subtitle', p.subtitle, 'excerpt', p.excerpt,
    'published_at', p.published_at, 'updated_at', p.updated_at, 'word_count', p.word_count,
    'body_html', p.body_html,
    'authors', {_PG_AUTHORS.format(bio=", 'bio', a.bio")},
    'categories', {_PG_CATEGORIES},
    'series', (SELECT json_build_object('id', s.id::text, 'slug', s.slug, 'name', s.name)
               FROM series s WHERE s.id = p.series_id),
    'footnotes', (SELECT coalesce(json_agg(json_build_object('number', f.number,
                      'text', f.text, 'url', f.url) ORDER BY f.number), '[]'::json)
                  FROM footnotes f WHERE f.publication_id = p.id)))::text
FROM publications p WHERE p.slug = $1 AND {_PG_VISIBLE}
"""  # noqa: S608 -- fixed SQL fragments, values are bound

PG_Q3 = f"""
WITH hits AS MATERIALIZED (
    SELECT s.publication_id AS id, ts_rank_cd(s.document, q) AS rank, p.published_at
    FROM publication_search s CROSS JOIN to_tsquery('english', $1) AS q
    JOIN publications p ON p.id = s.publication_id
    WHERE s.document @@ q AND {_PG_VISIBLE}
), page AS (SELECT id, rank FROM hits ORDER BY rank DESC, published_at DESC, id DESC LIMIT $2)
SELECT json_build_object(
    'data', coalesce(json_agg({_PG_SUMMARY}
                              ORDER BY page.rank DESC, p.published_at DESC, p.id DESC), '[]'),
    'meta', json_build_object('total', (SELECT count(*) FROM hits)))::text
FROM page JOIN publications p ON p.id = page.id
"""  # noqa: S608 -- fixed SQL fragments, values are bound


class PostgresDatabase:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: Any = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.dsn,
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            # The planner prices `document @@ query` without the cost of reading each
            # TOASTed tsvector, so on a small table it scans them all (about 100 ms here)
            # rather than ask the GIN index (under 1 ms); no plan here needs a full scan.
            server_settings={"enable_seqscan": "off"},
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def _json(self, sql: str, *args: object) -> bytes | None:
        assert self.pool is not None
        async with self.pool.acquire() as connection:
            text: str | None = await connection.fetchval(sql, *args)
        return None if text is None else text.encode()

    async def category_page(self, category: str, limit: int) -> bytes | None:
        return await self._json(PG_Q1, category, limit)

    async def publication(self, slug: str) -> bytes | None:
        return await self._json(PG_Q2, slug)

    async def search(self, word: str, limit: int) -> bytes | None:
        # The word is letters and digits only, so this quoting is sound (as Colophon's).
        return await self._json(PG_Q3, f"'{_first_word(word)}':*", limit)


# SQLite: the full-text match is materialized first (joined the other way round, FTS5 runs
# the whole match once per publication). Times are stored as 'YYYY-MM-DD HH:MM:SS.ffffff'.
_SQLITE_VISIBLE = "(p.status = 'published' OR (p.status = 'scheduled' AND p.published_at <= :now))"
_SQLITE_TIME = "strftime('%Y-%m-%dT%H:%M:%S+00:00', {})"
_SQLITE_AUTHORS = """(SELECT json_group_array(json(x)) FROM (
    SELECT json_object('id', CAST(a.id AS TEXT), 'slug', a.slug, 'name', a.name,
                       'job_title', a.job_title{bio}) AS x
    FROM publication_authors pa JOIN authors a ON a.id = pa.author_id
    WHERE pa.publication_id = p.id ORDER BY pa.position))"""
_SQLITE_CATEGORIES = """(SELECT json_group_array(json(x)) FROM (
    SELECT json_object('id', CAST(c.id AS TEXT), 'slug', c.slug, 'name', c.name) AS x
    FROM publication_categories pc JOIN categories c ON c.id = pc.category_id
    WHERE pc.publication_id = p.id ORDER BY pc.position))"""
_SQLITE_SUMMARY = f"""json_object('id', CAST(p.id AS TEXT), 'slug', p.slug, 'title', p.title,
    'subtitle', p.subtitle, 'excerpt', p.excerpt,
    'published_at', {_SQLITE_TIME.format("p.published_at")},
    'updated_at', {_SQLITE_TIME.format("p.updated_at")}, 'word_count', p.word_count,
    'authors', json({_SQLITE_AUTHORS.format(bio="")}), 'categories', json({_SQLITE_CATEGORIES}))"""

SQLITE_Q1 = f"""
WITH hits AS NOT MATERIALIZED (
    SELECT p.id, p.published_at FROM publications p
    WHERE {_SQLITE_VISIBLE} AND p.id IN (
        SELECT pcf.publication_id FROM publication_categories pcf
        JOIN categories cf ON cf.id = pcf.category_id WHERE cf.slug = :category)
), page AS (SELECT id FROM hits ORDER BY published_at DESC, id DESC LIMIT :limit)
SELECT json_object(
    'data', (SELECT json_group_array(json(item)) FROM (
        SELECT {_SQLITE_SUMMARY} AS item FROM page JOIN publications p ON p.id = page.id
        ORDER BY p.published_at DESC, p.id DESC)),
    'meta', json_object('total', (
        SELECT count(*) FROM publication_categories pcf
        JOIN categories cf ON cf.id = pcf.category_id
        WHERE cf.slug = :category AND pcf.publication_id NOT IN (
            SELECT p.id FROM publications p
            WHERE p.status <> 'published' AND NOT coalesce({_SQLITE_VISIBLE}, 0)))))
"""  # noqa: S608 -- fixed SQL fragments, values are bound

SQLITE_Q2 = f"""
SELECT json_object('data', json_object('id', CAST(p.id AS TEXT), 'slug', p.slug,
    'title', p.title, 'subtitle', p.subtitle, 'excerpt', p.excerpt,
    'published_at', {_SQLITE_TIME.format("p.published_at")},
    'updated_at', {_SQLITE_TIME.format("p.updated_at")}, 'word_count', p.word_count,
    'body_html', p.body_html,
    'authors', json({_SQLITE_AUTHORS.format(bio=", 'bio', a.bio")}),
    'categories', json({_SQLITE_CATEGORIES}),
    'series', (SELECT json_object('id', CAST(s.id AS TEXT), 'slug', s.slug, 'name', s.name)
               FROM series s WHERE s.id = p.series_id),
    'footnotes', json((SELECT json_group_array(json(x)) FROM (
        SELECT json_object('number', f.number, 'text', f.text, 'url', f.url) AS x
        FROM footnotes f WHERE f.publication_id = p.id ORDER BY f.number)))))
FROM publications p WHERE p.slug = :slug AND {_SQLITE_VISIBLE}
"""  # noqa: S608 -- fixed SQL fragments, values are bound

SQLITE_Q3 = f"""
WITH matched AS MATERIALIZED (
    SELECT rowid AS id, bm25(publication_search, 10.0, 4.0, 2.0, 1.0) AS score
    FROM publication_search WHERE publication_search MATCH :match
), hits AS MATERIALIZED (
    SELECT m.id, m.score, p.published_at FROM matched m JOIN publications p ON p.id = m.id
    WHERE {_SQLITE_VISIBLE}
), page AS (SELECT id, score FROM hits ORDER BY score, published_at DESC, id DESC LIMIT :limit)
SELECT json_object(
    'data', (SELECT json_group_array(json(item)) FROM (
        SELECT {_SQLITE_SUMMARY} AS item FROM page JOIN publications p ON p.id = page.id
        ORDER BY page.score, p.published_at DESC, p.id DESC)),
    'meta', json_object('total', (SELECT count(*) FROM hits)))
"""  # noqa: S608 -- fixed SQL fragments, values are bound


class SqliteDatabase:
    """A small pool of aiosqlite connections (each one runs in a thread of its own)."""

    def __init__(self, path: str, size: int = POOL_SIZE) -> None:
        self.path = path
        self.size = size
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            connection = await aiosqlite.connect(self.path)
            # The pragmas Colophon's engine sets for reads (api/db.py).
            await connection.execute("PRAGMA cache_size = -65536")
            await connection.execute("PRAGMA temp_store = MEMORY")
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    async def _json(self, sql: str, params: dict[str, object]) -> bytes | None:
        params["now"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        connection = await self.idle.get()
        try:
            async with connection.execute(sql, params) as cursor:
                row = await cursor.fetchone()
        finally:
            self.idle.put_nowait(connection)
        return None if row is None or row[0] is None else str(row[0]).encode()

    async def category_page(self, category: str, limit: int) -> bytes | None:
        return await self._json(SQLITE_Q1, {"category": category, "limit": limit})

    async def publication(self, slug: str) -> bytes | None:
        return await self._json(SQLITE_Q2, {"slug": slug})

    async def search(self, word: str, limit: int) -> bytes | None:
        match = f'"{_first_word(word)}"*'
        return await self._json(SQLITE_Q3, {"match": match, "limit": limit})


async def _lifespan(receive: Receive, send: Send, database: Database | None = None) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if database is not None:
                await database.open()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if database is not None:
                await database.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})
