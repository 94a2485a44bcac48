"""The small site the cache tests read, served by apps with the response cache on or off."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.db import create_engine, create_sessionmaker
from api.services import partner_keys
from models import Role
from tests.cache.pieces import two_pieces
from tests.conftest import Database
from tests.content import Content
from tests.ratelimit.conftest import Caller, limited_app, running

# Differ from one answer to the next by design.
PER_REQUEST = {"date", "x-request-id", "ratelimit-remaining"}


class Site:
    def __init__(self, database: Database, tmp_path: Path, key: str, admin: dict[str, str]) -> None:
        self.database = database
        self.tmp_path = tmp_path
        self.key = key
        self.admin = admin

    def app(self, **overrides: Any) -> Starlette:
        return limited_app(self.database, self.tmp_path, **overrides)


@pytest.fixture
async def site(fresh_database: Database, tmp_path: Path) -> Site:
    engine = create_engine(fresh_database.url)
    async with create_sessionmaker(engine)() as session:
        content = Content(session)
        await two_pieces(content)
        key, _ = await partner_keys.create_key(session, "Example Daily", 1000)
        admin = await content.bearer(Role.ADMIN, "Admin")
    await engine.dispose()
    return Site(fresh_database, tmp_path, key, admin)


async def settled(caller: Caller) -> Caller:
    """Nothing is cached before the content clock's first read."""
    deadline = time.monotonic() + 30
    while caller.app.state.content_clock.version < 0:
        assert time.monotonic() < deadline, "the clock never read the content version"
        await asyncio.sleep(0.01)
    return caller


@pytest.fixture
async def cached(site: Site) -> AsyncIterator[Caller]:
    async with running(site.app(response_cache="on")) as caller:
        yield await settled(caller)


def steady(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.multi_items() if k not in PER_REQUEST)


def hits(caller: Caller) -> int:
    count: int = caller.app.state.response_store.hits
    return count
