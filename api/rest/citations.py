"""`/publications/{id_or_slug}/citation` and `/references`: how to cite a publication, and
the works its footnotes cite, in the formats reference managers import."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_response
from api.db import AnyRow
from api.errors import NotFound
from api.rest.dependencies import CurrentSettings, Db
from api.rest.publications import IdOrSlug
from api.rest.responses import INVALID, NOT_FOUND, ProblemResponses
from api.services import relations
from api.services.citations import MEDIA_TYPES, CitationFormat, CitedWork, cite
from api.services.publications import Redirect, get_publication
from api.services.references import references

router = APIRouter(tags=["citations"])

CSL_JSON = MEDIA_TYPES[CitationFormat.CSL_JSON]
# BibTeX and RIS are text: say which encoding, since neither format has a way to.
CONTENT_TYPES = {
    CitationFormat.CSL_JSON: CSL_JSON,
    CitationFormat.BIBTEX: MEDIA_TYPES[CitationFormat.BIBTEX] + "; charset=utf-8",
    CitationFormat.RIS: MEDIA_TYPES[CitationFormat.RIS] + "; charset=utf-8",
}
EXTENSIONS = {
    CitationFormat.CSL_JSON: "json",
    CitationFormat.BIBTEX: "bib",
    CitationFormat.RIS: "ris",
}
CSL_ITEMS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object", "required": ["id", "type"]},
    "description": "CSL-JSON: an array of items (https://citationstyles.org).",
}
MOVED: ProblemResponses = {301: {"description": "A former slug: `Location` names the current one."}}


@router.get(
    "/publications/{id_or_slug}/citation",
    response_class=Response,
    responses={
        200: {
            "description": "The citation, as a file a reference manager imports.",
            "content": {
                CSL_JSON: {"schema": CSL_ITEMS},
                MEDIA_TYPES[CitationFormat.BIBTEX]: {"schema": {"type": "string"}},
                MEDIA_TYPES[CitationFormat.RIS]: {"schema": {"type": "string"}},
            },
        },
        **MOVED,
        **NOT_FOUND,
        **INVALID,
    },
    summary="Cite a visible publication in CSL-JSON, BibTeX or RIS",
)
async def citation(
    request: Request,
    id_or_slug: IdOrSlug,
    db: Db,
    settings: CurrentSettings,
    format: Annotated[
        CitationFormat, Query(description="The file format; CSL-JSON when omitted.")
    ] = CitationFormat.CSL_JSON,
) -> Response:
    """The same facts as GraphQL's `Publication.citation`: title and subtitle, the byline as
    written, the publication date, the site as publisher, the series as container, and the
    canonical URL."""
    row = await _visible(db, id_or_slug)
    if isinstance(row, Redirect):
        return _moved(request, row)
    authors = await relations.authors_of(db, [row.id])
    series = await relations.series_by_id(db, [row.series_id])
    work = CitedWork(
        id=str(row.id),
        slug=row.slug,
        title=row.title,
        subtitle=row.subtitle,
        authors=[author.name for author in authors.get(row.id, ())],
        published_at=row.published_at,
        url=settings.publication_url(row.slug),
        publisher=settings.site_name,
        container_title=series[row.series_id].name if row.series_id in series else None,
    )
    return cached_response(
        request,
        cite(work, format).encode(),
        CONTENT_TYPES[format],
        headers=_download(f"{row.slug}.{EXTENSIONS[format]}"),
    )


@router.get(
    "/publications/{id_or_slug}/references",
    response_class=Response,
    responses={
        200: {
            "description": "One item per footnote, in order: a full reference where the "
            "editors filled in its `citation`, a plain `note` otherwise.",
            "content": {CSL_JSON: {"schema": CSL_ITEMS}},
        },
        **MOVED,
        **NOT_FOUND,
    },
    summary="The works a visible publication's footnotes cite, as CSL-JSON",
)
async def footnote_references(request: Request, id_or_slug: IdOrSlug, db: Db) -> Response:
    """An empty array when the publication has no footnotes."""
    row = await _visible(db, id_or_slug)
    if isinstance(row, Redirect):
        return _moved(request, row)
    footnotes = await relations.footnotes_of(db, [row.id])
    body = orjson.dumps(references(row.id, footnotes.get(row.id, ())))
    return cached_response(
        request, body, CSL_JSON, headers=_download(f"{row.slug}-references.json")
    )


async def _visible(db: Db, reference: str) -> AnyRow | Redirect:
    found = await get_publication(db, reference)
    if found is None:
        raise NotFound(f"no publication {reference!r}")
    return found


def _moved(request: Request, redirect: Redirect) -> Response:
    """`…/{old}/citation?format=ris` → `…/{new}/citation?format=ris`."""
    head, _old, tail = request.url.path.rsplit("/", 2)
    location = f"{head}/{redirect.slug}/{tail}"
    if request.url.query:
        location += "?" + request.url.query
    return cached_response(
        request, b"", "text/plain", status_code=301, headers={"Location": location}
    )


def _download(filename: str) -> dict[str, str]:
    # Slugs are ASCII letters, digits and hyphens: safe in a quoted filename as they are.
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
