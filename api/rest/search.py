"""`/search`: ranked hits with highlights, and facets over the whole result set."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_json
from api.rest.auth import MaybeEditor, private
from api.rest.dependencies import CurrentSettings, Db
from api.rest.pagination import page_headers, page_meta
from api.rest.params import SearchParams
from api.rest.presenters import Related, facets, search_hit
from api.rest.responses import INVALID, UNAUTHENTICATED
from api.rest.schemas import SearchResults
from api.services.publications import search_publications

router = APIRouter(tags=["search"])


@router.get(
    "/search",
    response_model=SearchResults,
    responses={**INVALID, **UNAUTHENTICATED},
    summary="Full-text search with highlights and facets",
)
async def search(
    request: Request,
    params: Annotated[SearchParams, Query()],
    db: Db,
    settings: CurrentSettings,
    principal: MaybeEditor,
) -> Response:
    """By relevance (ties: newest first) unless `sort` says otherwise. The same filters as
    `/publications` narrow the search; facets and the total cover every hit. Editors may
    search unpublished work with `status` and a token."""
    results = await search_publications(
        db,
        params.filters(principal),
        order=params.sort,
        offset=params.offset,
        limit=params.per_page,
        facet_limit=params.facet_limit,
        relations=True,
    )
    related = (
        Related.from_rows(results.rows)
        if results.relations
        else await Related.load(db, results.rows)
    )
    body = {
        "data": [
            search_hit(row, related, results.highlights.get(row.id), settings)
            for row in results.rows
        ],
        "meta": {**page_meta(params, results.total), "facets": facets(results.facets)},
    }
    response = cached_json(request, body, headers=page_headers(request, params, results.total))
    return private(response) if principal is not None else response
