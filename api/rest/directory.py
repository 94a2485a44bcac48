"""`/authors`, `/categories`, `/series`, `/tags`: lists and details with publication counts."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from api.caching import cached_json
from api.errors import NotFound
from api.rest.auth import MaybeEditor, private
from api.rest.dependencies import Db
from api.rest.pagination import page_headers, page_meta
from api.rest.params import Paging
from api.rest.presenters import entry
from api.rest.responses import INVALID, NOT_FOUND, UNAUTHENTICATED
from api.rest.schemas import Author, Listing, Single, Taxonomy
from api.services.directory import Kind, get_entry, list_entries

router = APIRouter()

_PATHS: dict[Kind, tuple[str, type[BaseModel]]] = {
    Kind.AUTHOR: ("authors", Author),
    Kind.CATEGORY: ("categories", Taxonomy),
    Kind.SERIES: ("series", Taxonomy),
    Kind.TAG: ("tags", Taxonomy),
}


def _register(kind: Kind, plural: str, shape: type[BaseModel]) -> None:
    async def list_kind(request: Request, paging: Annotated[Paging, Query()], db: Db) -> Response:
        page = await list_entries(db, kind, offset=paging.offset, limit=paging.per_page)
        body = {
            "data": [entry(kind, item) for item in page.entries],
            "meta": page_meta(paging, page.total),
        }
        return cached_json(request, body, headers=page_headers(request, paging, page.total))

    async def read_kind(
        request: Request,
        id_or_slug: Annotated[str, Path(description="The id or the slug.")],
        db: Db,
        principal: MaybeEditor,
    ) -> Response:
        """With a token, the answer is private and its ETag is the version, for If-Match."""
        found = await get_entry(db, kind, id_or_slug)
        if found is None:
            raise NotFound(f"no {kind.value} {id_or_slug!r}")
        response = cached_json(request, {"data": entry(kind, found)})
        if principal is not None:
            response = private(response)
            response.headers["ETag"] = f'"{found.row.version}"'
        return response

    listing: Any = Listing[shape]  # type: ignore[valid-type]
    single: Any = Single[shape]  # type: ignore[valid-type]
    router.add_api_route(
        f"/{plural}",
        list_kind,
        methods=["GET"],
        response_model=listing,
        responses=INVALID,
        tags=[plural],
        operation_id=f"list_{plural}",
        summary=f"List {plural} by name, with their counts of visible publications",
    )
    router.add_api_route(
        f"/{plural}/{{id_or_slug}}",
        read_kind,
        methods=["GET"],
        response_model=single,
        responses={**NOT_FOUND, **UNAUTHENTICATED},
        tags=[plural],
        operation_id=f"read_{kind.value}",
        summary=f"One {kind.value}, with its count of visible publications",
    )


for _kind, (_plural, _shape) in _PATHS.items():
    _register(_kind, _plural, _shape)
