"""Writes to `/authors`, `/categories`, `/series`, `/tags` (editors and admins). Answers are
`private, no-store` and carry the entry's version as their ETag, for `If-Match`."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from api.caching import JSON
from api.rest.auth import Editor, private
from api.rest.dependencies import Db
from api.rest.preconditions import IfMatch, expected_version
from api.rest.presenters import entry
from api.rest.responses import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, STALE, UNAUTHENTICATED
from api.rest.schemas import Author, Single, Taxonomy
from api.services import directory_editing as editing
from api.services.directory import Kind, get_entry

router = APIRouter()

_SHAPES: dict[Kind, tuple[str, type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    Kind.AUTHOR: ("authors", Author, editing.AuthorCreate, editing.AuthorFields),
    Kind.CATEGORY: ("categories", Taxonomy, editing.TaxonomyCreate, editing.TaxonomyFields),
    Kind.SERIES: ("series", Taxonomy, editing.TaxonomyCreate, editing.TaxonomyFields),
    Kind.TAG: ("tags", Taxonomy, editing.TaxonomyCreate, editing.TaxonomyFields),
}
IdOrSlug = Annotated[str, Path(description="The id or the slug.")]
WRITE_ERRORS = {**UNAUTHENTICATED, **FORBIDDEN, **NOT_FOUND}


async def _answer(db: Db, kind: Kind, row_id: int, status_code: int = 200) -> Response:
    found = await get_entry(db, kind, str(row_id))
    assert found is not None
    body = orjson.dumps({"data": entry(kind, found)})
    response = Response(body, status_code=status_code, media_type=JSON)
    response.headers["ETag"] = f'"{found.row.version}"'
    return private(response)


def _register(kind: Kind, plural: str, shape: type[BaseModel], create: Any, fields: Any) -> None:
    async def create_entry(
        request: Request,
        data: create,
        principal: Editor,
        db: Db,
    ) -> Response:
        row = await editing.create_entry(db, principal, kind, data)
        await db.commit()
        response = await _answer(db, kind, row.id, status_code=201)
        response.headers["Location"] = f"{request.url.path}/{row.id}"
        return response

    async def patch_entry(
        id_or_slug: IdOrSlug,
        data: fields,
        principal: Editor,
        db: Db,
        if_match: IfMatch = None,
    ) -> Response:
        editing.ensure_editor(principal)
        row = await editing.find_entry(db, kind, id_or_slug)
        version = expected_version(if_match, row.version)
        assert version is not None
        await editing.update_entry(db, principal, kind, row, version, data)
        await db.commit()
        return await _answer(db, kind, row.id)

    async def delete_entry(
        id_or_slug: IdOrSlug, principal: Editor, db: Db, if_match: IfMatch = None
    ) -> Response:
        editing.ensure_editor(principal)
        row = await editing.find_entry(db, kind, id_or_slug)
        version = expected_version(if_match, row.version)
        assert version is not None
        await editing.delete_entry(db, principal, kind, row, version)
        await db.commit()
        return private(Response(status_code=204))

    single: Any = Single[shape]  # type: ignore[valid-type]
    name = kind.value
    router.add_api_route(
        f"/{plural}", create_entry, methods=["POST"], status_code=201, response_model=single,
        responses={**UNAUTHENTICATED, **FORBIDDEN, **INVALID, **CONFLICT}, tags=[plural],
        operation_id=f"create_{name}", summary=f"Create a {name}; the slug comes from the name",
    )  # fmt: skip
    router.add_api_route(
        f"/{plural}/{{id_or_slug}}", patch_entry, methods=["PATCH"], response_model=single,
        responses={**WRITE_ERRORS, **INVALID, **CONFLICT, **STALE}, tags=[plural],
        operation_id=f"update_{name}", summary=f"Change a {name}; If-Match required",
    )  # fmt: skip
    router.add_api_route(
        f"/{plural}/{{id_or_slug}}", delete_entry, methods=["DELETE"], status_code=204,
        responses={**WRITE_ERRORS, **CONFLICT, **STALE}, tags=[plural],
        operation_id=f"delete_{name}",
        summary=f"Delete a {name} no publication uses any more; If-Match required",
    )  # fmt: skip


for _kind, (_plural, _shape, _create, _fields) in _SHAPES.items():
    _register(_kind, _plural, _shape, _create, _fields)
