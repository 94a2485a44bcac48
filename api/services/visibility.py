"""The one rule for what the public may see. Every public surface filters through it."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BindParameter, ColumnElement, and_, false, func, literal_column, not_, or_
from sqlmodel import col

from models import Publication, PublicationStatus, utcnow


def publicly_visible(now: datetime | BindParameter[datetime] | None = None) -> ColumnElement[bool]:
    """SQL: published, or scheduled with its moment come (`now` may be a parameter)."""
    return or_(
        Publication.status == PublicationStatus.PUBLISHED,  # type: ignore[arg-type]
        scheduled_and_due(now),
    )


def scheduled_and_due(now: datetime | BindParameter[datetime] | None = None) -> ColumnElement[bool]:
    """SQL: the part of `publicly_visible` that depends on the clock. A published publication
    is visible at every moment, which is what lets the database keep public totals as counts
    of the published ones (`models.publication_count`), these few added when asked.

    The status is written as a literal: as a parameter, a reused (generic) plan could not
    know how few publications are scheduled, and counted a prolific author's due ones by
    reading each of the author's 4,610 publications (18 ms) instead of the few scheduled."""
    moment = utcnow() if now is None else now
    scheduled: ColumnElement[str] = literal_column(f"'{PublicationStatus.SCHEDULED}'")
    return and_(
        col(Publication.status) == scheduled,
        Publication.published_at <= moment,  # type: ignore[operator, arg-type]
    )


def publicly_hidden(now: datetime | BindParameter[datetime] | None = None) -> ColumnElement[bool]:
    """SQL: what `publicly_visible` leaves out, for queries that exclude the few hidden
    publications rather than join the many visible ones (search over many matches).

    A published publication is always visible, so every hidden one has another status;
    saying so in a literal lets the database read them from the small partial index
    `ix_publications_unpublished`."""
    unpublished = col(Publication.status) != literal_column(f"'{PublicationStatus.PUBLISHED}'")
    return and_(unpublished, not_(func.coalesce(publicly_visible(now), false())))


def is_publicly_visible(publication: Publication, now: datetime | None = None) -> bool:
    """The same rule, for a publication already loaded."""
    if publication.status == PublicationStatus.PUBLISHED:
        return True
    return (
        publication.status == PublicationStatus.SCHEDULED
        and publication.published_at is not None
        and publication.published_at <= (now or utcnow())
    )


# The same rule as a moment, for the copy the search index keeps of it (PostgreSQL): a
# publication is visible from `visible_from` on, and never when it is NULL. Published: from
# always (-infinity); scheduled: from its date; any other status: never.
ALWAYS = datetime.min.replace(tzinfo=UTC)


def visible_from(status: str, published_at: datetime | None) -> datetime | None:
    if status == PublicationStatus.PUBLISHED:
        return ALWAYS
    return published_at if status == PublicationStatus.SCHEDULED else None


def visible_from_sql(status: str, published_at: str) -> str:
    """`visible_from` in SQL, over two columns' expressions (PostgreSQL)."""
    return (
        f"CASE {status} WHEN '{PublicationStatus.PUBLISHED}' THEN '-infinity'::timestamptz"
        f" WHEN '{PublicationStatus.SCHEDULED}' THEN {published_at} END"
    )


def visible_by(
    visible_from_column: ColumnElement[datetime], now: BindParameter[datetime]
) -> ColumnElement[bool]:
    """SQL: `publicly_visible(now)`, from a copy of `visible_from`."""
    return visible_from_column <= now


@dataclass(frozen=True, slots=True)
class EditorScope:
    """What an editor asked to see instead of the public set (`status=` on a list, with a
    token). An author's scope also names the author: they see public work and their own."""

    statuses: frozenset[PublicationStatus]
    own_work_of: int | None = None


ANY_STATUS = frozenset(PublicationStatus)


def editor_scope(
    statuses: frozenset[PublicationStatus], *, is_editor: bool, user_id: int
) -> EditorScope:
    """The scope a principal asking for `statuses` gets: editors all of them, an author
    only their own unpublished work (and public work)."""
    return EditorScope(statuses, None if is_editor else user_id)


def visible_in(scope: EditorScope | None, now: datetime | None = None) -> ColumnElement[bool]:
    """The public rule, or an editor's scope: the one switch between the two."""
    if scope is None:
        return publicly_visible(now)
    chosen = col(Publication.status).in_(sorted(scope.statuses))
    if scope.own_work_of is None:
        return chosen
    mine = col(Publication.created_by_id) == scope.own_work_of
    return and_(chosen, or_(publicly_visible(now), mine))
