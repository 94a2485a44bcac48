"""`colophon import DIR`: load interchange NDJSON files in one transaction.

Streaming (a batch of lines in memory at a time), transactional (the first bad line stops
the import, names file, line and field, and nothing is written), idempotent (records are
matched by id; a line equal to what the database holds is not written again), and fast
(Markdown is rendered in worker processes while the database takes the previous batch).
"""

import asyncio
import json
import os
import sqlite3
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import JSON, Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.db import SQLITE_BUSY_TIMEOUT
from api.interchange.foreign_keys import checked_at_commit
from api.interchange.reading import (
    IMAGE_COLUMNS,
    SIMPLE_ENTITIES,
    load_entities,
    load_publications,
    one_of,
    table_of,
)
from api.interchange.records import (
    RECORD_TYPES,
    EntityRecord,
    PublicationRecord,
    Record,
    RevisionRecord,
    SubscriberRecord,
)
from api.interchange.rendering_worker import render_many
from api.services import content_version, search_index
from api.services.rendering import RenderedBody, check_footnotes
from api.services.search_index import (
    BulkLoad,
    FacetKeys,
    SearchDocument,
    Vectors,
    bulk_load,
    compute_vectors,
    write_documents_sqlite,
    write_vectors_postgres,
)
from api.services.visibility import visible_from
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationSlug,
    PublicationTag,
    Revision,
    Series,
    Subscriber,
    Tag,
    utcnow,
)

BATCH_SIZE = 250
# Publication batches between validation and writing (rendering, computing search vectors),
# so every stage has work while the database writes.
PIPELINE_DEPTH = 3
# A lower bound on a publication line's size, to estimate how many a file holds.
APPROXIMATE_LINE_BYTES = 2048
# Progress is reported every this many bytes read (a report per line cost ~0.1 s of the
# demo-sized import).
PROGRESS_BYTES = 1 << 20
# Below this many publications, starting worker processes costs more than it saves.
POOL_THRESHOLD_BYTES = 2_000_000
# Chunks of a batch (BATCH_SIZE / workers bodies each) a rendering worker takes before it is
# replaced by a fresh one (see _render_pool).
RENDER_TASKS_PER_WORKER = 200


class ImportProblem(Exception):
    """A line that cannot be imported. Its message is one line: `file:line: field: message`."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


@dataclass
class ImportReport:
    read: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    record: Any


ProgressCallback = Callable[[int], None]
BatchWriter = Callable[[AsyncConnection, str, list["Line"]], Awaitable[None]]


async def import_directory(
    engine: AsyncEngine,
    directory: Path,
    *,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import every interchange file found in `directory`, all or nothing."""
    if not directory.is_dir():
        raise ImportProblem(str(directory), None, None, "not a directory")
    files = [
        (t, directory / t.file_name) for t in RECORD_TYPES if (directory / t.file_name).exists()
    ]
    if not files:
        names = ", ".join(t.file_name for t in RECORD_TYPES)
        raise ImportProblem(str(directory), None, None, f"no interchange files (expected {names})")
    size = sum(path.stat().st_size for _, path in files)
    workers = workers or os.cpu_count() or 1
    pool = _render_pool(workers) if size >= POOL_THRESHOLD_BYTES else None
    publications = directory / PublicationRecord.file_name
    expected = publications.stat().st_size // APPROXIMATE_LINE_BYTES if publications.exists() else 0
    importer = _Importer(on_progress or (lambda _n: None), pool, workers)
    try:
        async with AsyncExitStack() as stack:
            if engine.dialect.name == "postgresql" and publications.exists():
                importer.vector_servers = await _vector_servers(stack, engine, workers)
            conn = await stack.enter_async_context(_transaction(engine))
            first_load = await _is_first_load(conn, expected)
            await stack.enter_async_context(checked_at_commit(conn, first_load=first_load))
            importer.bulk = await stack.enter_async_context(bulk_load(conn, expected))
            for record_type, path in files:
                await importer.import_file(conn, record_type, path)
            await _advance_sequences(conn)
            if sum(importer.report.written.values()):
                await content_version.bump(conn)  # running servers' caches must let go
    except Exception as exc:
        if not _refused_by_constraint(exc):
            raise
        # Checks run before every write, so this is a rule the checks do not know of.
        orig = getattr(exc, "orig", exc)
        raise ImportProblem(
            importer.current_file,
            importer.current_line,
            None,
            f"the database refused the batch ending here: {type(orig).__name__}",
        ) from exc
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return importer.report


@asynccontextmanager
async def _transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The import's one transaction.

    A first load into an empty SQLite database writes with a rollback journal instead of
    the write-ahead log: every page is written once, into the database file, instead of
    into the log and then copied into the file by the checkpoint that follows the commit
    (~190 MB for the demo-sized dataset: about a fifth of the import's time). SQLite
    refuses to leave WAL mode while another connection has the database open, so a
    running server keeps its readers and the import just keeps the log."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            # The batches' lookups (ids, slugs) are prepared statements. Planned generically
            # while the tables were small, they would scan them whole for the rest of the
            # import, which grows them: each batch slower than the last (100,000
            # publications took 380 s, 90% of the server's time in those scans).
            await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            yield conn
        return
    await engine.dispose()  # this process's idle connections would keep WAL mode on
    async with engine.connect() as conn:
        driver = await _driver(conn)
        journal = await _leave_wal_if_empty(driver)
        try:
            async with conn.begin():
                yield conn
        finally:
            if journal:
                await driver.execute("PRAGMA journal_mode = WAL")


async def _leave_wal_if_empty(driver: Any) -> bool:
    """SQLite: switch to a rollback journal if no publication is stored yet and no other
    connection is open. True when it switched."""
    async with driver.execute("SELECT EXISTS (SELECT 1 FROM publications)") as cursor:
        (holds_publications,) = await cursor.fetchone()
    if holds_publications:
        return False
    await driver.execute("PRAGMA busy_timeout = 0")  # another connection: don't wait, keep WAL
    try:
        async with driver.execute("PRAGMA journal_mode = DELETE") as cursor:
            (mode,) = await cursor.fetchone()
    except sqlite3.OperationalError:  # "database is locked": someone else has it open
        return False
    finally:
        await driver.execute(SQLITE_BUSY_TIMEOUT)
    return str(mode).lower() == "delete"


async def _is_first_load(conn: AsyncConnection, expected: int) -> bool:
    """A bulk load (see search_index.bulk_load) into a database without publications."""
    if expected < search_index.BULK_LOAD_MINIMUM:
        return False
    return await conn.scalar(select(table_of(Publication).c.id).limit(1)) is None


def _refused_by_constraint(exc: Exception) -> bool:
    """SQLAlchemy's IntegrityError, or asyncpg's own (SQLSTATE class 23) from a bulk path."""
    return isinstance(exc, IntegrityError) or str(getattr(exc, "sqlstate", "")).startswith("23")


async def _vector_servers(
    stack: AsyncExitStack, engine: AsyncEngine, workers: int
) -> "asyncio.Queue[Any]":
    """PostgreSQL connections besides the import's own, one per core, on which the server
    computes search vectors while the import's connection writes. They only compute: the
    import's transaction stays the one place anything is written."""
    servers: asyncio.Queue[Any] = asyncio.Queue()
    for _ in range(workers):
        conn = await stack.enter_async_context(engine.connect())
        servers.put_nowait(await _driver(conn))
    return servers


async def _driver(conn: AsyncConnection) -> Any:
    """The driver's own connection (asyncpg or aiosqlite) under SQLAlchemy's, for the bulk
    paths SQLAlchemy has no words for (binary COPY) or that its per-row work slows."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def read_lines(path: Path, record_type: type[Record], on_bytes: ProgressCallback) -> Iterator[Line]:
    """Parse and validate a file line by line; the first bad line raises ImportProblem."""
    unreported = 0  # bytes read since the last progress report
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            unreported += len(raw)
            if unreported >= PROGRESS_BYTES:
                on_bytes(unreported)
                unreported = 0
            if not raw.strip():
                continue
            try:
                yield Line(number, record_type.model_validate_json(raw))
            except ValidationError as exc:
                error = exc.errors(include_url=False)[0]
                if error["type"] == "json_invalid":
                    raise ImportProblem(path.name, number, None, "malformed JSON") from None
                raise ImportProblem(
                    path.name, number, _field_path(error["loc"]) or None, error["msg"]
                ) from None
    on_bytes(unreported)


@dataclass(frozen=True, slots=True)
class _PublicationBatch:
    """Changed publications of one batch, merged with what the database holds, and what
    writing them needs besides: which ids exist already, and the names to index."""

    lines: list[Line]
    existing: set[int]
    names: "_Names"
    last_line: int


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A batch's derived data: rendered bodies, search documents, and on PostgreSQL their
    vectors (computed by another connection)."""

    rendered: list[RenderedBody]
    documents: list[SearchDocument]
    vectors: list[Vectors] | None


class _Importer:
    def __init__(
        self, on_progress: ProgressCallback, pool: Executor | None, render_workers: int
    ) -> None:
        self.on_progress = on_progress
        self.pool = pool
        self.render_workers = render_workers
        self.report = ImportReport()
        self.current_file = ""
        self.current_line: int | None = None
        # PostgreSQL connections that compute search vectors (see _vector_servers).
        self.vector_servers: asyncio.Queue[Any] | None = None
        # Slugs of batches still in the pipeline: not in the database yet, but taken.
        self.pending_slugs: dict[str, int] = {}
        # Ids of the publications file read so far (see _import_publications).
        self.seen_ids: set[int] = set()
        # The search index's bulk load, if any: its indexes are built once the last
        # publication is read (see _import_publications).
        self.bulk: BulkLoad | None = None

    async def import_file(
        self, conn: AsyncConnection, record_type: type[Record], path: Path
    ) -> None:
        self.current_file = path.name
        self.seen_ids = set()
        batches = _read_ahead(_batches(read_lines(path, record_type, self.on_progress), BATCH_SIZE))
        if record_type is PublicationRecord:
            await self._import_publications(conn, path.name, batches)
            return
        writers: dict[type[Record], BatchWriter] = {
            RevisionRecord: self._write_revisions,
            SubscriberRecord: self._write_subscribers,
        }
        writer = writers.get(record_type, self._write_entities)
        async for batch in batches:
            self._start_batch(path.name, batch)
            await writer(conn, path.name, batch)

    def _start_batch(self, file: str, batch: list[Line]) -> None:
        self.current_line = batch[-1].number
        self.report.read[file.removesuffix(".ndjson")] += len(batch)
        _reject_repeated_ids(file, batch)

    async def _import_publications(
        self, conn: AsyncConnection, file: str, batches: AsyncIterator[list[Line]]
    ) -> None:
        """A pipeline: while one batch is written, the next ones render in worker processes
        and (PostgreSQL) have their search vectors computed on other connections."""
        in_flight: deque[tuple[_PublicationBatch, asyncio.Task[_Prepared]]] = deque()
        try:
            async for lines in batches:
                self._start_batch(file, lines)
                if self._repeats_earlier_batch(lines):
                    # Compared with the database, a later line replaces the earlier one: the
                    # earlier one must be written first. Rare, so the pipeline just drains.
                    while in_flight:
                        await self._write_publications(conn, *await _next(in_flight))
                batch = await self._changed_publications(conn, file, lines)
                in_flight.append((batch, asyncio.create_task(self._prepare(batch))))
                while len(in_flight) > PIPELINE_DEPTH:
                    await self._write_publications(conn, *await _next(in_flight))
            if self.bulk is not None:
                # The import's connection builds the indexes while the batches in flight
                # render and get their vectors elsewhere: the build no longer runs alone.
                await self.bulk.build_indexes()
            while in_flight:
                await self._write_publications(conn, *await _next(in_flight))
        finally:
            # After a failure: stop the batches still in flight, and let them finish
            # cancelling before their connections are closed.
            for _, task in in_flight:
                task.cancel()
            await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)

    # -- authors, categories, series, tags --------------------------------------------------

    async def _write_entities(self, conn: AsyncConnection, file: str, batch: list[Line]) -> None:
        record_type = type(batch[0].record)
        table = table_of(SIMPLE_ENTITIES[record_type])
        existing = await load_entities(conn, record_type, [line.record.id for line in batch])
        changed = [line for line in batch if _differs(line.record, existing.get(line.record.id))]
        if not changed:
            return
        await _check_unique(conn, file, table, "slug", changed)
        now = utcnow()
        rows = [
            _entity_row(line.record, existing.get(line.record.id), table, now) for line in changed
        ]
        await _upsert(conn, table, rows, ["id"])
        self.report.written[file.removesuffix(".ndjson")] += len(rows)

    # -- publications --------------------------------------------------------------------

    def _repeats_earlier_batch(self, lines: list[Line]) -> bool:
        ids = {line.record.id for line in lines}
        repeats = not ids.isdisjoint(self.seen_ids)
        self.seen_ids |= ids
        return repeats

    async def _changed_publications(
        self, conn: AsyncConnection, file: str, batch: list[Line]
    ) -> _PublicationBatch:
        for line in batch:
            record: PublicationRecord = line.record
            problems = check_footnotes(record.body_markdown, [f.number for f in record.footnotes])
            if problems:
                raise ImportProblem(file, line.number, problems[0].field, problems[0].message)
        existing = await load_publications(conn, [line.record.id for line in batch])
        changed = [
            Line(line.number, _merge(line.record, existing.get(line.record.id)))
            for line in batch
            if _differs(line.record, existing.get(line.record.id))
        ]
        names = _Names()
        if changed:
            names = await _check_references(conn, file, changed)
            await _check_unique(
                conn, file, table_of(Publication), "slug", changed, also_taken=self.pending_slugs
            )
            await _check_previous_slugs(conn, file, changed)
        self.pending_slugs.update((line.record.slug, line.record.id) for line in changed)
        return _PublicationBatch(changed, set(existing), names, batch[-1].number)

    async def _prepare(self, batch: _PublicationBatch) -> _Prepared:
        rendered = await self._render(batch.lines)
        documents = [
            _search_document(line.record, body, batch.names)
            for line, body in zip(batch.lines, rendered, strict=True)
        ]
        vectors = None
        if self.vector_servers is not None and documents:
            server = await self.vector_servers.get()
            try:
                vectors = await compute_vectors(server, documents)
            finally:
                self.vector_servers.put_nowait(server)
        return _Prepared(rendered, documents, vectors)

    async def _render(self, lines: list[Line]) -> list[RenderedBody]:
        sources = [
            (
                line.record.body_markdown,
                [(f.number, f.text) for f in line.record.footnotes],
            )
            for line in lines
        ]
        if self.pool is None or not sources:
            return render_many(sources)
        # One chunk per worker, so a batch renders on every core.
        size = -(-len(sources) // self.render_workers)
        loop = asyncio.get_running_loop()
        chunks = await asyncio.gather(
            *(
                loop.run_in_executor(self.pool, render_many, sources[start : start + size])
                for start in range(0, len(sources), size)
            )
        )
        return [body for chunk in chunks for body in chunk]

    async def _write_publications(
        self, conn: AsyncConnection, batch: _PublicationBatch, prepared: _Prepared
    ) -> None:
        lines = batch.lines
        self.current_line = batch.last_line
        for line in lines:
            self.pending_slugs.pop(line.record.slug, None)
        if not lines:
            return
        table = table_of(Publication)
        rows = [
            _publication_row(line.record, body)
            for line, body in zip(lines, prepared.rendered, strict=True)
        ]
        # Publications new to the database have no links, notes or index entries to replace.
        updated = [line.record.id for line in lines if line.record.id in batch.existing]
        await _insert(conn, Publication, [r for r in rows if r["id"] not in batch.existing])
        await _upsert(conn, table, [r for r in rows if r["id"] in batch.existing], ["id"])
        if updated:
            for model in (
                PublicationAuthor,
                PublicationCategory,
                PublicationTag,
                Footnote,
                PublicationSlug,
            ):
                link_table = table_of(model)
                await conn.execute(
                    delete(link_table).where(one_of(conn, link_table.c.publication_id, updated))
                )
        await _insert(conn, PublicationAuthor, _link_rows(lines, "author_ids", "author_id"))
        await _insert(conn, PublicationCategory, _link_rows(lines, "category_ids", "category_id"))
        await _insert(conn, PublicationTag, _link_rows(lines, "tag_ids", "tag_id"))
        await _insert(conn, Footnote, _footnote_rows(lines))
        await _insert(conn, PublicationSlug, _previous_slug_rows(lines))
        await self._write_index(conn, prepared, updated)
        self.report.written["publications"] += len(rows)

    async def _write_index(
        self, conn: AsyncConnection, prepared: _Prepared, updated: list[int]
    ) -> None:
        driver = await _driver(conn)
        if conn.dialect.name == "sqlite":
            await write_documents_sqlite(driver, prepared.documents, updated)
            return
        assert prepared.vectors is not None
        await write_vectors_postgres(driver, prepared.documents, prepared.vectors, updated)

    # -- revisions and subscribers -------------------------------------------------------

    async def _write_revisions(self, conn: AsyncConnection, file: str, batch: list[Line]) -> None:
        publications = table_of(Publication)
        wanted = {line.record.publication_id for line in batch}
        found = set(
            (
                await conn.execute(
                    select(publications.c.id).where(one_of(conn, publications.c.id, wanted))
                )
            ).scalars()
        )
        for line in batch:
            if line.record.publication_id not in found:
                raise ImportProblem(
                    file,
                    line.number,
                    "publication_id",
                    f"no publication with id {line.record.publication_id}",
                )
        rows = [line.record.model_dump() for line in batch]
        await _upsert(conn, table_of(Revision), rows, ["publication_id", "number"])
        self.report.written["revisions"] += len(rows)

    async def _write_subscribers(self, conn: AsyncConnection, file: str, batch: list[Line]) -> None:
        table = table_of(Subscriber)
        await _check_unique(conn, file, table, "email", batch)
        now = utcnow()
        rows = []
        for line in batch:
            row = line.record.model_dump()
            row["created_at"] = row["created_at"] or now
            row["updated_at"] = row["updated_at"] or row["created_at"]
            row["version"] = row["version"] or 1
            rows.append(row)
        await _upsert(conn, table, rows, ["id"])
        self.report.written["subscribers"] += len(rows)


def _render_pool(workers: int) -> Executor:
    # cmark-gfm's extensions leak ~25 kB per rendered body (cmarkgfm 2025.10.22): importing
    # 1,000,000 publications grew each worker past 8 GB. Replacing the workers after
    # RENDER_TASKS_PER_WORKER chunks each (~25,000 bodies, under 1 GB) costs one start-up.
    return _RecycledPool(workers, workers * RENDER_TASKS_PER_WORKER)


class _RecycledPool(Executor):
    """A process pool replaced by a fresh one after `tasks` submissions; the old one
    finishes what it was given, then its workers exit. Not `max_tasks_per_child`: up to
    Python 3.13 a pool using it can stop replacing its workers and hang for good
    (CPython gh-115634), which stalled imports of 100,000 publications."""

    def __init__(self, workers: int, tasks: int) -> None:
        self._workers, self._tasks = workers, tasks
        self._pool, self._submitted = self._fresh(), 0

    def _fresh(self) -> ProcessPoolExecutor:
        # forkserver: workers start from a clean process, not a fork of our event loop's
        # threads.
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=get_context("forkserver"))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        if self._submitted >= self._tasks:
            self._pool.shutdown(wait=False)
            self._pool, self._submitted = self._fresh(), 0
        self._submitted += 1
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


async def _read_ahead(batches: Iterator[list[Line]], depth: int = 2) -> AsyncIterator[list[Line]]:
    """Parse and validate the next batches while the database works on this one (the
    database driver runs outside the GIL: SQLite in its thread, PostgreSQL in its server)."""
    queue: asyncio.Queue[list[Line] | BaseException | None] = asyncio.Queue(depth)

    async def produce() -> None:
        try:
            for batch in batches:
                await queue.put(batch)
            await queue.put(None)
        except Exception as exc:  # handed to the consumer, which raises it in order
            await queue.put(exc)

    producer = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        producer.cancel()


async def _next(
    in_flight: "deque[tuple[_PublicationBatch, asyncio.Task[_Prepared]]]",
) -> tuple[_PublicationBatch, _Prepared]:
    batch, task = in_flight.popleft()
    return batch, await task


def _batches(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    batch: list[Line] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _reject_repeated_ids(file: str, batch: list[Line]) -> None:
    seen: dict[object, int] = {}
    for line in batch:
        key = _identity(line.record)
        if key in seen:
            raise ImportProblem(file, line.number, "id", f"repeats line {seen[key]}")
        seen[key] = line.number


def _identity(record: Record) -> object:
    if isinstance(record, RevisionRecord):
        return (record.publication_id, record.number)
    assert isinstance(record, EntityRecord)
    return record.id


def _differs(incoming: Record, existing: Record | None) -> bool:
    """True unless every field the line gives already holds that value."""
    if existing is None:
        return True
    return any(
        getattr(incoming, name) != getattr(existing, name) for name in incoming.model_fields_set
    )


def _merge(incoming: PublicationRecord, existing: PublicationRecord | None) -> PublicationRecord:
    """Fields the line leaves out keep what the database holds (a re-import of the benchmark
    format does not wipe editorial notes or slug history)."""
    if existing is None:
        return incoming
    kept = {
        name: getattr(existing, name)
        for name in PublicationRecord.model_fields
        if name not in incoming.model_fields_set
    }
    if "version" not in incoming.model_fields_set:
        kept["version"] = (existing.version or 0) + 1
    return incoming.model_copy(update=kept)


def _entity_row(
    record: EntityRecord, existing: EntityRecord | None, table: Table, now: Any
) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in type(record).model_fields if name in table.c}
    for name in type(record).model_fields:
        if name not in record.model_fields_set and existing is not None and name in table.c:
            row[name] = getattr(existing, name)
    if "version" not in record.model_fields_set:
        row["version"] = (existing.version or 0) + 1 if existing is not None else 1
    row["created_at"] = row.get("created_at") or now
    row["updated_at"] = row.get("updated_at") or now
    return row


def _publication_row(record: PublicationRecord, body: RenderedBody) -> dict[str, Any]:
    image = record.featured_image
    created = record.created_at or record.published_at or record.updated_at or utcnow()
    row: dict[str, Any] = {
        "id": record.id,
        "slug": record.slug,
        "title": record.title,
        "subtitle": record.subtitle,
        "status": str(record.status),
        "published_at": record.published_at,
        "created_at": created,
        "updated_at": record.updated_at or created,
        "series_id": record.series_id,
        "excerpt": record.excerpt,
        "body_markdown": record.body_markdown,
        "body_html": body.html,
        "body_text": body.text,
        "word_count": body.word_count,
        "editorial_notes": record.editorial_notes,
        "version": record.version or 1,
    }
    for key, column in IMAGE_COLUMNS.items():
        row[column] = getattr(image, key) if image is not None else None
    return row


def _link_rows(lines: list[Line], field_name: str, column: str) -> list[dict[str, int]]:
    return [
        {"publication_id": line.record.id, column: target, "position": position}
        for line in lines
        for position, target in enumerate(getattr(line.record, field_name))
    ]


def _footnote_rows(lines: list[Line]) -> list[dict[str, Any]]:
    return [
        {
            "publication_id": line.record.id,
            "number": note.number,
            "text": note.text,
            "url": note.url,
            "citation": note.citation.model_dump(exclude_none=True) if note.citation else None,
        }
        for line in lines
        for note in line.record.footnotes
    ]


def _previous_slug_rows(lines: list[Line]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {"slug": slug, "publication_id": line.record.id, "retired_at": now}
        for line in lines
        for slug in line.record.previous_slugs
    ]


_REFERENCES: tuple[tuple[str, Any, str], ...] = (
    ("author_ids", Author, "author"),
    ("category_ids", Category, "category"),
    ("tag_ids", Tag, "tag"),
    ("series_id", Series, "series"),
)


@dataclass(frozen=True, slots=True)
class _Names:
    """Names of the authors, categories and series a batch refers to, for the search index."""

    authors: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    series: dict[int, str] = field(default_factory=dict)


async def _check_references(conn: AsyncConnection, file: str, lines: list[Line]) -> _Names:
    """Every id a publication refers to exists, so the message can name the field."""
    names = _Names()
    indexed = {
        "author_ids": names.authors,
        "category_ids": names.categories,
        "series_id": names.series,
    }
    for field_name, model, kind in _REFERENCES:
        wanted = {target for line in lines for _, target in _references(line, field_name)}
        if not wanted:
            continue
        table = table_of(model)
        rows = await conn.execute(
            select(table.c.id, table.c.name).where(one_of(conn, table.c.id, wanted))
        )
        found: dict[int, str] = {row[0]: row[1] for row in rows}
        for line in lines:
            for where, target in _references(line, field_name):
                if target not in found:
                    raise ImportProblem(file, line.number, where, f"no {kind} with id {target}")
        if field_name in indexed:
            indexed[field_name].update(found)
    return names


def _search_document(
    record: PublicationRecord, body: RenderedBody, names: _Names
) -> SearchDocument:
    series = names.series[record.series_id] if record.series_id is not None else None
    return SearchDocument.of(
        record.id,
        title=record.title,
        subtitle=record.subtitle,
        excerpt=record.excerpt,
        author_names=[names.authors[i] for i in record.author_ids],
        category_names=[names.categories[i] for i in record.category_ids],
        series_name=series,
        body_text=body.text,
        footnote_texts=[note.text for note in sorted(record.footnotes, key=lambda n: n.number)],
        facets=FacetKeys(
            record.published_at,
            record.series_id,
            tuple(sorted(record.category_ids)),
            tuple(sorted(record.author_ids)),
            visible_from(record.status, record.published_at),
        ),
    )


def _references(line: Line, field_name: str) -> list[tuple[str, int]]:
    """(field path, id) for each id a reference field holds: a list or a single id."""
    value = getattr(line.record, field_name)
    if isinstance(value, list):
        return [(f"{field_name}[{index}]", target) for index, target in enumerate(value)]
    return [(field_name, value)] if value is not None else []


async def _check_unique(
    conn: AsyncConnection,
    file: str,
    table: Table,
    column: str,
    lines: list[Line],
    also_taken: dict[str, int] | None = None,
) -> None:
    """A value of a unique column may not repeat in the batch or belong to another id."""
    owner: dict[str, int] = {}
    for line in lines:
        value = getattr(line.record, column)
        if value in owner:
            raise ImportProblem(file, line.number, column, f"{value!r} is used by another line")
        owner[value] = line.record.id
    rows = await conn.execute(
        select(table.c.id, table.c[column]).where(one_of(conn, table.c[column], owner))
    )
    taken = {value: record_id for record_id, value in rows if owner[value] != record_id}
    taken.update(
        (value, record_id)
        for value, record_id in (also_taken or {}).items()
        if value in owner and owner[value] != record_id
    )
    for line in lines:
        value = getattr(line.record, column)
        if value in taken:
            raise ImportProblem(
                file, line.number, column, f"{value!r} already belongs to id {taken[value]}"
            )


async def _check_previous_slugs(conn: AsyncConnection, file: str, lines: list[Line]) -> None:
    wanted = {slug: line for line in lines for slug in line.record.previous_slugs}
    if not wanted:
        return
    history, current = table_of(PublicationSlug), table_of(Publication)
    rows = list(
        await conn.execute(
            select(history.c.slug, history.c.publication_id).where(
                one_of(conn, history.c.slug, wanted)
            )
        )
    ) + list(
        await conn.execute(
            select(current.c.slug, current.c.id).where(one_of(conn, current.c.slug, wanted))
        )
    )
    for slug, publication_id in rows:
        line = wanted[slug]
        if publication_id != line.record.id:
            raise ImportProblem(
                file,
                line.number,
                "previous_slugs",
                f"{slug!r} belongs to publication {publication_id}",
            )


async def _upsert(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    if not rows:
        return
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
    )
    try:
        await conn.execute(statement, rows)
    except DBAPIError as exc:
        if isinstance(exc, IntegrityError):
            raise
        raise ImportProblem(table.name, None, None, "the database refused a value") from exc


async def _insert(conn: AsyncConnection, model: Any, rows: list[dict[str, Any]]) -> None:
    """Rows that are new to the table. PostgreSQL takes them with a binary COPY: one
    message for the batch, no statement executed per row, no SQLAlchemy work per value."""
    if not rows:
        return
    table = table_of(model)
    if conn.dialect.name != "postgresql":
        if model in _LINK_MODELS:
            await _insert_links_sqlite(conn, table, rows)
        else:
            await conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])  # every row has these keys, in this order
    records = [tuple(row.values()) for row in rows]
    for index, name in enumerate(columns):
        if isinstance(table.c[name].type, JSON):  # asyncpg takes JSON as text
            records = [_json_at(record, index) for record in records]
    try:
        await (await _driver(conn)).copy_records_to_table(
            table.name, records=records, columns=columns
        )
    except Exception as exc:
        if getattr(exc, "sqlstate", None) is None or _refused_by_constraint(exc):
            raise
        raise ImportProblem(table.name, None, None, "the database refused a value") from exc


# Link tables: integers only, and rows that fire the publication counts' triggers.
_LINK_MODELS = (PublicationAuthor, PublicationCategory, PublicationTag)


async def _insert_links_sqlite(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """A batch of link rows in one statement, read from a JSON array. SQLite opens a
    statement journal at each execution of a statement that fires triggers: executed once
    per row, the counts' triggers cost ~15 µs a link; executed once, under 1."""
    columns = list(rows[0])
    values = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(columns)))
    await conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM json_each(?)",  # noqa: S608 -- the table's own names
        (json.dumps([list(row.values()) for row in rows]),),
    )


def _json_at(record: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    value = record[index]
    if value is None:
        return record
    return (*record[:index], json.dumps(value), *record[index + 1 :])


async def _advance_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: ids given by the import must not be handed out again by the sequences."""
    if conn.dialect.name != "postgresql":
        return
    for model in (Author, Category, Series, Tag, Publication, Subscriber):
        table = table_of(model)
        highest = await conn.scalar(select(func.max(table.c.id)))
        if highest is not None:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value)"),
                {"table": table.name, "value": highest},
            )
