"""A statement run on asyncpg directly (`api.direct_reads`) gives what SQLAlchemy's own
execution gives: the same rows, fields and types, for the statements of a publication and
of a list page (whose SQL is made per execution: an IN list of slugs, a LIMIT), on both
databases; listeners still see each statement once; a failing one raises SQLAlchemy's
error."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, event, literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.db import create_engine, records
from api.direct_reads import AnySelect, direct_read
from api.services.publications import (
    PublicationOrder,
    _cached_page_statements,
    _detail_statement,
)
from api.services.relations import relations_wanted
from models import utcnow
from tests.conftest import Database

SEED_SLUG = "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"


@pytest.fixture
async def site_connection(site: Database) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(site.url)
    try:
        async with engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")
    finally:
        await engine.dispose()


async def _both(connection: AsyncConnection, statement: Any, values: dict[str, Any]) -> list[Any]:
    """The direct rows, after checking them against SQLAlchemy's. One statement is sent
    for them: had the direct one failed, SQLAlchemy would have sent it again."""
    sent: list[str] = []

    def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        sent.append(sql)

    event.listen(connection.sync_engine, "before_cursor_execute", before)
    try:
        direct = await direct_read(statement, connection.dialect).all(connection, values)
    finally:
        event.remove(connection.sync_engine, "before_cursor_execute", before)
    assert len(sent) == 1
    expected = records((await connection.execute(statement, values)).all())
    assert direct == expected
    assert [row._fields for row in direct] == [row._fields for row in expected]
    assert [[type(value) for value in row] for row in direct] == [
        [type(value) for value in row] for row in expected
    ]
    return direct


@pytest.mark.parametrize("relations", [True, False])
async def test_a_publication_by_slug_and_by_id(
    site_connection: AsyncConnection, relations: bool
) -> None:
    dialect = site_connection.dialect.name
    by_slug = _detail_statement(dialect, False, relations)
    [row] = await _both(site_connection, by_slug, {"key": SEED_SLUG, "now": utcnow()})
    assert row.slug == SEED_SLUG
    by_id = _detail_statement(dialect, True, relations)
    assert await _both(site_connection, by_id, {"key": row.id, "now": utcnow()}) == [row]
    assert await _both(site_connection, by_slug, {"key": "no-such-thing", "now": utcnow()}) == []


@pytest.mark.parametrize("limit", [1, 7, 100])
@pytest.mark.parametrize(
    "categories", [["inter-korean"], ["inter-korean", "economy", "no-such-category"], []]
)
async def test_a_list_page_whose_sql_changes_with_its_values(
    site_connection: AsyncConnection, limit: int, categories: list[str]
) -> None:
    statement, _ = _cached_page_statements(
        site_connection.dialect.name,
        PublicationOrder.NEWEST,
        relations_wanted(True),
        ("categories",),
    )
    values = {"categories": categories, "offset": 0, "limit": limit, "now": utcnow()}
    rows = await _both(site_connection, statement, values)
    assert len(rows) <= limit
    if categories and categories[0] == "inter-korean":
        assert rows, "the seed's category lists something"


async def test_listeners_see_each_statement_once(
    test_engine: AsyncEngine, connection: AsyncConnection
) -> None:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    statement: AnySelect = select(literal_column("1").label("one"), bindparam("n", type_=Integer))
    event.listen(test_engine.sync_engine, "before_cursor_execute", before)
    try:
        rows = await direct_read(statement, connection.dialect).all(connection, {"n": 5})
    finally:
        event.remove(test_engine.sync_engine, "before_cursor_execute", before)
    assert [tuple(row) for row in rows] == [(1, 5)]
    assert len(seen) == 1


async def test_a_failing_statement_raises_sqlalchemys_error(
    site_connection: AsyncConnection,
) -> None:
    statement = select((literal_column("1") / bindparam("zero", type_=Integer)).label("x"))
    read = direct_read(statement, site_connection.dialect)
    if site_connection.dialect.name == "sqlite":  # SQLite divides by zero into NULL
        assert [tuple(row) for row in await read.all(site_connection, {"zero": 0})] == [(None,)]
        return
    with pytest.raises(DBAPIError, match="division by zero"):
        await read.all(site_connection, {"zero": 0})
    # The connection still answers.
    assert [tuple(row) for row in await read.all(site_connection, {"zero": 1})] == [(1,)]
