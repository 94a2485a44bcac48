"""The one visibility rule, in SQL and in Python, agrees with the contract and with itself."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.visibility import is_publicly_visible, publicly_hidden, publicly_visible
from models import Publication, PublicationStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = [
    ("published-past", PublicationStatus.PUBLISHED, NOW - timedelta(days=1), True),
    ("published-future", PublicationStatus.PUBLISHED, NOW + timedelta(days=1), True),
    ("scheduled-due", PublicationStatus.SCHEDULED, NOW - timedelta(seconds=1), True),
    ("scheduled-now", PublicationStatus.SCHEDULED, NOW, True),
    ("scheduled-later", PublicationStatus.SCHEDULED, NOW + timedelta(seconds=1), False),
    ("draft", PublicationStatus.DRAFT, None, False),
    ("draft-dated", PublicationStatus.DRAFT, NOW - timedelta(days=1), False),
    ("archived", PublicationStatus.ARCHIVED, NOW - timedelta(days=1), False),
]


@pytest.fixture
async def publications(session: AsyncSession) -> dict[str, Publication]:
    rows = {
        slug: Publication(slug=slug, title=slug, status=status, published_at=published_at)
        for slug, status, published_at, _ in CASES
    }
    session.add_all(rows.values())
    await session.flush()
    return rows


async def test_sql_rule_shows_exactly_the_visible_publications(
    session: AsyncSession, publications: dict[str, Publication]
) -> None:
    slugs = select(Publication.__table__.c.slug).where(publicly_visible(NOW))  # type: ignore[attr-defined]
    visible = set(await session.scalars(slugs))
    assert visible == {slug for slug, *_, expected in CASES if expected}


async def test_sql_complement_hides_exactly_the_others(
    session: AsyncSession, publications: dict[str, Publication]
) -> None:
    slugs = select(Publication.__table__.c.slug).where(publicly_hidden(NOW))  # type: ignore[attr-defined]
    hidden = set(await session.scalars(slugs))
    assert hidden == {slug for slug, *_, expected in CASES if not expected}


@pytest.mark.parametrize(("slug", "status", "published_at", "expected"), CASES)
def test_python_rule_matches(
    slug: str, status: PublicationStatus, published_at: datetime | None, expected: bool
) -> None:
    publication = Publication(slug=slug, title=slug, status=status, published_at=published_at)
    assert is_publicly_visible(publication, NOW) is expected
