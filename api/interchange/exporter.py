"""`colophon export DIR`: everything the model holds but users and tokens, as NDJSON.

The output is a superset of the import format, and `import` takes it back identically.
"""

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.interchange.reading import SIMPLE_ENTITIES, stream_entities, stream_publications, table_of
from api.interchange.records import (
    PublicationRecord,
    Record,
    RevisionRecord,
    SubscriberRecord,
)
from models import Revision, Subscriber, SubscriberStatus

BATCH_SIZE = 1000


async def export_directory(
    engine: AsyncEngine, directory: Path, *, on_record: Callable[[], None] | None = None
) -> Counter[str]:
    """Write one file per record type, in a single read transaction (a consistent copy)."""
    directory.mkdir(parents=True, exist_ok=True)
    tick = on_record or (lambda: None)
    counts: Counter[str] = Counter()
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for record_type in SIMPLE_ENTITIES:
            counts[record_type.file_name] = await _write(
                directory / record_type.file_name, stream_entities(conn, record_type), tick
            )
        counts[PublicationRecord.file_name] = await _write(
            directory / PublicationRecord.file_name, stream_publications(conn), tick
        )
        counts[RevisionRecord.file_name] = await _write(
            directory / RevisionRecord.file_name, _revisions(conn), tick
        )
        counts[SubscriberRecord.file_name] = await _write(
            directory / SubscriberRecord.file_name, _subscribers(conn), tick
        )
    return counts


async def _write(path: Path, records: AsyncIterator[Record], tick: Callable[[], None]) -> int:
    written = 0
    partial = path.with_suffix(path.suffix + ".partial")
    with partial.open("wb") as handle:
        async for record in records:
            handle.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
            written += 1
            tick()
    partial.replace(path)
    return written


async def _revisions(conn: AsyncConnection) -> AsyncIterator[Record]:
    table = table_of(Revision)
    columns = [table.c[name] for name in RevisionRecord.model_fields]
    result = await conn.stream(select(*columns).order_by(table.c.publication_id, table.c.number))
    async for row in result:
        yield RevisionRecord.model_construct(**row._asdict())


async def _subscribers(conn: AsyncConnection) -> AsyncIterator[Record]:
    table = table_of(Subscriber)
    columns = [table.c[name] for name in SubscriberRecord.model_fields]
    result = await conn.stream(select(*columns).order_by(table.c.id))
    async for row in result:
        values = row._asdict()
        values["status"] = SubscriberStatus(values["status"])
        yield SubscriberRecord.model_construct(**values)
