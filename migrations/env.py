"""Alembic environment: async, for SQLite (batch mode) and PostgreSQL alike.

Run by `colophon migrate` (which hands in a connection) or by Alembic's own command line
(which connects to COLOPHON_DATABASE_URL).
"""

import asyncio
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

import models
from api.db import create_engine
from api.settings import Settings

# Search storage differs per database (FTS5 on SQLite, tsvector on PostgreSQL) and is managed
# by hand-written migrations, outside the ORM metadata; autogenerate must not see it.
SEARCH_TABLE_PREFIX = "publication_search"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith(SEARCH_TABLE_PREFIX) and name != "sqlite_sequence"
    if type_ == "index" and name is not None:  # e.g. SQLite's narrow copy of publications
        return not name.startswith(f"ix_{SEARCH_TABLE_PREFIX}")
    return True


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """SQLModel's AutoString is a plain String; render it so migrations need no sqlmodel."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_with_connection(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        render_item=render_item,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(Settings().database_url)
    async with engine.connect() as connection:
        await connection.run_sync(run_with_connection)
    await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with_connection(connection)
    else:
        asyncio.run(run_online())


main()
