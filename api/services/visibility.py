"""The one rule for what the public may see. Every public surface filters through it."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from models import Publication, PublicationStatus, utcnow


def publicly_visible(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL: published, or scheduled with its moment come."""
    moment = now or utcnow()
    return or_(
        Publication.status == PublicationStatus.PUBLISHED,  # type: ignore[arg-type]
        and_(
            Publication.status == PublicationStatus.SCHEDULED,  # type: ignore[arg-type]
            Publication.published_at <= moment,  # type: ignore[operator, arg-type]
        ),
    )


def is_publicly_visible(publication: Publication, now: datetime | None = None) -> bool:
    """The same rule, for a publication already loaded."""
    if publication.status == PublicationStatus.PUBLISHED:
        return True
    return (
        publication.status == PublicationStatus.SCHEDULED
        and publication.published_at is not None
        and publication.published_at <= (now or utcnow())
    )
