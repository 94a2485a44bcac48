"""What every REST handler takes from the request: its database session and the settings."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from api.db import get_session
from api.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Db = Annotated[AsyncSession, Depends(get_session)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
