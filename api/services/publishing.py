"""Editors' writes to publications: create, update, delete and the workflow, each one
transaction-sized step that keeps a revision, renders the body, and updates the search index.

No lost edits: every change names the version it was based on, and the version check is the
`UPDATE … WHERE version = :expected` itself, so two concurrent saves cannot both win.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, PreconditionFailed
from api.services import audit, events, revisions
from api.services.auth import Principal
from api.services.lookup import parse_reference
from api.services.publication_input import PublicationCreate, PublicationFields, PublishInput
from api.services.rendering import FootnoteSource, check_footnotes, render_body
from api.services.search_index import reindex_facets, reindex_publications
from api.services.slugs import numbered, slugify
from api.services.visibility import is_publicly_visible
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
    Series,
    Tag,
    utcnow,
)

_LINKS: dict[str, tuple[Any, Any, str]] = {
    "authors": (Author, PublicationAuthor, "author_id"),
    "categories": (Category, PublicationCategory, "category_id"),
    "tags": (Tag, PublicationTag, "tag_id"),
}
_IMAGE_FIELDS = ("url", "alt", "credit", "license", "license_url", "source_url")
_PLAIN_FIELDS = ("title", "subtitle", "excerpt", "body_markdown", "editorial_notes")


async def find_for_editing(db: AsyncSession, reference: str) -> Publication:
    """Any publication, whatever its status, by id, slug or former slug."""
    key = parse_reference(reference)
    publication = None
    if isinstance(key, int):
        publication = await db.get(Publication, key)
    elif key is not None:
        publication = await db.scalar(select(Publication).where(col(Publication.slug) == key))
        if publication is None:
            owner = await db.scalar(
                select(col(PublicationSlug.publication_id)).where(col(PublicationSlug.slug) == key)
            )
            publication = await db.get(Publication, owner) if owner is not None else None
    if publication is None:
        raise NotFound(f"no publication {reference!r}")
    return publication


def may_edit(principal: Principal, publication: Publication) -> bool:
    """Editors and admins edit everything; an author only the drafts they created."""
    return principal.is_editor or (
        publication.status == PublicationStatus.DRAFT
        and publication.created_by_id == principal.user_id
    )


def ensure_may_edit(principal: Principal, publication: Publication) -> None:
    if not may_edit(principal, publication):
        raise Forbidden("authors may change only the drafts they created")


def ensure_may_view(principal: Principal, publication: Publication) -> None:
    """Editors see everything; an author sees public work and their own."""
    if principal.is_editor or publication.created_by_id == principal.user_id:
        return
    if not is_publicly_visible(publication):
        raise NotFound("no such publication")  # as for the public: no hint it exists


def ensure_may_publish(principal: Principal) -> None:
    if not principal.is_editor:
        raise Forbidden("only editors and admins publish, schedule, unpublish and archive")


async def create_publication(
    db: AsyncSession, principal: Principal, data: PublicationCreate
) -> Publication:
    """A new draft."""
    fields = data.given()
    slug = fields.get("slug") or await _free_slug(db, slugify(data.title, fallback="publication"))
    await _check_slug(db, slug, publication_id=None)
    footnotes = fields.get("footnotes") or []
    body = fields.get("body_markdown") or ""
    _check_footnotes(body, footnotes)
    links = await _resolve_links(db, fields)
    rendered = render_body(body, [FootnoteSource(f.number, f.text) for f in footnotes])
    publication = Publication(
        slug=slug,
        title=data.title,
        subtitle=fields.get("subtitle"),
        excerpt=fields.get("excerpt"),
        body_markdown=body,
        body_html=rendered.html,
        body_text=rendered.text,
        word_count=rendered.word_count,
        editorial_notes=fields.get("editorial_notes"),
        status=PublicationStatus.DRAFT,
        created_by_id=principal.user_id,
        series_id=links.get("series"),
        **_image_columns(fields.get("featured_image")),
    )
    db.add(publication)
    await db.flush()
    assert publication.id is not None
    await _write_footnotes(db, publication.id, footnotes)
    await _write_links(db, publication.id, links)
    await _saved(db, publication, principal, "create", was_visible=False)
    return publication


async def update_publication(
    db: AsyncSession,
    principal: Principal,
    publication: Publication,
    expected_version: int,
    data: PublicationFields,
) -> Publication:
    ensure_may_edit(principal, publication)
    was_visible = is_publicly_visible(publication)
    fields = data.given()
    if "title" in fields and fields["title"] is None:
        raise Invalid.field("title", "must not be null", "required")
    assert publication.id is not None
    await _claim_version(db, publication, expected_version)
    values: dict[str, Any] = {k: fields[k] for k in _PLAIN_FIELDS if k in fields}
    if "slug" in fields and fields["slug"] != publication.slug:
        new_slug = fields["slug"] or await _free_slug(
            db, slugify(fields.get("title") or publication.title, fallback="publication")
        )
        await _check_slug(db, new_slug, publication_id=publication.id)
        await _retire_slug(db, publication, new_slug)
        values["slug"] = new_slug
    if "featured_image" in fields:
        values.update(_image_columns(fields["featured_image"]))
    links = await _resolve_links(db, fields)
    if "series" in links:
        values["series_id"] = links.pop("series")
    if "body_markdown" in fields or "footnotes" in fields:
        body = values.get("body_markdown", publication.body_markdown) or ""
        footnotes = fields.get("footnotes")
        if footnotes is None:
            footnotes = await _current_footnotes(db, publication.id)
        _check_footnotes(body, footnotes)
        rendered = render_body(body, [FootnoteSource(f.number, f.text) for f in footnotes])
        values.update(
            body_markdown=body,
            body_html=rendered.html,
            body_text=rendered.text,
            word_count=rendered.word_count,
        )
        if "footnotes" in fields:
            await db.execute(delete(Footnote).where(col(Footnote.publication_id) == publication.id))
            await _write_footnotes(db, publication.id, footnotes)
    await _write_links(db, publication.id, links, replace=True)
    if values:
        await db.execute(
            update(Publication).where(col(Publication.id) == publication.id).values(**values)
        )
    await db.refresh(publication)
    await _saved(db, publication, principal, "update", was_visible=was_visible)
    return publication


async def delete_publication(
    db: AsyncSession, principal: Principal, publication: Publication, expected_version: int
) -> None:
    ensure_may_edit(principal, publication)
    was_visible = is_publicly_visible(publication)
    result = await db.execute(
        delete(Publication).where(
            col(Publication.id) == publication.id, col(Publication.version) == expected_version
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise _stale(publication.version)
    audit.record(
        db, principal, "publication.delete", "publication", publication.id, slug=publication.slug
    )
    await events.publication_changed(db, publication, was_visible=was_visible, deleted=True)


async def publish_publication(
    db: AsyncSession,
    principal: Principal,
    publication: Publication,
    expected_version: int | None,
    request: PublishInput,
) -> Publication:
    """Now, or at `at`: a future moment schedules it, and it becomes visible then, with no
    job to run. Publishing again keeps the original date unless `at` says otherwise."""
    ensure_may_publish(principal)
    now = utcnow()
    at = request.at
    if at is not None and at.tzinfo is None:
        raise Invalid.field("at", "must include a time zone", "timezone_required")
    published_at: datetime | None
    if at is not None and at > now:
        status, published_at = PublicationStatus.SCHEDULED, at
    else:
        keep = publication.published_at is not None and publication.published_at <= now
        status = PublicationStatus.PUBLISHED
        published_at = at or (publication.published_at if keep else now)
    return await _transition(
        db, principal, publication, expected_version, status, published_at, action="publish"
    )


async def unpublish_publication(
    db: AsyncSession, principal: Principal, publication: Publication, expected_version: int | None
) -> Publication:
    ensure_may_publish(principal)
    return await _transition(
        db, principal, publication, expected_version, PublicationStatus.DRAFT, None,
        action="unpublish",
    )  # fmt: skip


async def archive_publication(
    db: AsyncSession, principal: Principal, publication: Publication, expected_version: int | None
) -> Publication:
    ensure_may_publish(principal)
    return await _transition(
        db, principal, publication, expected_version, PublicationStatus.ARCHIVED, None,
        action="archive",
    )  # fmt: skip


async def _transition(
    db: AsyncSession,
    principal: Principal,
    publication: Publication,
    expected_version: int | None,
    status: PublicationStatus,
    published_at: datetime | None,
    *,
    action: str,
) -> Publication:
    was_visible = is_publicly_visible(publication)
    await _claim_version(db, publication, expected_version or publication.version)
    values: dict[str, Any] = {"status": status}
    if published_at is not None:
        values["published_at"] = published_at
    await db.execute(
        update(Publication).where(col(Publication.id) == publication.id).values(**values)
    )
    await db.refresh(publication)
    await _saved(db, publication, principal, action, was_visible=was_visible, reindex=False)
    return publication


async def _claim_version(db: AsyncSession, publication: Publication, expected: int) -> None:
    """Move to the next version only if nobody else has: the check and the write are one
    statement, so of two concurrent saves based on the same version exactly one wins."""
    result = await db.execute(
        update(Publication)
        .where(col(Publication.id) == publication.id, col(Publication.version) == expected)
        .values(version=col(Publication.version) + 1, updated_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        current = await db.scalar(
            select(col(Publication.version)).where(col(Publication.id) == publication.id)
        )
        if current is None:
            raise NotFound("the publication no longer exists")
        raise _stale(current)


def _stale(current: int) -> PreconditionFailed:
    return PreconditionFailed.stale("publication", current)


async def _saved(
    db: AsyncSession,
    publication: Publication,
    principal: Principal | None,
    action: str,
    *,
    was_visible: bool,
    reindex: bool = True,
) -> None:
    """What every accepted save does, in its transaction: index, revision, audit, and the
    change log and webhooks when the public may see a difference."""
    assert publication.id is not None
    if reindex:
        await reindex_publications(db, [publication.id])
    else:  # the text is unchanged, but its date (a facet) may not be
        await reindex_facets(db, [publication.id])
    await events.publication_changed(db, publication, was_visible=was_visible)
    revision = await revisions.record(db, publication, principal.user_id if principal else None)
    audit.record(
        db, principal, f"publication.{action}", "publication", publication.id,
        slug=publication.slug, version=publication.version, revision=revision.number,
    )  # fmt: skip


def _check_footnotes(body: str, footnotes: Sequence[Any]) -> None:
    numbers = [f.number for f in footnotes]
    errors = []
    seen: set[int] = set()
    for index, number in enumerate(numbers):
        if number in seen:
            errors.append(
                FieldError(f"footnotes.{index}.number", f"[^{number}] is repeated", "duplicate")
            )
        seen.add(number)
    for problem in check_footnotes(body, numbers):
        # The API names list items as pydantic does: footnotes.0, not footnotes[0].
        field = re.sub(r"\[(\d+)\]", r".\1", problem.field)
        errors.append(FieldError(field, problem.message, problem.code))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


async def _current_footnotes(db: AsyncSession, publication_id: int) -> list[FootnoteSource]:
    rows = await db.execute(
        select(col(Footnote.number), col(Footnote.text))
        .where(col(Footnote.publication_id) == publication_id)
        .order_by(col(Footnote.number))
    )
    return [FootnoteSource(number, text) for number, text in rows]


async def _write_footnotes(db: AsyncSession, publication_id: int, footnotes: Sequence[Any]) -> None:
    rows = [
        {
            "publication_id": publication_id,
            "number": f.number,
            "text": f.text,
            "url": f.url,
            "citation": f.citation.model_dump(exclude_none=True) if f.citation else None,
        }
        for f in footnotes
    ]
    if rows:
        await db.execute(insert(Footnote), rows)


async def _resolve_links(db: AsyncSession, fields: dict[str, Any]) -> dict[str, Any]:
    """Slugs to ids for the links the client sent; unknown slugs are a 422 naming them."""
    resolved: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, (model, _, _) in _LINKS.items():
        if name in fields:
            slugs = fields[name] or []
            ids = await _ids_by_slug(db, model, slugs)
            for index, slug in enumerate(slugs):
                if slug not in ids:
                    errors.append(
                        FieldError(
                            f"{name}.{index}", f"no {model.__name__.lower()} {slug!r}", "unknown"
                        )
                    )
            if len(set(slugs)) != len(slugs):
                errors.append(FieldError(name, "each may appear once", "duplicate"))
            resolved[name] = [ids[s] for s in slugs if s in ids]
    if "series" in fields:
        slug = fields["series"]
        if slug is None:
            resolved["series"] = None
        else:
            ids = await _ids_by_slug(db, Series, [slug])
            if slug not in ids:
                errors.append(FieldError("series", f"no series {slug!r}", "unknown"))
            resolved["series"] = ids.get(slug)
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return resolved


async def _ids_by_slug(db: AsyncSession, model: Any, slugs: Sequence[str]) -> dict[str, int]:
    if not slugs:
        return {}
    rows = await db.execute(select(model.slug, model.id).where(model.slug.in_(list(slugs))))
    return dict(rows.all())


async def _write_links(
    db: AsyncSession, publication_id: int, links: dict[str, Any], *, replace: bool = False
) -> None:
    for name, (_, link_model, column) in _LINKS.items():
        if name not in links:
            continue
        if replace:
            await db.execute(delete(link_model).where(link_model.publication_id == publication_id))
        rows = [
            {"publication_id": publication_id, column: term_id, "position": position}
            for position, term_id in enumerate(links[name])
        ]
        if rows:
            await db.execute(insert(link_model), rows)


def _image_columns(image: Any) -> dict[str, Any]:
    return {f"image_{name}": getattr(image, name) if image else None for name in _IMAGE_FIELDS}


async def _check_slug(db: AsyncSession, slug: str, *, publication_id: int | None) -> None:
    """A slug names one publication: no other may have it, now or as a former slug."""
    taken = await db.scalar(
        select(func.count())
        .select_from(Publication)
        .where(col(Publication.slug) == slug, col(Publication.id) != (publication_id or 0))
    )
    retired_by = await db.scalar(
        select(col(PublicationSlug.publication_id)).where(col(PublicationSlug.slug) == slug)
    )
    if taken or (retired_by is not None and retired_by != publication_id):
        raise Conflict.field_conflict("slug", f"{slug!r} is taken by another publication")


async def _free_slug(db: AsyncSession, base: str) -> str:
    """`base`, or the first of `base-2`, `base-3` … no publication has or had."""
    taken = set(
        await db.scalars(
            select(col(Publication.slug)).where(col(Publication.slug).startswith(base))
        )
    ) | set(
        await db.scalars(
            select(col(PublicationSlug.slug)).where(col(PublicationSlug.slug).startswith(base))
        )
    )
    n = 1
    while numbered(base, n) in taken:
        n += 1
    return numbered(base, n)


async def _retire_slug(db: AsyncSession, publication: Publication, new_slug: str) -> None:
    """The old slug keeps redirecting here; taking back a former slug un-retires it."""
    await db.execute(delete(PublicationSlug).where(col(PublicationSlug.slug) == new_slug))
    db.add(PublicationSlug(slug=publication.slug, publication_id=publication.id or 0))
    await db.flush()


async def publish_due(db: AsyncSession, now: datetime | None = None) -> int:
    """Scheduled publications whose moment has come become `published`, each announced as
    published in the change log and to webhooks. The visibility rule has shown them since
    their moment; this catches the rest of the system up (the worker calls it every
    second, and `/changes` before it reads). Returns how many it published."""
    moment = now or utcnow()
    due = list(
        await db.scalars(
            select(Publication)
            .where(
                col(Publication.status) == PublicationStatus.SCHEDULED,
                col(Publication.published_at) <= moment,
            )
            .order_by(col(Publication.published_at), col(Publication.id))
            .limit(100)
        )
    )
    for publication in due:
        await db.execute(
            update(Publication)
            .where(
                col(Publication.id) == publication.id,
                col(Publication.version) == publication.version,
            )
            .values(status=PublicationStatus.PUBLISHED, version=publication.version + 1)
        )
        await db.refresh(publication)
        await _saved(db, publication, None, "publish", was_visible=False, reindex=False)
    return len(due)
