"""Batch loading of what publications link to: one statement per relation for any number of
publications (GraphQL DataLoaders wrap these), or, for REST, every relation as JSON built by
the database in columns of the publications' own statement."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Label,
    ScalarSelect,
    String,
    Table,
    aggregate_order_by,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AnyRow
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationTag,
    Series,
    Tag,
)

A = Author.__table__.c  # type: ignore[attr-defined]
TERM_COLUMNS = ("id", "slug", "name", "description")


async def authors_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """Each publication's byline, in order, with bios."""
    link = PublicationAuthor.__table__.c  # type: ignore[attr-defined]
    statement = (
        select(link.publication_id, A.id, A.slug, A.name, A.job_title, A.bio)
        .join(Author.__table__, A.id == link.author_id)  # type: ignore[attr-defined]
        .where(link.publication_id.in_(_unique(publication_ids)))
        .order_by(link.publication_id, link.position)
    )
    return _grouped(await db.execute(statement))


async def categories_of(
    db: AsyncSession, publication_ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    return await _terms_of(db, PublicationCategory, "category_id", Category, publication_ids)


async def tags_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    return await _terms_of(db, PublicationTag, "tag_id", Tag, publication_ids)


async def series_by_id(db: AsyncSession, series_ids: Iterable[int | None]) -> dict[int, AnyRow]:
    ids = _unique(i for i in series_ids if i is not None)
    if not ids:
        return {}
    columns = Series.__table__.c  # type: ignore[attr-defined]
    statement = select(*(columns[name] for name in TERM_COLUMNS)).where(columns.id.in_(ids))
    return {row.id: row for row in await db.execute(statement)}


async def footnotes_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    columns = Footnote.__table__.c  # type: ignore[attr-defined]
    statement = (
        select(columns.publication_id, columns.number, columns.text, columns.url, columns.citation)
        .where(columns.publication_id.in_(_unique(publication_ids)))
        .order_by(columns.publication_id, columns.number)
    )
    return _grouped(await db.execute(statement))


async def _terms_of(
    db: AsyncSession, link_model: Any, term_column: str, term_model: Any, ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    link = link_model.__table__.c
    term = term_model.__table__.c
    statement = (
        select(link.publication_id, *(term[name] for name in TERM_COLUMNS))
        .join(term_model.__table__, term.id == link[term_column])
        .where(link.publication_id.in_(_unique(ids)))
        .order_by(link.publication_id, link.position)
    )
    return _grouped(await db.execute(statement))


def _grouped(rows: Iterable[AnyRow]) -> dict[int, list[AnyRow]]:
    grouped: defaultdict[int, list[AnyRow]] = defaultdict(list)
    for row in rows:
        grouped[row.publication_id].append(row)
    return grouped


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


# What each relation shows in a public payload, in the payload's key order. The database
# builds these objects (one JSON array per publication and relation), so a page and all it
# links to come back in one statement.
_BYLINE = ("id", "slug", "name", "job_title")
_TERM = ("id", "slug", "name")
_FOOTNOTE = ("number", "text", "url", "citation")


# The relations a page's rows can carry as JSON, by name.
RELATIONS = frozenset({"authors", "categories", "tags", "series"})


def relations_wanted(relations: bool | frozenset[str]) -> frozenset[str]:
    """The relations a caller asks rows to carry: all of them (True), none, or those named."""
    return RELATIONS if relations is True else relations or frozenset()


@cache
def relation_columns(
    dialect: str, *, detail: bool = False, only: frozenset[str] = RELATIONS
) -> tuple[Label[Any], ...]:
    """Correlated columns giving each publication's relations as JSON: `authors`,
    `categories`, `tags` (arrays, NULL when empty), `series` (an object or NULL), or those
    of them `only` names, and with `detail` the authors' bios and `footnotes`. Read them
    with `carried_relation`: a relation not carried reads as None.

    Built once per dialect: expressions are immutable, and building them per request cost
    more than running them."""
    publication = Publication.__table__  # type: ignore[attr-defined]
    link_a = PublicationAuthor.__table__  # type: ignore[attr-defined]
    authors = Author.__table__  # type: ignore[attr-defined]
    series = Series.__table__  # type: ignore[attr-defined]
    footnotes = Footnote.__table__  # type: ignore[attr-defined]
    byline = (*_BYLINE, "bio") if detail else _BYLINE
    columns = [
        _json_array(
            dialect,
            publication,
            _fields(dialect, authors, byline),
            link_a.join(authors, authors.c.id == link_a.c.author_id),
            link_a.c.publication_id == publication.c.id,
            link_a.c.position,
        ).label("authors_json"),
        _terms_json(dialect, publication, PublicationCategory, "category_id", Category).label(
            "categories_json"
        ),
        _terms_json(dialect, publication, PublicationTag, "tag_id", Tag).label("tags_json"),
        select(_json_object(dialect, _fields(dialect, series, _TERM)))
        .where(series.c.id == publication.c.series_id)
        .scalar_subquery()
        .label("series_json"),
    ]
    columns = [column for column in columns if column.name.removesuffix("_json") in only]
    if detail:
        columns.append(
            _json_array(
                dialect,
                publication,
                _fields(dialect, footnotes, _FOOTNOTE),
                footnotes,
                footnotes.c.publication_id == publication.c.id,
                footnotes.c.number,
            ).label("footnotes_json")
        )
    return tuple(columns)


def carried_relation(row: Any, relation: str) -> Any:
    """One relation `relation_columns` put on a row (a Row or a named tuple of one: see
    `api.db.records`), parsed; None if the row does not carry it."""
    value = getattr(row, f"{relation}_json", None)
    return None if value is None else _loads(value)


def _loads(value: Any) -> Any:
    # asyncpg hands JSON over already parsed (the engine's `json_deserializer`); SQLite as text.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _terms_json(
    dialect: str, publication: Table, link_model: Any, term_column: str, term_model: Any
) -> ScalarSelect[Any]:
    link = link_model.__table__
    term = term_model.__table__
    return _json_array(
        dialect,
        publication,
        _fields(dialect, term, _TERM),
        link.join(term, term.c.id == link.c[term_column]),
        link.c.publication_id == publication.c.id,
        link.c.position,
    )


def _fields(dialect: str, table: Table, names: Sequence[str]) -> list[tuple[str, Any]]:
    # Ids are strings in every payload (64-bit integers do not survive JavaScript); SQLite
    # keeps JSON documents as text, which `json()` embeds as JSON rather than as a string.
    fields: list[tuple[str, Any]] = []
    for name in names:
        column: Any = table.c[name]
        if name == "id":
            column = cast(column, String)
        elif name == "citation" and dialect != "postgresql":
            column = func.json(column)
        fields.append((name, column))
    return fields


def _json_object(dialect: str, fields: Sequence[tuple[str, Any]]) -> ColumnElement[Any]:
    build = func.json_build_object if dialect == "postgresql" else func.json_object
    arguments: list[Any] = []
    for key, value in fields:
        arguments += [literal_column(f"'{key}'"), value]
    return build(*arguments)


def _json_array(
    dialect: str,
    publication: Table,
    fields: Sequence[tuple[str, Any]],
    source: Any,
    condition: ColumnElement[bool],
    order: Any,
) -> ScalarSelect[Any]:
    element = _json_object(dialect, fields)
    if dialect == "postgresql":
        ordered = aggregate_order_by(func.json_agg(element), order)
        return select(ordered).select_from(source).where(condition).scalar_subquery()
    # SQLite 3.40 has no ORDER BY inside an aggregate: it aggregates an ordered subquery, which
    # it does not flatten into an aggregate. `json()` keeps each item JSON, not a string.
    items = (
        select(element.label("item"))
        .select_from(source)
        .where(condition)
        .order_by(order)
        .correlate(publication)
        .subquery()
    )
    return select(func.json_group_array(func.json(items.c.item))).scalar_subquery()
