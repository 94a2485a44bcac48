"""What every REST handler takes from the request: its database session and the settings."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from api.db import get_session
from api.settings import Settings

# Both are `async def` though they never wait: FastAPI runs a plain `def` dependency in a
# worker thread, two thread hand-offs a request for reading an attribute.


async def _session(request: Request) -> AsyncSession:
    return get_session(request)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Db = Annotated[AsyncSession, Depends(_session)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
