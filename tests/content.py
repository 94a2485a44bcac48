"""Writing test content straight into the database, rendered and indexed as the importer
and the editor API do, so read tests can set up exactly the case they need."""

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.services.accounts import create_api_token
from api.services.rendering import FootnoteSource, render_body
from api.services.search_index import reindex_publications
from models import (
    Author,
    Category,
    Footnote,
    Publication,
    PublicationAuthor,
    PublicationCategory,
    PublicationSlug,
    PublicationStatus,
    PublicationTag,
    Role,
    Series,
    Tag,
    User,
)

BASE_TIME = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
Row = TypeVar("Row", Author, Category, Series, Tag, Publication)


def _id(row: Author | Category | Series | Tag) -> int:
    assert row.id is not None
    return row.id


class Content:
    """A small publisher's site, built one call at a time inside the test's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._serial = itertools.count(1)

    def _slug(self, text: str) -> str:
        return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())

    async def author(self, name: str, **fields: Any) -> Author:
        return await self._add(Author(slug=self._slug(name), name=name, **fields))

    async def category(self, name: str, **fields: Any) -> Category:
        return await self._add(Category(slug=self._slug(name), name=name, **fields))

    async def series(self, name: str, **fields: Any) -> Series:
        return await self._add(Series(slug=self._slug(name), name=name, **fields))

    async def tag(self, name: str, **fields: Any) -> Tag:
        return await self._add(Tag(slug=self._slug(name), name=name, **fields))

    async def publication(
        self,
        title: str | None = None,
        *,
        status: PublicationStatus = PublicationStatus.PUBLISHED,
        published_at: datetime | None = None,
        body: str = "Some words about the peninsula.",
        footnotes: Sequence[str] = (),
        authors: Sequence[Author] = (),
        categories: Sequence[Category] = (),
        tags: Sequence[Tag] = (),
        series: Series | None = None,
        previous_slugs: Sequence[str] = (),
        **fields: Any,
    ) -> Publication:
        serial = next(self._serial)
        title = title or f"Publication {serial}"
        if published_at is None and status is not PublicationStatus.DRAFT:
            published_at = BASE_TIME + timedelta(days=serial)
        sources = [FootnoteSource(n, text) for n, text in enumerate(footnotes, start=1)]
        rendered = render_body(body, sources)
        fields.setdefault("slug", self._slug(title))
        publication = await self._add(
            Publication(
                title=title,
                status=status,
                published_at=published_at,
                body_markdown=body,
                body_html=rendered.html,
                body_text=rendered.text,
                word_count=len(rendered.text.split()),
                series_id=series.id if series else None,
                **fields,
            )
        )
        assert publication.id is not None
        pid = publication.id
        links: list[Any] = [
            *(PublicationAuthor(publication_id=pid, author_id=_id(a), position=i)
              for i, a in enumerate(authors)),
            *(PublicationCategory(publication_id=pid, category_id=_id(c), position=i)
              for i, c in enumerate(categories)),
            *(PublicationTag(publication_id=pid, tag_id=_id(t), position=i)
              for i, t in enumerate(tags)),
            *(Footnote(publication_id=pid, number=s.number, text=s.text) for s in sources),
            *(PublicationSlug(slug=old, publication_id=pid) for old in previous_slugs),
        ]  # fmt: skip
        self.session.add_all(links)
        await self.session.flush()
        await reindex_publications(self.session, [pid])
        await self.session.commit()
        return publication

    async def bearer(self, role: Role = Role.EDITOR, name: str = "Editor") -> dict[str, str]:
        """An account with this role, and the Authorization header of a token of its own."""
        user = User(email=f"{self._slug(name)}@example.org", name=name, role=role)
        self.session.add(user)
        await self.session.flush()
        token, _ = await create_api_token(self.session, user, "tests")
        await self.session.commit()
        return {"Authorization": f"Bearer {token}"}

    async def _add(self, row: Row) -> Row:
        self.session.add(row)
        await self.session.commit()
        return row
