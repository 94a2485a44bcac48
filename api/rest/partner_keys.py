"""Partner keys, for admins: issue one (shown once), list them with their usage, revoke one.
A partner sends its key as `X-Api-Key` on reads, for a rate limit of its own."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from api.errors import Forbidden
from api.rest.auth import Editor, private
from api.rest.dependencies import Db
from api.rest.responses import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from api.services import audit, partner_keys
from api.services.auth import Principal
from models import PartnerKey

router = APIRouter(tags=["admin"])
ADMIN_ERRORS = {**UNAUTHENTICATED, **FORBIDDEN}


class PartnerKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    requests_per_minute: int
    request_count: int = Field(
        description="Requests answered with this key; processes add theirs every few seconds."
    )
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewPartnerKey(PartnerKeyOut):
    key: str = Field(description="Shown this once; only its digest is stored.")


class PartnerKeyCreate(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=200, description="Who the key is for.")
    requests_per_minute: int = Field(
        default=partner_keys.DEFAULT_REQUESTS_PER_MINUTE,
        ge=1,
        le=partner_keys.MAX_REQUESTS_PER_MINUTE,
    )


class PartnerKeyData(BaseModel):
    data: NewPartnerKey


class PartnerKeyList(BaseModel):
    data: list[PartnerKeyOut]
    meta: dict[str, int]


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins manage partner keys")


def _out(key: PartnerKey) -> PartnerKeyOut:
    return PartnerKeyOut(
        id=str(key.id), name=key.name, prefix=key.prefix,
        requests_per_minute=key.requests_per_minute, request_count=key.request_count,
        created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
    )  # fmt: skip


def _private_json(model: BaseModel, status_code: int = 200) -> Response:
    return private(
        Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
    )


@router.post(
    "/partner-keys",
    status_code=201,
    response_model=PartnerKeyData,
    responses={**ADMIN_ERRORS, **INVALID},
    summary="Issue a partner key; it is shown once",
)
async def create_partner_key(data: PartnerKeyCreate, principal: Editor, db: Db) -> Response:
    _require_admin(principal)
    key, record = await partner_keys.create_key(db, data.name, data.requests_per_minute)
    audit.record(db, principal, "partner_key.create", "partner_key", record.id, name=record.name)
    await db.commit()
    return _private_json(
        PartnerKeyData(data=NewPartnerKey(**_out(record).model_dump(), key=key)), status_code=201
    )


@router.get(
    "/partner-keys",
    response_model=PartnerKeyList,
    responses=ADMIN_ERRORS,
    summary="Every partner key with its usage, newest first",
)
async def list_partner_keys(principal: Editor, db: Db) -> Response:
    _require_admin(principal)
    keys = [_out(key) for key in await partner_keys.list_keys(db)]
    return _private_json(PartnerKeyList(data=keys, meta={"total": len(keys)}))


@router.delete(
    "/partner-keys/{key_id}",
    status_code=204,
    responses={**ADMIN_ERRORS, **NOT_FOUND},
    summary="Revoke a partner key (other processes stop accepting it within "
    "COLOPHON_PARTNER_KEY_CACHE_SECONDS)",
)
async def revoke_partner_key(
    request: Request, key_id: Annotated[int, Path(ge=1)], principal: Editor, db: Db
) -> Response:
    _require_admin(principal)
    key = await partner_keys.revoke_key(db, key_id)
    audit.record(db, principal, "partner_key.revoke", "partner_key", key.id, name=key.name)
    await db.commit()
    limiter = getattr(request.state, "rate_limiter", None)
    if limiter is not None:
        limiter.forget_key(key.key_hash)
    return private(Response(status_code=204))
