"""Read the database back as interchange records: what `export` writes, and what `import`
compares incoming lines with (so a re-import writes only what changed)."""

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from api.interchange.records import (
    AuthorRecord,
    CategoryRecord,
    CitationRecord,
    EntityRecord,
    FootnoteRecord,
    ImageRecord,
    PublicationRecord,
    SeriesRecord,
    TagRecord,
)
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationSlug,
    PublicationStatus,
    PublicationTag,
    Series,
    Tag,
)

IMAGE_COLUMNS = {
    "url": "image_url",
    "alt": "image_alt",
    "credit": "image_credit",
    "license": "image_license",
    "license_url": "image_license_url",
    "source_url": "image_source_url",
}
SIMPLE_ENTITIES: dict[type[EntityRecord], Any] = {
    AuthorRecord: Author,
    CategoryRecord: Category,
    SeriesRecord: Series,
    TagRecord: Tag,
}
_LINKS: tuple[tuple[str, Any, str], ...] = (
    ("author_ids", PublicationAuthor, "author_id"),
    ("category_ids", PublicationCategory, "category_id"),
    ("tag_ids", PublicationTag, "tag_id"),
)


def table_of(model: Any) -> Table:
    table: Table = model.__table__
    return table


def one_of(conn: AsyncConnection, column: ColumnElement[Any], values: Collection[Any]) -> Any:
    """`column IN (values)`. On PostgreSQL one array parameter (`= ANY($1)`), so the
    statement's text, SQLAlchemy's compiled form and the server's prepared statement are the
    same whatever the number of values (an expanding IN renders a placeholder per value on
    every execution); SQLite has no arrays and gets the expanding IN."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


async def load_entities(
    conn: AsyncConnection, record_type: type[EntityRecord], ids: Sequence[int]
) -> dict[int, EntityRecord]:
    """Authors, categories, series or tags with these ids, as records."""
    table = table_of(SIMPLE_ENTITIES[record_type])
    fields = [f for f in record_type.model_fields if f in table.c]
    rows = await conn.execute(
        select(*(table.c[f] for f in fields)).where(one_of(conn, table.c.id, ids))
    )
    return {row.id: record_type.model_construct(**row._asdict()) for row in rows}


async def stream_entities(
    conn: AsyncConnection, record_type: type[EntityRecord], batch_size: int = 1000
) -> AsyncIterator[EntityRecord]:
    table = table_of(SIMPLE_ENTITIES[record_type])
    async for ids in _id_batches(conn, table, batch_size):
        records = await load_entities(conn, record_type, ids)
        for record_id in ids:
            yield records[record_id]


async def load_publications(
    conn: AsyncConnection, ids: Sequence[int]
) -> dict[int, PublicationRecord]:
    """Publications with these ids, with their links, footnotes and slug history."""
    table = table_of(Publication)
    # The rendered columns (body_html, body_text) are derived, and the largest: leave them.
    columns = [c for c in table.c if c.name not in ("body_html", "body_text", "word_count")]
    rows = (
        (await conn.execute(select(*columns).where(one_of(conn, table.c.id, ids)))).mappings().all()
    )
    if not rows:
        return {}
    found = [row["id"] for row in rows]
    links = await _load_links(conn, found)
    footnotes = await _load_footnotes(conn, found)
    previous_slugs = await _load_previous_slugs(conn, found)
    records = {}
    for row in rows:
        image = {key: row[column] for key, column in IMAGE_COLUMNS.items()}
        records[row["id"]] = PublicationRecord.model_construct(
            id=row["id"],
            slug=row["slug"],
            title=row["title"],
            subtitle=row["subtitle"],
            status=PublicationStatus(row["status"]),
            published_at=row["published_at"],
            updated_at=row["updated_at"],
            series_id=row["series_id"],
            category_ids=links["category_ids"][row["id"]],
            tag_ids=links["tag_ids"][row["id"]],
            author_ids=links["author_ids"][row["id"]],
            excerpt=row["excerpt"],
            body_markdown=row["body_markdown"],
            footnotes=footnotes[row["id"]],
            featured_image=ImageRecord.model_construct(**image)
            if any(v is not None for v in image.values())
            else None,
            created_at=row["created_at"],
            version=row["version"],
            editorial_notes=row["editorial_notes"],
            previous_slugs=previous_slugs[row["id"]],
        )
    return records


async def stream_publications(
    conn: AsyncConnection, batch_size: int = 500
) -> AsyncIterator[PublicationRecord]:
    async for ids in _id_batches(conn, table_of(Publication), batch_size):
        records = await load_publications(conn, ids)
        for record_id in ids:
            yield records[record_id]


async def _id_batches(
    conn: AsyncConnection, table: Table, batch_size: int
) -> AsyncIterator[list[int]]:
    """Every id of a table in ascending order, a batch at a time (keyset, not OFFSET)."""
    last = 0
    while True:
        ids = list(
            (
                await conn.execute(
                    select(table.c.id)
                    .where(table.c.id > last)
                    .order_by(table.c.id)
                    .limit(batch_size)
                )
            ).scalars()
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


async def _load_links(
    conn: AsyncConnection, ids: Sequence[int]
) -> dict[str, defaultdict[int, list[int]]]:
    links: dict[str, defaultdict[int, list[int]]] = {}
    for field, model, column in _LINKS:
        table = table_of(model)
        rows = await conn.execute(
            select(table.c.publication_id, table.c[column])
            .where(one_of(conn, table.c.publication_id, ids))
            .order_by(table.c.publication_id, table.c.position)
        )
        by_publication: defaultdict[int, list[int]] = defaultdict(list)
        for publication_id, target_id in rows:
            by_publication[publication_id].append(target_id)
        links[field] = by_publication
    return links


async def _load_footnotes(
    conn: AsyncConnection, ids: Sequence[int]
) -> defaultdict[int, list[FootnoteRecord]]:
    table = table_of(Footnote)
    rows = await conn.execute(
        select(table.c.publication_id, table.c.number, table.c.text, table.c.url, table.c.citation)
        .where(one_of(conn, table.c.publication_id, ids))
        .order_by(table.c.publication_id, table.c.number)
    )
    footnotes: defaultdict[int, list[FootnoteRecord]] = defaultdict(list)
    for publication_id, number, text, url, citation in rows:
        footnotes[publication_id].append(
            FootnoteRecord.model_construct(
                number=number,
                text=text,
                url=url,
                citation=CitationRecord.model_validate(citation) if citation else None,
            )
        )
    return footnotes


async def _load_previous_slugs(
    conn: AsyncConnection, ids: Sequence[int]
) -> defaultdict[int, list[str]]:
    table = table_of(PublicationSlug)
    rows = await conn.execute(
        select(table.c.publication_id, table.c.slug)
        .where(one_of(conn, table.c.publication_id, ids))
        .order_by(table.c.publication_id, table.c.retired_at, table.c.slug)
    )
    slugs: defaultdict[int, list[str]] = defaultdict(list)
    for publication_id, slug in rows:
        slugs[publication_id].append(slug)
    return slugs
