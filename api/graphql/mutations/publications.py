"""Publication writes: create, update, delete, the workflow and restoring a revision, over
`api/services/publishing.py` with REST's order of checks (who asks, what they may do, then
the version they edited).

Updates and deletes name the version they are based on (`expectedVersion`); a stale one is
CONFLICT with `currentVersion`. The workflow and restores may leave it out, as REST's
`If-Match` is optional there.
"""

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from api.errors import NotFound
from api.graphql.context import Info
from api.graphql.fields import field
from api.graphql.inputs import CreatePublicationInput, UpdatePublicationInput, validated
from api.graphql.nodes import database_id
from api.graphql.types.publication import Publication
from api.graphql.writes import committed
from api.services import publishing, revisions
from api.services.auth import Principal
from api.services.publication_input import PublicationCreate, PublicationPatch, PublishInput
from models import Publication as PublicationRow

EXPECTED = "The version the change is based on: a stale one is CONFLICT with `currentVersion`."
OPTIONAL_EXPECTED = f"{EXPECTED} Left out, the current version."


def _reference(id: strawberry.ID) -> str:
    reference = database_id(id, "id", of="Publication")
    if reference is None:
        raise NotFound(f"no publication {id!r}")
    return reference


async def _editable(db: AsyncSession, principal: Principal, id: strawberry.ID) -> PublicationRow:
    publication = await publishing.find_for_editing(db, _reference(id))
    publishing.ensure_may_edit(principal, publication)
    return publication


@strawberry.type
class PublicationMutations:
    @field(description="A new draft. Authors, editors and admins.")
    async def create_publication(
        self, info: Info, input: CreatePublicationInput
    ) -> Publication | None:
        principal = info.context.require_principal()
        data = validated(PublicationCreate, input)

        async def create(db: AsyncSession) -> int:
            created = await publishing.create_publication(db, principal, data)
            assert created.id is not None
            return created.id

        return await Publication.edited(info, await committed(info, create))

    @field(
        description="Change the fields given; those left out stay. Editors and admins; an "
        "author, only the drafts they created."
    )
    async def update_publication(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: Annotated[int, strawberry.argument(description=EXPECTED)],
        input: UpdatePublicationInput,
    ) -> Publication | None:
        principal = info.context.require_principal()
        data = validated(PublicationPatch, input)

        async def update(db: AsyncSession) -> int:
            publication = await _editable(db, principal, id)
            await publishing.update_publication(db, principal, publication, expected_version, data)
            assert publication.id is not None
            return publication.id

        return await Publication.edited(info, await committed(info, update))

    @field(description="Delete it, with its history. As `updatePublication`; answers its id.")
    async def delete_publication(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: Annotated[int, strawberry.argument(description=EXPECTED)],
    ) -> strawberry.ID | None:
        principal = info.context.require_principal()

        async def delete(db: AsyncSession) -> int:
            publication = await _editable(db, principal, id)
            await publishing.delete_publication(db, principal, publication, expected_version)
            assert publication.id is not None
            return publication.id

        return strawberry.ID(to_base64("Publication", await committed(info, delete)))

    @field(
        description="Publish now, or at `at`: a future moment schedules it, visible from then "
        "with no job to run. Editors and admins."
    )
    async def publish_publication(
        self,
        info: Info,
        id: strawberry.ID,
        at: Annotated[
            datetime | None, strawberry.argument(description="With a time zone; left out, now.")
        ] = None,
        expected_version: Annotated[
            int | None, strawberry.argument(description=OPTIONAL_EXPECTED)
        ] = None,
    ) -> Publication | None:
        principal = info.context.require_principal()
        data = validated(PublishInput, {"at": at})

        async def publish(db: AsyncSession) -> int:
            publication = await publishing.find_for_editing(db, _reference(id))
            await publishing.publish_publication(db, principal, publication, expected_version, data)
            assert publication.id is not None
            return publication.id

        return await Publication.edited(info, await committed(info, publish))

    @field(description="Back to draft, off every public surface. Editors and admins.")
    async def unpublish_publication(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: Annotated[
            int | None, strawberry.argument(description=OPTIONAL_EXPECTED)
        ] = None,
    ) -> Publication | None:
        principal = info.context.require_principal()

        async def unpublish(db: AsyncSession) -> int:
            publication = await publishing.find_for_editing(db, _reference(id))
            await publishing.unpublish_publication(db, principal, publication, expected_version)
            assert publication.id is not None
            return publication.id

        return await Publication.edited(info, await committed(info, unpublish))

    @field(description="Off every public surface, kept for the record. Editors and admins.")
    async def archive_publication(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: Annotated[
            int | None, strawberry.argument(description=OPTIONAL_EXPECTED)
        ] = None,
    ) -> Publication | None:
        principal = info.context.require_principal()

        async def archive(db: AsyncSession) -> int:
            publication = await publishing.find_for_editing(db, _reference(id))
            await publishing.archive_publication(db, principal, publication, expected_version)
            assert publication.id is not None
            return publication.id

        return await Publication.edited(info, await committed(info, archive))

    @field(
        description="Make an earlier saved state current again: a new revision, the workflow "
        "state left as it is. As `updatePublication`."
    )
    async def restore_revision(
        self,
        info: Info,
        id: strawberry.ID,
        number: Annotated[int, strawberry.argument(description="The revision's number.")],
        expected_version: Annotated[
            int | None, strawberry.argument(description=OPTIONAL_EXPECTED)
        ] = None,
    ) -> Publication | None:
        principal = info.context.require_principal()

        async def restore(db: AsyncSession) -> int:
            publication = await _editable(db, principal, id)
            assert publication.id is not None
            revision = await revisions.get_revision(db, publication.id, number)
            version = expected_version or publication.version
            await publishing.update_publication(
                db, principal, publication, version, revisions.restore_patch(revision)
            )
            return publication.id

        return await Publication.edited(info, await committed(info, restore))
