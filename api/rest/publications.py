"""`/publications`: the public list and detail."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_json, cached_response
from api.db import AnyRow, get_session
from api.errors import NotFound
from api.rest.auth import MaybeEditor, private
from api.rest.dependencies import CurrentSettings, Db
from api.rest.editing import editor_answer
from api.rest.pagination import page_headers, page_meta
from api.rest.params import PublicationParams
from api.rest.presenters import Related, publication_detail, publication_summary
from api.rest.public_reads import answers_anonymous
from api.rest.responses import INVALID, NOT_FOUND, UNAUTHENTICATED
from api.rest.schemas import Listing, Publication, PublicationSummary, Single
from api.services import previews
from api.services.publications import Redirect, editor_row, find_publications, get_publication
from api.services.publishing import ensure_may_view, find_for_editing, may_edit

router = APIRouter(tags=["publications"])

IdOrSlug = Annotated[str, Path(description="The id, the slug, or a former slug (301).")]


def _anonymous_list(request: Request) -> dict[str, Any] | None:
    try:
        # Repeated parameters: the last one counts, as in FastAPI's own reading.
        params = PublicationParams.model_validate(dict(request.query_params))
    except ValidationError:
        return None  # FastAPI's path names every bad parameter
    return {
        "request": request,
        "params": params,
        "db": get_session(request),
        "settings": request.app.state.settings,
        "principal": None,
    }


def _anonymous_detail(request: Request) -> dict[str, Any] | None:
    # Most reads have no query string: nothing to parse.
    if request.scope["query_string"] and "preview" in request.query_params:
        return None
    return {
        "request": request,
        "id_or_slug": request.path_params["id_or_slug"],
        "db": get_session(request),
        "settings": request.app.state.settings,
        "principal": None,
    }


@router.get(
    "/publications",
    response_model=Listing[PublicationSummary],
    responses={**INVALID, **UNAUTHENTICATED},
    summary="List visible publications",
)
@answers_anonymous(_anonymous_list)
async def list_publications(
    request: Request,
    params: Annotated[PublicationParams, Query()],
    db: Db,
    settings: CurrentSettings,
    principal: MaybeEditor,
) -> Response:
    """Newest first, or by relevance when `q` is given. Ties are broken by id, so walking
    every page yields each visible publication exactly once. With a token, `status` shows
    unpublished work (an author sees only their own), never cached publicly."""
    page = await find_publications(
        db,
        params.filters(principal),
        order=params.sort,
        offset=params.offset,
        limit=params.per_page,
        relations=True,
    )
    related = Related.from_rows(page.rows) if page.relations else await Related.load(db, page.rows)
    body = {
        "data": [publication_summary(row, related, settings) for row in page.rows],
        "meta": page_meta(params, page.total),
    }
    response = cached_json(request, body, headers=page_headers(request, params, page.total))
    return private(response) if principal is not None else response


@router.get(
    "/publications/{id_or_slug}",
    response_model=Single[Publication],
    responses={
        301: {"description": "A former slug: `Location` names the current one."},
        **NOT_FOUND,
        **UNAUTHENTICATED,
    },
    summary="One visible publication, whole",
)
@answers_anonymous(_anonymous_detail)
async def read_publication(
    request: Request,
    id_or_slug: IdOrSlug,
    db: Db,
    settings: CurrentSettings,
    principal: MaybeEditor,
    preview: Annotated[
        str | None,
        Query(max_length=2000, description="A preview token: shows this publication unpublished."),
    ] = None,
) -> Response:
    """With a token: the editor's view (any status the role may see, Markdown, notes), its
    ETag the version for `If-Match`. With a valid `preview` token for this publication: its
    public shape whatever its status, never cached publicly; a wrong or expired token shows
    nothing more than an anonymous request sees."""
    if preview is not None:
        previewed = await _previewed(request, db, id_or_slug, preview)
        if previewed is not None:
            related = await Related.load(db, [previewed], footnotes=True)
            body = {"data": publication_detail(previewed, related, settings)}
            return private(cached_json(request, body))
    if principal is not None:
        publication = await find_for_editing(db, id_or_slug)
        if may_edit(principal, publication):
            return await editor_answer(db, publication, settings)
        ensure_may_view(principal, publication)  # public work: the public shape, privately
        row = await editor_row(db, publication.id or 0)
        assert row is not None
        related = await Related.load(db, [row], footnotes=True)
        return private(cached_json(request, {"data": publication_detail(row, related, settings)}))
    found = await get_publication(db, id_or_slug, relations=True)
    if found is None:
        raise NotFound(f"no publication {id_or_slug!r}")
    if isinstance(found, Redirect):
        location = request.url.path.rsplit("/", 1)[0] + "/" + found.slug
        if request.url.query:
            location += "?" + request.url.query
        return cached_response(
            request, b"", "text/plain", status_code=301, headers={"Location": location}
        )
    related = Related.from_rows([found])
    return cached_json(request, {"data": publication_detail(found, related, settings)})


async def _previewed(request: Request, db: Db, reference: str, token: str) -> AnyRow | None:
    """The publication a preview token shows, if it is the one the path names."""
    publication_id = previews.publication_id(token, request.app.state.secret_key)
    if publication_id is None:
        return None
    row = await editor_row(db, publication_id)
    if row is None or reference not in (str(row.id), row.slug):
        return None
    return row
