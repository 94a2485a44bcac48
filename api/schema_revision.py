"""Which migration a database is at, and which one this code needs, without loading Alembic.

Every command but `migrate` checks the schema before it touches the database; Alembic (with
Mako and Pygments behind it) would be a third of such a command's start-up.
"""

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

# The newest migration in migrations/versions: tests/test_migrations.py holds it to Alembic's.
HEAD_REVISION = "b41d7e2c9f15"


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
            return None
        revision: str | None = await connection.scalar(
            text("SELECT version_num FROM alembic_version")
        )
        return revision
