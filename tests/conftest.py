"""Fixtures: every database test runs on SQLite and, when COLOPHON_TEST_DATABASE_URL names a
PostgreSQL server, on PostgreSQL too. Schemas come from the migrations, never create_all.

Each test runs inside an outer transaction that is rolled back at the end; the app's own
commits release SAVEPOINTs inside it (SQLAlchemy's "join an external transaction" recipe).
"""

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, Protocol

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api import migrate
from api.app import create_app
from api.db import create_engine, create_sessionmaker
from api.demo.generator import DatasetSize, write_dataset
from api.interchange.importer import import_directory
from api.settings import Settings
from models import Author, Category, PublicationStatus, Series
from tests.content import Content

POSTGRES_URL = os.environ.get("COLOPHON_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@dataclass(frozen=True)
class Database:
    """A database of its own on one backend: its URL and a way to drop it."""

    backend: str
    url: str


class DatabaseFactory:
    """Creates throwaway databases: SQLite files, or PostgreSQL databases on the test server."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[Database] = []

    async def create(self, backend: str, *, migrated: bool = False) -> Database:
        name = f"colophon_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            database = Database(backend, f"sqlite+aiosqlite:///{self.tmp / name}.db")
        else:
            assert POSTGRES_URL is not None
            await _postgres_admin(f'CREATE DATABASE "{name}"')
            database = Database(
                backend, make_url(POSTGRES_URL).set(database=name).render_as_string(False)
            )
        self.created.append(database)
        if migrated:
            engine = create_engine(database.url)
            await migrate.upgrade(engine)
            await engine.dispose()
        return database

    async def clone(self, template: Database) -> Database:
        """A copy of a migrated database, much faster than migrating again."""
        name = f"colophon_test_{uuid.uuid4().hex[:12]}"
        if template.backend == "sqlite":
            source = Path(make_url(template.url).database or "")
            target = self.tmp / f"{name}.db"
            shutil.copyfile(source, target)
            database = Database("sqlite", f"sqlite+aiosqlite:///{target}")
        else:
            await _postgres_admin(
                f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template.url).database}"'
            )
            database = Database(
                "postgresql", make_url(template.url).set(database=name).render_as_string(False)
            )
        self.created.append(database)
        return database

    async def drop_all(self) -> None:
        for database in self.created:
            if database.backend == "postgresql":
                name = make_url(database.url).database
                await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


# Set by `.ci/run`, which starts every service the suite uses: there a missing one fails
# the test instead of skipping it, so CI never passes with a part of the suite unrun.
REQUIRE_SERVICES = os.environ.get("COLOPHON_TEST_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> NoReturn:
    """Skip a test whose outside service (Redis, Node.js) is absent on a developer's
    machine; fail it in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason}, and COLOPHON_TEST_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    await factory.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(scope="session")
async def migrated(databases: DatabaseFactory, backend: str) -> Database:
    """One migrated database per backend, shared by the transactional tests."""
    return await databases.create(backend, migrated=True)


@pytest.fixture(scope="session")
async def template(databases: DatabaseFactory, backend: str) -> Database:
    """A migrated database nobody connects to, cloned for tests that commit for real."""
    return await databases.create(backend, migrated=True)


@pytest.fixture
async def fresh_database(databases: DatabaseFactory, template: Database) -> Database:
    """A migrated database of the test's own: for the CLI, imports, several processes."""
    return await databases.clone(template)


@pytest.fixture
def cli_env(fresh_database: Database, clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    """Point the `colophon` command at the test's own database."""
    clean_env.setenv("COLOPHON_DATABASE_URL", fresh_database.url)
    clean_env.setenv("COLOPHON_SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    clean_env.setenv("COLOPHON_LOG_LEVEL", "WARNING")
    return fresh_database


@pytest.fixture(scope="session")
async def test_engine(migrated: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated.url)
    if migrated.backend == "sqlite":
        _emit_real_begin(engine)
    yield engine
    await engine.dispose()


def _emit_real_begin(engine: AsyncEngine) -> None:
    """pysqlite defers BEGIN and breaks SAVEPOINTs; SQLAlchemy's documented workaround."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@pytest.fixture
async def connection(test_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with test_engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def settings_for(database: Database, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "secret_key_file": tmp_path / "secret_key",
        "public_base_url": "https://example.org",
        "log_level": "WARNING",
        # Background work and the response cache run only where a test turns them on.
        "worker": "off",
        "response_cache": "off",
        # Rate limits stay on, too high to refuse a test's requests; no background sync,
        # since a transactional test's app shares one connection between its requests
        # (counts reach the store when the app stops). tests/ratelimit sets its own.
        "rate_limit_anonymous_per_minute": 1_000_000,
        "rate_limit_editor_per_minute": 1_000_000,
        "rate_limit_sync_seconds": 3600,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings(migrated: Database, tmp_path: Path) -> Settings:
    return settings_for(migrated, tmp_path)


# Every field of the site's unpublished work carries this word; no public answer may.
PRIVATE_MARKER = "zzprivate"
SITE_SIZE = DatasetSize(publications=40, authors=12, categories=5, series=3, tags=15)


@pytest.fixture(scope="session")
async def site(
    databases: DatabaseFactory, template: Database, tmp_path_factory: pytest.TempPathFactory
) -> Database:
    """A read-only site per backend: the demo generator's content with the seed article,
    plus a draft and a publication scheduled for 2100, both linked to the seed's author,
    category and series. Tests must not write to it."""
    database = await databases.clone(template)
    directory = tmp_path_factory.mktemp("site")
    write_dataset(directory, SITE_SIZE)
    engine = create_engine(database.url)
    try:
        await import_directory(engine, directory)
        async with create_sessionmaker(engine)() as session:
            await _add_unpublished_work(Content(session))
    finally:
        await engine.dispose()
    return database


async def _add_unpublished_work(content: Content) -> None:
    session = content.session
    author = (await session.execute(select(Author).filter_by(slug="juni-kim"))).scalar_one()
    category = (await session.execute(select(Category).filter_by(slug="inter-korean"))).scalar_one()
    series = (await session.execute(select(Series).filter_by(slug="the-peninsula"))).scalar_one()
    for status, published_at in (
        (PublicationStatus.DRAFT, None),
        (PublicationStatus.SCHEDULED, datetime(2100, 1, 1, tzinfo=UTC)),
    ):
        await content.publication(
            f"{PRIVATE_MARKER} {status.value} on Mongolia",
            slug=f"{PRIVATE_MARKER}-{status.value}",
            status=status,
            published_at=published_at,
            body=f"{PRIVATE_MARKER} body on Mongolia and the peninsula.[^1]",
            footnotes=[f"{PRIVATE_MARKER} footnote"],
            excerpt=f"{PRIVATE_MARKER} excerpt",
            editorial_notes=f"{PRIVATE_MARKER} note",
            image_url=f"https://images.example.org/{PRIVATE_MARKER}.jpg",
            authors=[author],
            categories=[category],
            series=series,
            previous_slugs=[f"{PRIVATE_MARKER}-old-{status.value}"],
        )


@pytest.fixture
def site_app(site: Database, tmp_path: Path) -> Starlette:
    return create_app(settings_for(site, tmp_path))


@pytest.fixture
async def site_client(site_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(site_app) as client:
        yield client


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Starlette:
    return create_app(settings, sessionmaker=sessionmaker)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app, with its lifespan run (so its engine is disposed after)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No COLOPHON_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("COLOPHON_"):
            monkeypatch.delenv(name)
    return monkeypatch


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


class CountStatements(Protocol):
    def __call__(self) -> Any: ...


@pytest.fixture
def count_statements(test_engine: AsyncEngine) -> CountStatements:
    """`with count_statements() as counter:` counts the SQL statements sent meanwhile."""

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(test_engine.sync_engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(test_engine.sync_engine, "before_cursor_execute", record)

    return counting
