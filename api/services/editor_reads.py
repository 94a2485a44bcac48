"""Batch reads for editors' views: many publications at once whatever their status, and the
versions of directory entries. Never for the public as they are: the caller decides who may
see what (`publishing.ensure_may_edit`, `publishing.ensure_may_view`)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.services.directory import Kind
from api.services.directory_editing import MODELS
from models import Publication


async def publications_by_id(db: AsyncSession, ids: Sequence[int]) -> dict[int, Publication]:
    """Each publication, whatever its status, in one statement."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    # Writes go through UPDATE statements: rows already in the session must be read afresh.
    statement = (
        select(Publication)
        .where(col(Publication.id).in_(unique))
        .execution_options(populate_existing=True)
    )
    return {
        publication.id: publication for publication in await db.scalars(statement) if publication.id
    }


async def entry_versions(db: AsyncSession, kind: Kind, ids: Sequence[int]) -> dict[int, int]:
    """The current version of each author, category, series or tag, in one statement."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    model = MODELS[kind]
    rows = await db.execute(select(model.id, model.version).where(model.id.in_(unique)))
    return dict(rows.tuples())
