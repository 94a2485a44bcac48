"""`/stats`: the site's "Total Index" and how many of each kind it has."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_json
from api.rest.dependencies import Db
from api.rest.schemas import Single, Stats
from api.services.directory import site_counts

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=Single[Stats], summary="Site-wide counts")
async def read_stats(request: Request, db: Db) -> Response:
    return cached_json(request, {"data": await site_counts(db)})
