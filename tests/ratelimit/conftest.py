"""Apps with small limits and a frozen clock, called from chosen client addresses."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api.app import create_app
from api.ratelimit import RateLimiter
from tests.conftest import Database, settings_for
from tests.rest.conftest import tokens

__all__ = ["tokens"]

# The middle of a minute, so no test sees its window end: 1_800_000_000 is a multiple of 60.
NOW = 1_800_000_030.0
CLIENT = "192.0.2.1"


class Caller:
    """Requests to one app, each from the client address it names."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    @property
    def limiter(self) -> RateLimiter:
        limiter: RateLimiter = self.app.state.rate_limiter
        return limiter

    async def request(
        self, method: str, path: str, *, address: str = CLIENT, **kwargs: Any
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, **kwargs)

    async def get(self, path: str, *, address: str = CLIENT, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, address=address, **kwargs)


def limited_app(
    database: Database,
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    **overrides: Any,
) -> Starlette:
    app = create_app(settings_for(database, tmp_path, **overrides), sessionmaker=sessionmaker)
    if app.state.rate_limiter is not None:
        app.state.rate_limiter.clock = lambda: NOW
    return app


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[Caller]:
    """The app between its startup and shutdown (which sends its last counts)."""
    async with app.router.lifespan_context(app):
        yield Caller(app)


Limited = Callable[..., AbstractAsyncContextManager[Caller]]


@pytest.fixture
def limited(
    migrated: Database, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> Limited:
    """`async with limited(**settings) as api:` an app inside the test's transaction."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[Caller]:
        return running(limited_app(migrated, tmp_path, sessionmaker, **overrides))

    return start
