"""The editor API for publications: create, update, delete, the workflow, revisions.

Every answer here depends on who asks, so it is `Cache-Control: private, no-store`, and its
`ETag` is the publication's `version` in quotes: the value `If-Match` must carry.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.caching import JSON
from api.rest.auth import Editor, private
from api.rest.dependencies import CurrentSettings, Db
from api.rest.preconditions import IfMatch, expected_version
from api.rest.presenters import Related, editor_detail, revision_detail, revision_summary
from api.rest.responses import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, STALE, UNAUTHENTICATED
from api.rest.schemas import EditorPublication, RevisionList, RevisionResponse, Single
from api.services import previews, publishing, revisions
from api.services.auth import Principal
from api.services.publication_input import PublicationCreate, PublicationPatch, PublishInput
from api.services.publications import editor_row
from api.settings import Settings
from models import Publication

router = APIRouter(tags=["editing"])

IdOrSlug = Annotated[str, Path(description="The id, the slug, or a former slug.")]
WRITE_ERRORS = {**UNAUTHENTICATED, **FORBIDDEN, **NOT_FOUND}


async def editor_answer(
    db: Db, publication: Publication, settings: Settings, status_code: int = 200
) -> Response:
    assert publication.id is not None
    row = await editor_row(db, publication.id)
    assert row is not None
    related = await Related.load(db, [row], footnotes=True)
    body = orjson.dumps({"data": editor_detail(row, related, settings)})
    response = Response(body, status_code=status_code, media_type=JSON)
    response.headers["ETag"] = f'"{row.version}"'
    return private(response)


@router.post(
    "/publications",
    status_code=201,
    response_model=Single[EditorPublication],
    responses={**UNAUTHENTICATED, **INVALID, **CONFLICT},
    summary="Create a draft",
)
async def create(
    request: Request, data: PublicationCreate, principal: Editor, db: Db, settings: CurrentSettings
) -> Response:
    publication = await publishing.create_publication(db, principal, data)
    await db.commit()
    response = await editor_answer(db, publication, settings, status_code=201)
    response.headers["Location"] = f"{request.url.path}/{publication.id}"
    return response


@router.patch(
    "/publications/{id_or_slug}",
    response_model=Single[EditorPublication],
    responses={**WRITE_ERRORS, **INVALID, **CONFLICT, **STALE},
    summary="Change the fields given; If-Match required",
)
async def patch(
    id_or_slug: IdOrSlug,
    data: PublicationPatch,
    principal: Editor,
    db: Db,
    settings: CurrentSettings,
    if_match: IfMatch = None,
) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    version = expected_version(if_match, publication.version)
    assert version is not None
    await publishing.update_publication(db, principal, publication, version, data)
    await db.commit()
    return await editor_answer(db, publication, settings)


@router.delete(
    "/publications/{id_or_slug}",
    status_code=204,
    responses={**WRITE_ERRORS, **STALE},
    summary="Delete; If-Match required",
)
async def remove(
    id_or_slug: IdOrSlug, principal: Editor, db: Db, if_match: IfMatch = None
) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    version = expected_version(if_match, publication.version)
    assert version is not None
    await publishing.delete_publication(db, principal, publication, version)
    await db.commit()
    return private(Response(status_code=204))


@router.post(
    "/publications/{id_or_slug}/publish",
    response_model=Single[EditorPublication],
    responses={**WRITE_ERRORS, **INVALID, **STALE},
    summary="Publish now, or schedule with a future `at`",
)
async def publish(
    id_or_slug: IdOrSlug,
    principal: Editor,
    db: Db,
    settings: CurrentSettings,
    data: Annotated[PublishInput | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    version = expected_version(if_match, publication.version, required=False)
    await publishing.publish_publication(
        db, principal, publication, version, data or PublishInput()
    )
    await db.commit()
    return await editor_answer(db, publication, settings)


Transition = Callable[[AsyncSession, Principal, Publication, int | None], Awaitable[Publication]]


def _register_transition(action: str, transition: Transition, summary: str) -> None:
    """`POST …/unpublish` and `…/archive`: the same shape, a different service step."""

    async def move(
        id_or_slug: IdOrSlug,
        principal: Editor,
        db: Db,
        settings: CurrentSettings,
        if_match: IfMatch = None,
    ) -> Response:
        publication = await publishing.find_for_editing(db, id_or_slug)
        version = expected_version(if_match, publication.version, required=False)
        await transition(db, principal, publication, version)
        await db.commit()
        return await editor_answer(db, publication, settings)

    router.add_api_route(
        f"/publications/{{id_or_slug}}/{action}",
        move,
        methods=["POST"],
        response_model=Single[EditorPublication],
        responses={**WRITE_ERRORS, **STALE},
        summary=summary,
        operation_id=f"{action}_publication",
    )


_register_transition("unpublish", publishing.unpublish_publication, "Back to draft")
_register_transition(
    "archive",
    publishing.archive_publication,
    "Archive: off every public surface, kept for the record",
)


class PreviewGrant(BaseModel):
    token: str = Field(description="Pass it as `?preview=` (REST) or `previewToken` (GraphQL).")
    expires_at: datetime


class PreviewGrantResponse(BaseModel):
    data: PreviewGrant


@router.post(
    "/publications/{id_or_slug}/preview-token",
    status_code=201,
    response_model=PreviewGrantResponse,
    responses=WRITE_ERRORS,
    summary="A signed, expiring link to show this publication to a reviewer",
)
async def preview_token(
    request: Request, id_or_slug: IdOrSlug, principal: Editor, db: Db, settings: CurrentSettings
) -> Response:
    """Editors, for any publication; an author, for their own drafts."""
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    assert publication.id is not None
    grant = previews.issue(
        publication.id, request.app.state.secret_key, timedelta(hours=settings.preview_token_hours)
    )
    body = {"data": {"token": grant.token, "expires_at": grant.expires_at}}
    return private(Response(orjson.dumps(body), status_code=201, media_type=JSON))


@router.get(
    "/publications/{id_or_slug}/revisions",
    response_model=RevisionList,
    responses=WRITE_ERRORS,
    summary="Every saved state, newest first",
)
async def list_revisions(id_or_slug: IdOrSlug, principal: Editor, db: Db) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    assert publication.id is not None
    items = await revisions.list_revisions(db, publication.id)
    body = {"data": [revision_summary(item) for item in items]}
    return private(Response(orjson.dumps(body), media_type=JSON))


@router.get(
    "/publications/{id_or_slug}/revisions/{number}",
    response_model=RevisionResponse,
    responses=WRITE_ERRORS,
    summary="One saved state, whole",
)
async def read_revision(id_or_slug: IdOrSlug, number: int, principal: Editor, db: Db) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    assert publication.id is not None
    revision = await revisions.get_revision(db, publication.id, number)
    return private(Response(orjson.dumps({"data": revision_detail(revision)}), media_type=JSON))


@router.post(
    "/publications/{id_or_slug}/revisions/{number}/restore",
    response_model=Single[EditorPublication],
    responses={**WRITE_ERRORS, **STALE, **CONFLICT, **INVALID},
    summary="Make an earlier state current again (a new revision)",
)
async def restore(
    id_or_slug: IdOrSlug,
    number: int,
    principal: Editor,
    db: Db,
    settings: CurrentSettings,
    if_match: IfMatch = None,
) -> Response:
    publication = await publishing.find_for_editing(db, id_or_slug)
    publishing.ensure_may_edit(principal, publication)
    assert publication.id is not None
    revision = await revisions.get_revision(db, publication.id, number)
    version = expected_version(if_match, publication.version, required=False)
    patch = revisions.restore_patch(revision)
    await publishing.update_publication(
        db, principal, publication, version or publication.version, patch
    )
    await db.commit()
    return await editor_answer(db, publication, settings)
