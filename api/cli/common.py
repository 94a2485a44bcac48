"""What every command shares: settings, a database it can reach, one-line errors."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import schema_revision
from api.db import create_engine
from api.errors import ApiError, ConfigurationError
from api.settings import Settings

T = TypeVar("T")
stderr = Console(stderr=True)
stdout = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = "COLOPHON_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        fail(f"{name}: {first['msg']}")


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@asynccontextmanager
async def database(
    settings: Settings, *, require_schema: bool = True
) -> AsyncIterator[AsyncEngine]:
    """An engine that has been shown to connect (and, by default, to be fully migrated)."""
    try:
        engine = create_engine(settings.database_url)
    except ConfigurationError as exc:
        fail(str(exc))
    _check_sqlite_directory(engine)
    try:
        try:
            revision = await schema_revision.current_revision(engine)
        except (OperationalError, InterfaceError, OSError, DBAPIError) as exc:
            reason = str(getattr(exc, "orig", exc) or exc).splitlines()[0]
            fail(f"cannot reach the database {display_url(settings.database_url)}: {reason}")
        if require_schema and revision != schema_revision.HEAD_REVISION:
            fail(
                f"the database {display_url(settings.database_url)} is not migrated "
                f"(at {revision or 'nothing'}); run `colophon migrate` first"
            )
        yield engine
    finally:
        await engine.dispose()


def _check_sqlite_directory(engine: AsyncEngine) -> None:
    """SQLite creates the file but not its directory; say so plainly before connecting."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return
    if engine.url.database == ":memory:" or engine.url.database.startswith("file:"):
        return
    directory = Path(engine.url.database).resolve().parent
    if not directory.is_dir():
        fail(f"cannot reach the database {engine.url}: directory {directory} does not exist")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; expected failures become one-line messages."""
    try:
        return asyncio.run(coroutine)
    except ApiError as exc:
        fail(exc.detail)


def progress_bar(*, bytes_: bool = False) -> Progress:
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn()]
    if not bytes_:
        columns.append(MofNCompleteColumn())
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=stderr, transient=False, disable=not stderr.is_terminal)
