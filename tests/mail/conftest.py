"""Mailing-list tests: the app sends its mail to a local SMTP sink."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from tests.conftest import serving
from tests.mail.smtp_sink import SmtpSink
from tests.rest.conftest import content, tokens

__all__ = ["content", "tokens"]


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp.url})


@pytest.fixture
def app(mail_settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Starlette:
    return create_app(mail_settings, sessionmaker=sessionmaker)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client
