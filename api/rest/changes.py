"""`/changes`: the change feed partners sync from, deletions included."""

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from api.caching import JSON, cached_response
from api.rest.dependencies import CurrentSettings, Db
from api.rest.presenters import Related, publication_detail
from api.rest.responses import INVALID
from api.rest.schemas import Publication
from api.services.change_feed import read_changes
from api.services.publishing import publish_due

router = APIRouter(tags=["syndication"])


class Upsert(BaseModel):
    change: Literal["upsert"]
    id: str
    slug: str
    publication: Publication


class Delete(BaseModel):
    change: Literal["delete"]
    id: str
    slug: str


class ChangeMeta(BaseModel):
    next_cursor: str = Field(description="Pass it as `since` to continue from here.")
    has_more: bool = Field(description="True while more changes wait: ask again at once.")


class Changes(BaseModel):
    data: list[Upsert | Delete]
    meta: ChangeMeta


@router.get(
    "/changes",
    response_model=Changes,
    responses=INVALID,
    summary="Every change to the public set since a cursor, deletions included",
)
async def changes(
    request: Request,
    db: Db,
    settings: CurrentSettings,
    since: Annotated[
        str | None,
        Query(max_length=500, description="A cursor from `meta.next_cursor`; none: a snapshot."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Without `since`: every visible publication as an upsert, then the cursor to follow.
    With it: in commit order, each publication that changed, as it is now (an upsert with
    its public detail while it is visible, else a delete). A new slug is an upsert of the
    same id."""
    if await publish_due(db):  # scheduled publications whose time has come join the feed
        await db.commit()
    page = await read_changes(db, since, limit)
    related = await Related.load(
        db, [e.row for e in page.entries if e.row is not None], footnotes=True
    )
    data = [
        {"change": "upsert", "id": str(e.publication_id), "slug": e.slug,
         "publication": publication_detail(e.row, related, settings)}
        if e.row is not None
        else {"change": "delete", "id": str(e.publication_id), "slug": e.slug}
        for e in page.entries
    ]  # fmt: skip
    body = orjson.dumps(
        {
            "data": data,
            "meta": {"next_cursor": page.next_cursor.encode(), "has_more": page.has_more},
        }
    )
    response = cached_response(request, body, JSON)
    # Partners poll: a cache may keep an answer only if it revalidates it every time.
    response.headers["Cache-Control"] = "no-cache"
    return response
