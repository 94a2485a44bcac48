"""The parts of a publication only its detail shows (body, version), for many publications
at once: lists that ask for bodies cost one more statement, not one per item."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AnyRow
from api.services.publications import DETAIL_COLUMNS, SUMMARY_COLUMNS
from api.services.visibility import publicly_visible
from models import Publication

P = Publication.__table__.c  # type: ignore[attr-defined]

# Whatever the detail shows beyond the summary, so the two never drift apart.
_SUMMARY_NAMES = {column.name for column in SUMMARY_COLUMNS}
BODY_COLUMNS = (P.id, *(c for c in DETAIL_COLUMNS if c.name not in _SUMMARY_NAMES))


async def bodies_of(db: AsyncSession, publication_ids: Sequence[int]) -> dict[int, AnyRow]:
    """Body HTML, body text and version of each visible publication, in one statement."""
    ids = list(dict.fromkeys(publication_ids))
    if not ids:
        return {}
    statement = select(*BODY_COLUMNS).where(P.id.in_(ids), publicly_visible())
    return {row.id: row for row in await db.execute(statement)}
