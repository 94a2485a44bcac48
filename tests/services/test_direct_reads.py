"""A statement run on asyncpg directly (`api.direct_reads`) gives what SQLAlchemy's own
execution gives: the same rows, fields and types, for the statements of a publication and
of a list page (whose SQL is made per execution: an IN list of slugs, a LIMIT), on both
databases, on a session's connection and on a pooled connection of its own; listeners
still see each statement once; a failing one raises SQLAlchemy's error; a pooled
connection always goes back to its pool, or is closed."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String, bindparam, event, func, literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from api.db import create_engine, create_sessionmaker, read_alone, records
from api.direct_reads import AnySelect, DirectRead, direct_read
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
    """The direct rows, after checking them against SQLAlchemy's. Nothing failed on the
    driver and was run again by SQLAlchemy (which would hide a wrong direct read)."""
    retried = DirectRead.retried
    direct = await direct_read(statement, connection.dialect).all(connection, values)
    assert DirectRead.retried == retried
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
        len(categories) > 1,
    )
    values = {"categories": categories, "offset": 0, "limit": limit, "now": utcnow()}
    rows = await _both(site_connection, statement, values)
    assert len(rows) <= limit
    if categories and categories[0] == "inter-korean":
        assert rows, "the seed's category lists something"


async def test_an_expansion_kept_for_its_shape_takes_each_executions_values(
    site_connection: AsyncConnection,
) -> None:
    """The SQL of a list page is expanded once per shape (the lists' lengths, the page
    size): later executions of that shape bring their own slugs, moment and offset."""
    statement, _ = _cached_page_statements(
        site_connection.dialect.name,
        PublicationOrder.NEWEST,
        relations_wanted(True),
        ("categories",),
        True,
    )
    seen = set()
    for categories, offset in [
        (["inter-korean", "economy"], 0),
        (["economy", "inter-korean"], 1),
        (["no-such-category", "economy"], 0),
        (["inter-korean", "no-such-category"], 2),
        (["no-such-category", "none-either"], 0),
    ]:
        values = {"categories": categories, "offset": offset, "limit": 3, "now": utcnow()}
        rows = await _both(site_connection, statement, values)
        seen.add(tuple(row.id for row in rows))
    assert len(seen) >= 3, "different values of one shape gave different pages"


@settings(max_examples=60, deadline=None)
@given(
    categories=st.lists(st.sampled_from(["a", "b", "inter-korean"]), max_size=4),
    limit=st.integers(1, 100),
    offset=st.integers(0, 10**6),
    dialect=st.sampled_from(["postgresql", "sqlite"]),
)
def test_an_expansion_kept_per_shape_is_sqlalchemys_expansion(
    categories: list[str], limit: int, offset: int, dialect: str
) -> None:
    """Whatever the values, and whichever values of the same shape came before: the SQL
    and arguments sent are those SQLAlchemy's own expansion gives."""
    engine = _DIALECTS[dialect]
    statement, _ = _cached_page_statements(
        dialect,
        PublicationOrder.NEWEST,
        relations_wanted(True),
        ("categories",),
        len(categories) > 1,
    )
    read = direct_read(statement, engine)
    values = {"categories": categories, "offset": offset, "limit": limit, "now": utcnow()}
    state = read.compiled.construct_expanded_state(values)
    sql, arguments = read.prepared(values)
    assert sql == state.statement
    processes = {
        name: bind.type.dialect_impl(engine).bind_processor(engine)
        for name, bind in read.compiled.binds.items()
    }
    assert arguments == [
        (process(state.parameters[name]) if (process := processes.get(name)) else
         state.parameters[name])
        for name in state.positiontup or ()
    ]  # fmt: skip


# Dialects alone: engines that never connect.
_DIALECTS = {
    name: create_async_engine(url).dialect
    for name, url in [("postgresql", "postgresql+asyncpg://"), ("sqlite", "sqlite+aiosqlite://")]
}


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


@pytest.fixture
async def site_engine(site: Database) -> AsyncIterator[AsyncEngine]:
    """The site's database through the app's own kind of engine, nothing listening."""
    engine = create_engine(site.url)
    yield engine
    await engine.dispose()


async def test_public_reads_on_pooled_connections(site_engine: AsyncEngine) -> None:
    """With no session transaction and nobody listening, PostgreSQL's public reads take a
    pooled connection for one statement and give it back, and their rows are SQLAlchemy's."""
    dialect = site_engine.dialect
    detail = _detail_statement(dialect.name, False, True)
    page, _ = _cached_page_statements(
        dialect.name, PublicationOrder.NEWEST, relations_wanted(True), ("categories",), False
    )
    listing = create_engine(str(site_engine.url.render_as_string(hide_password=False)))
    retried = DirectRead.retried
    try:
        for _ in range(3):  # more than once: the prepared statements are reused
            async with create_sessionmaker(site_engine)() as session:
                read_alone(session)
                values = {"key": SEED_SLUG, "now": utcnow()}
                [row] = await direct_read(detail, dialect).public(session, values)
                async with site_engine.connect() as connection:
                    assert [row] == records((await connection.execute(detail, values)).all())
                assert not session.in_transaction(), "the read took a connection of its own"
                values = {"categories": ["inter-korean"], "offset": 0, "limit": 5, "now": utcnow()}
                rows = await direct_read(page, dialect).public(session, values, engine=listing)
                async with site_engine.connect() as connection:
                    assert rows == records((await connection.execute(page, values)).all())
        assert DirectRead.retried == retried, "nothing failed and was run again"
        assert site_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert listing.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await listing.dispose()


async def test_a_failing_or_cancelled_public_read_leaves_its_pool_sound(
    site_engine: AsyncEngine, backend: str
) -> None:
    sessions = create_sessionmaker(site_engine)

    async def read(statement: AnySelect, values: dict[str, Any]) -> list[Any]:
        async with sessions() as session:
            read_alone(session)
            return await direct_read(statement, site_engine.dialect).public(session, values)

    failing: AnySelect
    bad: dict[str, Any]
    good: dict[str, Any]
    answer: object
    if backend == "postgresql":
        failing = select((literal_column("1") / bindparam("x", type_=Integer)).label("x"))
        bad, good, error, answer = {"x": 0}, {"x": 1}, "division by zero", 1
    else:
        failing = select(func.json(bindparam("x", type_=String)).label("x"))
        bad, good, error, answer = {"x": "not json"}, {"x": "1"}, "malformed JSON", "1"
    retried = DirectRead.retried
    with pytest.raises(DBAPIError, match=error):
        await read(failing, bad)
    assert DirectRead.retried == retried + 1
    if backend == "postgresql":  # SQLite has no statement that waits
        slow: AnySelect = select(literal_column("pg_sleep(5)::text").label("x"))
        reading = asyncio.create_task(read(slow, {}))
        await asyncio.sleep(0.3)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
    assert site_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert [tuple(row) for row in await read(failing, good)] == [(answer,)]  # still serving
