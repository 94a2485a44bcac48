"""A query only reads: on PostgreSQL its statements run outside a transaction (no BEGIN
and ROLLBACK round trips), as REST's anonymous reads do."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.app import create_app
from tests.conftest import Database, serving, settings_for
from tests.graphql.conftest import data_of, error_codes, execute
from tests.graphql.test_login import LOGIN

PAGE = """{ publications(first: 5, filter: {category: ["inter-korean"]}) {
  totalCount nodes { slug authors { slug } tags { slug } } } }"""


@contextmanager
def autocommit_of_statements(engines: list[AsyncEngine]) -> Iterator[list[bool]]:
    """For each statement sent meanwhile: whether its connection was in AUTOCOMMIT."""
    seen: list[bool] = []

    def record(conn: Any, *_args: Any) -> None:
        # asyncpg's adapter says whether it sends BEGIN; SQLite's has no such switch.
        seen.append(getattr(conn.connection.dbapi_connection, "autocommit", False) is True)

    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_query_reads_outside_a_transaction(site_app: Starlette, backend: str) -> None:
    engines: list[AsyncEngine] = site_app.state.request_engines
    async with serving(site_app) as client:
        with autocommit_of_statements(engines) as seen:
            data = await data_of(client, PAGE)
        with autocommit_of_statements(engines) as seen_by_rest:
            answer = await client.get("/api/v1/publications", params={"per_page": 3})
    assert data["publications"]["totalCount"] > 5
    assert answer.status_code == 200
    assert seen, "the query read from the database"
    assert seen_by_rest, "so did the list"
    # SQLite begins no transaction for a read in any case.
    expected = backend == "postgresql"
    assert seen == [expected] * len(seen)
    assert seen_by_rest == [expected] * len(seen_by_rest)


async def test_a_mutation_keeps_its_transaction(
    fresh_database: Database, tmp_path: Path, backend: str
) -> None:
    app = create_app(settings_for(fresh_database, tmp_path))
    async with serving(app) as client:
        with autocommit_of_statements(app.state.request_engines) as seen:
            body = await execute(client, LOGIN, {"email": "who@example.org", "password": "no"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    # Reading the throttle, then counting the failure: one transaction.
    assert len(seen) >= 2
    assert not any(seen)


async def test_a_public_list_page_reads_on_the_pool_that_keeps_its_plans(
    site_app: Starlette, backend: str
) -> None:
    list_engine: AsyncEngine | None = site_app.state.list_engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with serving(site_app) as client:
        if list_engine is None:  # SQLite: no plans to keep, the request's connection reads
            assert backend == "sqlite"
            listed = await client.get("/api/v1/publications", params={"per_page": 7})
            assert len(listed.json()["data"]) == 7
            return
        event.listen(list_engine.sync_engine, "before_cursor_execute", record)
        try:
            listed = await client.get(
                "/api/v1/publications", params={"category": "inter-korean", "per_page": 7}
            )
            data = await data_of(client, "{ publications(first: 3) { nodes { slug } } }")
        finally:
            event.remove(list_engine.sync_engine, "before_cursor_execute", record)
        async with list_engine.connect() as conn:
            mode = await conn.scalar(text("SHOW plan_cache_mode"))
    assert len(listed.json()["data"]) == 7
    assert len(data["publications"]["nodes"]) == 3
    assert len(statements) == 2
    # The page size is in the statement: a plan made once must know it fetches a few rows.
    assert "LIMIT 7" in statements[0]
    assert "LIMIT 3" in statements[1]
    assert mode == "force_generic_plan"
