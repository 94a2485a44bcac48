"""Writes to authors, categories, series and tags (editors and admins), over
`api/services/directory_editing.py`: one set of rules for the four kinds, as in REST."""

from typing import Annotated, Any, TypeVar

import strawberry
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from api.errors import NotFound
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.inputs import (
    CreateAuthorInput,
    CreateTaxonomyInput,
    UpdateAuthorInput,
    UpdateTaxonomyInput,
    validated,
)
from api.graphql.nodes import database_id
from api.graphql.types.directory import Author, Category, DirectoryEntry, Series, Tag
from api.graphql.writes import committed
from api.services import directory_editing as editing
from api.services.directory import get_entry

EntryT = TypeVar("EntryT", bound=DirectoryEntry)
Expected = Annotated[
    int,
    strawberry.argument(
        description="The version the change is based on: a stale one is CONFLICT with "
        "`currentVersion`."
    ),
]


async def _create(info: Info, cls: type[EntryT], model: type[BaseModel], input: object) -> EntryT:
    principal = info.context.require_principal()
    editing.ensure_editor(principal)
    data = validated(model, input)
    assert isinstance(data, editing.EntryFields)

    async def create(db: AsyncSession) -> int:
        row = await editing.create_entry(db, principal, cls.kind, data)
        return int(row.id)

    return await _current(info, cls, await committed(info, create))


async def _update(
    info: Info,
    cls: type[EntryT],
    model: type[BaseModel],
    id: strawberry.ID,
    expected_version: int,
    input: object,
) -> EntryT:
    principal = info.context.require_principal()
    editing.ensure_editor(principal)
    data = validated(model, input)
    assert isinstance(data, editing.EntryFields)

    async def update(db: AsyncSession) -> int:
        row = await editing.find_entry(db, cls.kind, _reference(cls, id))
        await editing.update_entry(db, principal, cls.kind, row, expected_version, data)
        return int(row.id)

    return await _current(info, cls, await committed(info, update))


async def _delete(
    info: Info, cls: type[DirectoryEntry], id: strawberry.ID, expected_version: int
) -> strawberry.ID | None:
    principal = info.context.require_principal()
    editing.ensure_editor(principal)

    async def delete(db: AsyncSession) -> int:
        row = await editing.find_entry(db, cls.kind, _reference(cls, id))
        await editing.delete_entry(db, principal, cls.kind, row, expected_version)
        return int(row.id)

    return strawberry.ID(to_base64(cls.__name__, await committed(info, delete)))


def _reference(cls: type[DirectoryEntry], id: strawberry.ID) -> str:
    reference = database_id(id, "id", of=cls.__name__)
    if reference is None:
        raise NotFound(f"no {cls.kind.value} {id!r}")
    return reference


async def _current(info: Info, cls: type[EntryT], row_id: int) -> EntryT:
    found = await info.context.db.run(get_entry, cls.kind, str(row_id))
    if found is None:
        raise NotFound(f"{cls.kind.value} {row_id} no longer exists")
    return cls.from_entry(found)


def _taxonomy_fields(cls: type[DirectoryEntry], noun: str) -> tuple[Any, Any, Any]:
    """create<Kind>, update<Kind>, delete<Kind> for a category, series or tag."""

    async def create(info: Info, input: CreateTaxonomyInput) -> DirectoryEntry:
        return await _create(info, cls, editing.TaxonomyCreate, input)

    async def update(
        info: Info, id: strawberry.ID, expected_version: Expected, input: UpdateTaxonomyInput
    ) -> DirectoryEntry:
        return await _update(info, cls, editing.TaxonomyFields, id, expected_version, input)

    async def delete(
        info: Info, id: strawberry.ID, expected_version: Expected
    ) -> strawberry.ID | None:
        return await _delete(info, cls, id, expected_version)

    return (
        strawberry.field(
            resolver=create, graphql_type=cls | None, description=f"A new {noun}; the slug comes "
            "from the name when left out. Editors and admins."
        ),
        strawberry.field(
            resolver=update, graphql_type=cls | None,
            description=f"Change the {noun}'s fields given. Editors and admins.",
        ),
        strawberry.field(
            resolver=delete,
            description=f"Delete the {noun}; answers its id. One still on a publication is "
            "CONFLICT (a series may go: its publications leave it). Editors and admins.",
        ),
    )  # fmt: skip


@strawberry.type
class DirectoryMutations:
    @field(description="A new author; the slug comes from the name when left out. Editors and "
           "admins.")  # fmt: skip
    async def create_author(self, info: Info, input: CreateAuthorInput) -> Author | None:
        return await _create(info, Author, editing.AuthorCreate, input)

    @field(description="Change the author's fields given. Editors and admins.")
    async def update_author(
        self, info: Info, id: strawberry.ID, expected_version: Expected, input: UpdateAuthorInput
    ) -> Author | None:
        return await _update(info, Author, editing.AuthorFields, id, expected_version, input)

    @field(description="Delete an author no publication names; answers its id. Editors and "
           "admins.")  # fmt: skip
    async def delete_author(
        self, info: Info, id: strawberry.ID, expected_version: Expected
    ) -> strawberry.ID | None:
        return await _delete(info, Author, id, expected_version)

    create_category, update_category, delete_category = _taxonomy_fields(Category, "category")
    create_series, update_series, delete_series = _taxonomy_fields(Series, "series")
    create_tag, update_tag, delete_tag = _taxonomy_fields(Tag, "tag")
