"""Every PostgreSQL connection the app opens prices a random read as memory or SSD does
(`COLOPHON_DB_RANDOM_PAGE_COST`, 1.1 by default): at PostgreSQL's default of 4, a page of 20
publications scanned every tag once per publication instead of looking each up by its key.
And none compiles statements (JIT): at 1,000,000 publications compiling cost a search
more than running it. Nor starts parallel workers, whose start cost a category page at
100,000 publications ten times its reading."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.app import create_app
from tests.conftest import Database, settings_for


@pytest.mark.parametrize(
    ("overrides", "expected"), [({}, "1.1"), ({"db_random_page_cost": 4}, "4")]
)
async def test_every_pool_prices_random_reads_as_configured(
    fresh_database: Database, tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    state: Any = create_app(settings_for(fresh_database, tmp_path, **overrides)).state
    if fresh_database.backend == "sqlite":
        assert state.list_engine is None  # SQLite's planner has no such setting
        return
    settings = []
    for engine in (state.engine, state.search_engine, state.list_engine, state.beside_engine):
        if engine is not None:
            async with engine.connect() as conn:
                cost = await conn.scalar(text("SHOW random_page_cost"))
                jit = await conn.scalar(text("SHOW jit"))
                workers = await conn.scalar(text("SHOW max_parallel_workers_per_gather"))
                settings.append((cost, jit, workers))
            await engine.dispose()
    assert len(settings) >= 3
    assert set(settings) == {(expected, "off", "0")}
