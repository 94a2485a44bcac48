"""Rows to the public JSON shapes of `schemas`, with every relation loaded in one statement
per kind whatever the number of publications."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import AnyRow
from api.services import relations
from api.services.directory import Entry, Kind
from api.services.facets import Facets, FacetValue
from api.services.highlights import Highlight
from api.services.rendering import reading_time_minutes
from api.services.revisions import RevisionSummary
from api.services.syndication import terms_for
from api.settings import Settings
from models import Revision

Json = dict[str, Any]
API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Related:
    """What a set of publications links to, keyed by publication id, already in its public
    shapes (the authors with bios for a detail, without for a summary)."""

    authors: dict[int, list[Json]]
    categories: dict[int, list[Json]]
    tags: dict[int, list[Json]]
    series: dict[int, Json]
    footnotes: dict[int, list[Json]]

    @classmethod
    async def load(
        cls, db: AsyncSession, rows: Sequence[AnyRow], *, footnotes: bool = False
    ) -> "Related":
        """One statement per relation. `footnotes` asks for a detail's relations: the
        footnotes and the authors' bios."""
        if not rows:
            return cls({}, {}, {}, {}, {})
        ids = [row.id for row in rows]
        authors = await relations.authors_of(db, ids)
        categories = await relations.categories_of(db, ids)
        tags = await relations.tags_of(db, ids)
        series = await relations.series_by_id(db, (row.series_id for row in rows))
        notes = await relations.footnotes_of(db, ids) if footnotes else {}
        byline = _byline_with_bio if footnotes else _byline
        return cls(
            authors={key: [byline(a) for a in items] for key, items in authors.items()},
            categories={key: [_term(c) for c in items] for key, items in categories.items()},
            tags={key: [_term(t) for t in items] for key, items in tags.items()},
            series={
                row.id: _term(series[row.series_id]) for row in rows if row.series_id in series
            },
            footnotes={key: [_footnote(f) for f in items] for key, items in notes.items()},
        )

    @classmethod
    def from_rows(cls, rows: Sequence[AnyRow]) -> "Related":
        """The relations rows read with `relations.relation_columns` carry."""
        related = cls({}, {}, {}, {}, {})
        carried = relations.carried_relation
        for row in rows:
            key = row.id
            related.authors[key] = carried(row, "authors") or []
            related.categories[key] = carried(row, "categories") or []
            related.tags[key] = carried(row, "tags") or []
            series = carried(row, "series")
            if series is not None:
                related.series[key] = series
            related.footnotes[key] = carried(row, "footnotes") or []
        return related


def publication_summary(row: AnyRow, related: Related, settings: Settings) -> Json:
    url = settings.publication_url(row.slug)
    return {
        "id": str(row.id),
        "slug": row.slug,
        "url": url,
        "title": row.title,
        "subtitle": row.subtitle,
        "excerpt": row.excerpt,
        "published_at": row.published_at,
        "updated_at": row.updated_at,
        "authors": related.authors.get(row.id, []),
        "categories": related.categories.get(row.id, []),
        "tags": related.tags.get(row.id, []),
        "series": related.series.get(row.id),
        "featured_image": _image(row),
        "word_count": row.word_count,
        "reading_time_minutes": reading_time_minutes(row.word_count),
        "syndication": terms_for(settings, title=row.title, url=url).as_dict(),
    }


def publication_detail(row: AnyRow, related: Related, settings: Settings) -> Json:
    body = publication_summary(row, related, settings)
    body["body_html"] = row.body_html
    body["body_text"] = row.body_text
    body["footnotes"] = related.footnotes.get(row.id, [])
    body["version"] = row.version
    return body


def editor_detail(row: AnyRow, related: Related, settings: Settings) -> Json:
    body = publication_detail(row, related, settings)
    body["status"] = row.status
    body["body_markdown"] = row.body_markdown
    body["editorial_notes"] = row.editorial_notes
    body["created_at"] = row.created_at
    return body


def revision_summary(item: RevisionSummary) -> Json:
    return {
        "number": item.number,
        "version": item.version,
        "created_at": item.created_at,
        "created_by": item.created_by,
    }


def revision_detail(revision: Revision) -> Json:
    return {
        "number": revision.number,
        "version": revision.publication_version,
        "created_at": revision.created_at,
        "created_by": None,
        "snapshot": revision.snapshot,
    }


def search_hit(
    row: AnyRow, related: Related, highlight: Highlight | None, settings: Settings
) -> Json:
    body = publication_summary(row, related, settings)
    body["highlight"] = highlight.passage if highlight else None
    body["title_highlight"] = highlight.title if highlight else escape(row.title)
    return body


def facets(values: Facets) -> Json:
    def terms(items: list[FacetValue]) -> list[Json]:
        return [{"slug": v.key, "name": v.name, "count": v.count} for v in items]

    return {
        "categories": terms(values.categories),
        "series": terms(values.series),
        "authors": terms(values.authors),
        "years": [{"year": int(v.key), "count": v.count} for v in values.years],
    }


def entry(kind: Kind, item: Entry) -> Json:
    row = item.row
    body: Json = {"id": str(row.id), "slug": row.slug, "name": row.name}
    if kind is Kind.AUTHOR:
        body["job_title"] = row.job_title
        body["bio"] = row.bio
    else:
        body["description"] = row.description
    body["publication_count"] = item.publication_count
    body["links"] = {"publications": f"{API_PREFIX}/publications?{kind.value}={row.slug}"}
    body["version"] = row.version
    return body


def _byline(row: AnyRow) -> Json:
    return {"id": str(row.id), "slug": row.slug, "name": row.name, "job_title": row.job_title}


def _byline_with_bio(row: AnyRow) -> Json:
    return {**_byline(row), "bio": row.bio}


def _term(row: AnyRow) -> Json:
    return {"id": str(row.id), "slug": row.slug, "name": row.name}


def _image(row: AnyRow) -> Json | None:
    if row.image_url is None and row.image_credit is None:
        return None
    return {
        "url": row.image_url,
        "alt": row.image_alt,
        "credit": row.image_credit,
        "license": row.image_license,
        "license_url": row.image_license_url,
        "source_url": row.image_source_url,
    }


def _footnote(row: AnyRow) -> Json:
    return {"number": row.number, "text": row.text, "url": row.url, "citation": row.citation}
