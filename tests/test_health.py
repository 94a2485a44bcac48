import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.db import create_engine
from api.settings import Settings
from tests.conftest import POSTGRES_URL, Database, DatabaseFactory, serving, settings_for


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]


async def test_readyz_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


# aiosqlite warns about the connection object of a failed open; nothing is left open.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:////nonexistent-directory/colophon.db",
        "postgresql+asyncpg://colophon@127.0.0.1:1/colophon",
    ],
    ids=["sqlite", "postgresql"],
)
async def test_readyz_is_503_when_the_database_is_unreachable(url: str, settings: Settings) -> None:
    app: Starlette = create_app(settings.model_copy(update={"database_url": url}))
    async with serving(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert "unreachable" in body["detail"]
    assert "nonexistent" not in response.text
    assert "127.0.0.1" not in response.text


async def test_request_id_is_echoed_when_given(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.skipif(POSTGRES_URL is None, reason="a server that closes connections: PostgreSQL")
async def test_connections_the_server_closed_are_replaced_not_used(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """The pool pings no connection on checkout; one the server closed (a restart, an idle
    timeout) must still never reach a request."""
    database = await databases.create("postgresql", migrated=True)
    app = create_app(settings_for(database, tmp_path, db_pool_size=2, db_max_overflow=0))
    async with serving(app) as client:
        assert (await client.get("/api/v1/publications")).status_code == 200
        await _terminate_connections(database)
        await asyncio.sleep(0.2)  # the driver learns of the closed sockets
        for _ in range(3):
            assert (await client.get("/api/v1/publications")).status_code == 200


async def _terminate_connections(database: Database) -> None:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    finally:
        await engine.dispose()
