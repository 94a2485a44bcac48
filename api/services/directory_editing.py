"""Editors' writes to authors, categories, series and tags: the same rules for all four
(slug generated and unique, a version checked on every change, an audit event)."""

from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from api.services import audit, content_version, events
from api.services.auth import Principal
from api.services.directory import Kind, link_column
from api.services.lookup import parse_reference
from api.services.publication_input import Input, Slug
from api.services.search_index import reindex_publications
from api.services.slugs import numbered, slugify
from api.services.visibility import publicly_visible
from models import Author, Category, Publication, Series, Tag, utcnow

MODELS: dict[Kind, Any] = {Kind.AUTHOR: Author, Kind.CATEGORY: Category,
                           Kind.SERIES: Series, Kind.TAG: Tag}  # fmt: skip
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


class EntryFields(Input):
    """Every field optional: a PATCH changes exactly what it names."""

    name: Name | None = None
    slug: Slug | None = None

    def given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class AuthorFields(EntryFields):
    job_title: Annotated[str, StringConstraints(max_length=300)] | None = None
    bio: LongText | None = None


class TaxonomyFields(EntryFields):
    description: LongText | None = None


class AuthorCreate(AuthorFields):
    name: Name


class TaxonomyCreate(TaxonomyFields):
    name: Name


INDEXED_NAMES = (Kind.AUTHOR, Kind.CATEGORY, Kind.SERIES)
LINKED_ID = {
    Kind.AUTHOR: "publication_id",
    Kind.CATEGORY: "publication_id",
    Kind.SERIES: "id",
    Kind.TAG: "publication_id",
}


def ensure_editor(principal: Principal) -> None:
    if not principal.is_editor:
        raise Forbidden("only editors and admins change authors and taxonomies")


async def find_entry(db: AsyncSession, kind: Kind, reference: str) -> Any:
    model = MODELS[kind]
    key = parse_reference(reference)
    row = None
    if isinstance(key, int):
        row = await db.get(model, key)
    elif key is not None:
        row = await db.scalar(select(model).where(model.slug == key))
    if row is None:
        raise NotFound(f"no {kind.value} {reference!r}")
    return row


async def create_entry(
    db: AsyncSession, principal: Principal, kind: Kind, data: EntryFields
) -> Any:
    ensure_editor(principal)
    model = MODELS[kind]
    fields = data.given()
    slug = fields.pop("slug", None) or await _free_slug(db, model, slugify(fields["name"]))
    await _check_slug(db, model, slug, None)
    row = model(slug=slug, **fields)
    db.add(row)
    await db.flush()
    audit.record(db, principal, f"{kind.value}.create", kind.value, row.id, slug=slug)
    await content_version.bump(db)  # lists of this kind show it
    return row


async def update_entry(
    db: AsyncSession,
    principal: Principal,
    kind: Kind,
    row: Any,
    expected_version: int,
    data: EntryFields,
) -> Any:
    ensure_editor(principal)
    model = MODELS[kind]
    fields = data.given()
    if "name" in fields and fields["name"] is None:
        raise Invalid.field("name", "must not be null", "required")
    if fields.get("slug") is None:
        fields.pop("slug", None)
    elif fields["slug"] != row.slug:
        await _check_slug(db, model, fields["slug"], row.id)
    result = await db.execute(
        update(model)
        .where(model.id == row.id, model.version == expected_version)
        .values(version=model.version + 1, updated_at=utcnow(), **fields)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await db.refresh(row)
        raise _stale(kind, row.version)
    await db.refresh(row)
    if "name" in fields and kind in INDEXED_NAMES:
        # Author, category and series names are searchable: their publications' index
        # entries change in the same transaction.
        await reindex_publications(db, await _linked_publications(db, kind, row.id))
    audit.record(db, principal, f"{kind.value}.update", kind.value, row.id, version=row.version)
    await events.entry_changed(
        db, kind, row.id, row.slug, await _visible_publications(db, kind, row.id)
    )
    return row


async def delete_entry(
    db: AsyncSession, principal: Principal, kind: Kind, row: Any, expected_version: int
) -> None:
    """An author, category or tag still linked to publications cannot go (unlink it
    first); a series can, and its publications simply leave it."""
    ensure_editor(principal)
    model = MODELS[kind]
    affected = await _visible_publications(db, kind, row.id)
    # A series' publications leave it: their index entries lose its name and its facet.
    left = await _linked_publications(db, kind, row.id) if kind is Kind.SERIES else []
    try:
        async with db.begin_nested():
            result = await db.execute(
                delete(model).where(model.id == row.id, model.version == expected_version)
            )
    except IntegrityError:
        raise Conflict(
            f"this {kind.value} still has publications; remove it from them first"
        ) from None
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise _stale(kind, row.version)
    audit.record(db, principal, f"{kind.value}.delete", kind.value, row.id, slug=row.slug)
    await reindex_publications(db, left)
    await events.append_changes(db, affected)  # a deleted series leaves its publications
    await content_version.bump(db)


async def _linked_publications(db: AsyncSession, kind: Kind, entry_id: int) -> list[int]:
    link = link_column(kind)
    return list(await db.scalars(select(link.table.c[LINKED_ID[kind]]).where(link == entry_id)))


async def _visible_publications(
    db: AsyncSession, kind: Kind, entry_id: int
) -> list[tuple[int, str]]:
    """(id, slug) of the visible publications that show this entry."""
    link = link_column(kind)
    ids = select(link.table.c[LINKED_ID[kind]]).where(link == entry_id)
    rows = await db.execute(
        select(col(Publication.id), col(Publication.slug)).where(
            col(Publication.id).in_(ids), publicly_visible()
        )
    )
    return [(pid or 0, slug) for pid, slug in rows]


def _stale(kind: Kind, current: int) -> PreconditionFailed:
    return PreconditionFailed.stale(kind.value, current)


async def _check_slug(db: AsyncSession, model: Any, slug: str, row_id: int | None) -> None:
    taken = await db.scalar(
        select(func.count()).select_from(model).where(model.slug == slug, model.id != (row_id or 0))
    )
    if taken:
        raise Conflict.field_conflict("slug", f"{slug!r} is taken")


async def _free_slug(db: AsyncSession, model: Any, base: str) -> str:
    taken = set(await db.scalars(select(model.slug).where(model.slug.startswith(base))))
    n = 1
    while numbered(base, n) in taken:
        n += 1
    return numbered(base, n)
