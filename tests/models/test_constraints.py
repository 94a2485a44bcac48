"""The database itself keeps the data sound, on both backends."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Author, Footnote, Publication, PublicationAuthor, PublicationStatus


async def _publication(session: AsyncSession, slug: str = "a-publication") -> Publication:
    publication = Publication(slug=slug, title="A publication")
    session.add(publication)
    await session.flush()
    return publication


async def test_slugs_are_unique(session: AsyncSession) -> None:
    await _publication(session, "same")
    session.add(Publication(slug="same", title="Another"))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_footnote_numbers_are_unique_per_publication(session: AsyncSession) -> None:
    publication = await _publication(session)
    assert publication.id is not None
    session.add_all(
        [
            Footnote(publication_id=publication.id, number=1, text="a"),
            Footnote(publication_id=publication.id, number=1, text="b"),
        ]
    )
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_foreign_keys_are_enforced(session: AsyncSession) -> None:
    publication = await _publication(session)
    assert publication.id is not None
    session.add(PublicationAuthor(publication_id=publication.id, author_id=987654, position=0))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_a_visible_status_needs_a_date(session: AsyncSession) -> None:
    session.add(Publication(slug="undated", title="x", status=PublicationStatus.PUBLISHED))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_an_unknown_status_is_refused(session: AsyncSession) -> None:
    session.add(Publication(slug="odd", title="x", status="pending"))  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_times_come_back_in_utc(session: AsyncSession) -> None:
    moment = datetime(2017, 6, 14, 12, 0, tzinfo=UTC)
    author = Author(slug="juni-kim", name="Juni Kim", created_at=moment, updated_at=moment)
    session.add(author)
    await session.flush()
    session.expunge_all()
    loaded = await session.get(Author, author.id)
    assert loaded is not None
    assert loaded.created_at == moment
    assert loaded.created_at.tzinfo is not None


async def test_deleting_a_publication_removes_its_footnotes(session: AsyncSession) -> None:
    publication = await _publication(session)
    assert publication.id is not None
    session.add(Footnote(publication_id=publication.id, number=1, text="a"))
    await session.flush()
    await session.delete(publication)
    await session.flush()
    remaining = await session.scalar(
        Footnote.__table__.select().where(Footnote.publication_id == publication.id)  # type: ignore[attr-defined]
    )
    assert remaining is None
