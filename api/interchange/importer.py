"""`colophon import DIR`: load interchange NDJSON files in one transaction.

Streaming (a batch of lines in memory at a time), transactional (the first bad line stops
the import, names file, line and field, and nothing is written), idempotent (records are
matched by id; a line equal to what the database holds is not written again), and fast
(Markdown is rendered in worker processes while the database takes the previous batch).
"""

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.interchange.reading import (
    IMAGE_COLUMNS,
    SIMPLE_ENTITIES,
    load_entities,
    load_publications,
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
from api.services.rendering import FootnoteSource, RenderedBody, check_footnotes, render_body
from api.services.search_index import bulk_load, reindex_publications
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

BATCH_SIZE = 500
# A lower bound on a publication line's size, to estimate how many a file holds.
APPROXIMATE_LINE_BYTES = 2048
# Below this many publications, starting worker processes costs more than it saves.
POOL_THRESHOLD_BYTES = 2_000_000


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
    pool = _render_pool(workers) if size >= POOL_THRESHOLD_BYTES else None
    importer = _Importer(on_progress or (lambda _n: None), pool)
    publications = directory / PublicationRecord.file_name
    expected = publications.stat().st_size // APPROXIMATE_LINE_BYTES if publications.exists() else 0
    try:
        async with engine.begin() as conn, bulk_load(conn, expected):
            for record_type, path in files:
                await importer.import_file(conn, record_type, path)
            await _advance_sequences(conn)
    except IntegrityError as exc:
        # Checks run before every write, so this is a rule the checks do not know of.
        raise ImportProblem(
            importer.current_file,
            importer.current_line,
            None,
            f"the database refused the batch ending here: {type(exc.orig).__name__}",
        ) from exc
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return importer.report


def read_lines(path: Path, record_type: type[Record], on_bytes: ProgressCallback) -> Iterator[Line]:
    """Parse and validate a file line by line; the first bad line raises ImportProblem."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            on_bytes(len(raw))
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


class _Importer:
    def __init__(self, on_progress: ProgressCallback, pool: Executor | None) -> None:
        self.on_progress = on_progress
        self.pool = pool
        self.report = ImportReport()
        self.current_file = ""
        self.current_line: int | None = None
        # Slugs of the batch still rendering: not in the database yet, but taken.
        self.pending_slugs: dict[str, int] = {}

    async def import_file(
        self, conn: AsyncConnection, record_type: type[Record], path: Path
    ) -> None:
        self.current_file = path.name
        writers: dict[type[Record], BatchWriter] = {
            RevisionRecord: self._write_revisions,
            SubscriberRecord: self._write_subscribers,
        }
        writer = writers.get(record_type, self._write_entities)
        pending: asyncio.Future[list[RenderedBody]] | None = None
        previous: list[Line] = []
        batches = _batches(read_lines(path, record_type, self.on_progress), BATCH_SIZE)
        async for batch in _read_ahead(batches):
            self.current_line = batch[-1].number
            self.report.read[path.stem] += len(batch)
            _reject_repeated_ids(path.name, batch)
            # Publications pipeline: this batch renders in workers while the last one writes.
            if record_type is PublicationRecord:
                changed = await self._changed_publications(conn, path.name, batch)
                future = self._render(changed)
                if pending is not None:
                    await self._write_publications(conn, previous, await pending)
                pending, previous = future, changed
            else:
                await writer(conn, path.name, batch)
        if pending is not None:
            await self._write_publications(conn, previous, await pending)

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

    async def _changed_publications(
        self, conn: AsyncConnection, file: str, batch: list[Line]
    ) -> list[Line]:
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
        if changed:
            await _check_references(conn, file, changed)
            await _check_unique(
                conn, file, table_of(Publication), "slug", changed, also_taken=self.pending_slugs
            )
            await _check_previous_slugs(conn, file, changed)
        self.pending_slugs = {line.record.slug: line.record.id for line in changed}
        return changed

    def _render(self, lines: list[Line]) -> "asyncio.Future[list[RenderedBody]]":
        sources = [
            (
                line.record.body_markdown,
                [(f.number, f.text) for f in line.record.footnotes],
            )
            for line in lines
        ]
        loop = asyncio.get_running_loop()
        if self.pool is None or not sources:
            future: asyncio.Future[list[RenderedBody]] = loop.create_future()
            future.set_result(render_many(sources))
            return future
        return loop.run_in_executor(self.pool, render_many, sources)

    async def _write_publications(
        self, conn: AsyncConnection, lines: list[Line], rendered: list[RenderedBody]
    ) -> None:
        if not lines:
            return
        table = table_of(Publication)
        ids = [line.record.id for line in lines]
        rows = [
            _publication_row(line.record, body) for line, body in zip(lines, rendered, strict=True)
        ]
        await _upsert(conn, table, rows, ["id"])
        for model in (
            PublicationAuthor,
            PublicationCategory,
            PublicationTag,
            Footnote,
            PublicationSlug,
        ):
            link_table = table_of(model)
            await conn.execute(delete(link_table).where(link_table.c.publication_id.in_(ids)))
        await _insert(conn, PublicationAuthor, _link_rows(lines, "author_ids", "author_id"))
        await _insert(conn, PublicationCategory, _link_rows(lines, "category_ids", "category_id"))
        await _insert(conn, PublicationTag, _link_rows(lines, "tag_ids", "tag_id"))
        await _insert(conn, Footnote, _footnote_rows(lines))
        await _insert(conn, PublicationSlug, _previous_slug_rows(lines))
        await reindex_publications(conn, ids)
        self.report.written["publications"] += len(rows)

    # -- revisions and subscribers -------------------------------------------------------

    async def _write_revisions(self, conn: AsyncConnection, file: str, batch: list[Line]) -> None:
        publications = table_of(Publication)
        wanted = {line.record.publication_id for line in batch}
        found = set(
            (
                await conn.execute(select(publications.c.id).where(publications.c.id.in_(wanted)))
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


def render_many(sources: Sequence[tuple[str, list[tuple[int, str]]]]) -> list[RenderedBody]:
    """Render bodies; runs in a worker process, so it takes and returns plain data."""
    return [
        render_body(body, [FootnoteSource(number, text) for number, text in notes])
        for body, notes in sources
    ]


def _render_pool(workers: int | None) -> Executor:
    # forkserver: workers start from a clean process, not a fork of our event loop's threads.
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1, mp_context=get_context("forkserver")
    )


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


async def _check_references(conn: AsyncConnection, file: str, lines: list[Line]) -> None:
    """Every id a publication refers to exists, so the message can name the field."""
    for field_name, model, kind in _REFERENCES:
        wanted = {target for line in lines for _, target in _references(line, field_name)}
        if not wanted:
            continue
        table = table_of(model)
        found = set(
            (await conn.execute(select(table.c.id).where(table.c.id.in_(wanted)))).scalars()
        )
        for line in lines:
            for where, target in _references(line, field_name):
                if target not in found:
                    raise ImportProblem(file, line.number, where, f"no {kind} with id {target}")


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
        select(table.c.id, table.c[column]).where(table.c[column].in_(list(owner)))
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
            select(history.c.slug, history.c.publication_id).where(history.c.slug.in_(list(wanted)))
        )
    ) + list(
        await conn.execute(
            select(current.c.slug, current.c.id).where(current.c.slug.in_(list(wanted)))
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
    if rows:
        await conn.execute(table_of(model).insert(), rows)


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
