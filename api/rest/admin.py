"""Accounts, tokens and the audit log. Users and the audit log are for admins; anyone with a
token manages their own personal tokens, admins everyone's."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.errors import Forbidden, Invalid
from api.rest.auth import Editor, private
from api.rest.dependencies import Db
from api.rest.params import Paging
from api.rest.responses import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from api.services import accounts, audit
from api.services.auth import Principal
from models import ApiToken, Role, User, utcnow

router = APIRouter(tags=["admin"])
ADMIN_ERRORS = {**UNAUTHENTICATED, **FORBIDDEN}


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(BaseModel):
    model_config = {"extra": "forbid"}
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=12, max_length=1000)


class TokenOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class NewToken(TokenOut):
    token: str = Field(description="Shown this once; only its digest is stored.")


class TokenCreate(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    user_id: str | None = Field(
        default=None, pattern=r"^[1-9][0-9]{0,18}$", description="Admins: whose token it is."
    )


class AuditEventOut(BaseModel):
    id: str
    occurred_at: datetime
    actor: str | None
    action: str
    resource_type: str
    resource_id: str
    detail: dict[str, object]


class Users(BaseModel):
    data: list[UserOut]


class Tokens(BaseModel):
    data: list[TokenOut]


class AuditLog(BaseModel):
    data: list[AuditEventOut]


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins manage users and read the audit log")


def _user(user: User) -> UserOut:
    return UserOut(
        id=str(user.id), email=user.email, name=user.name, role=Role(user.role),
        is_active=user.is_active, created_at=user.created_at, last_login_at=user.last_login_at,
    )  # fmt: skip


def _token(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=str(token.id), user_id=str(token.user_id), name=token.name, prefix=token.prefix,
        created_at=token.created_at, last_used_at=token.last_used_at,
        expires_at=token.expires_at, revoked_at=token.revoked_at,
    )  # fmt: skip


def _private_json(model: BaseModel, status_code: int = 200) -> Response:
    return private(
        Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
    )


@router.get("/users", response_model=Users, responses=ADMIN_ERRORS, summary="Every account")
async def list_users(principal: Editor, db: Db) -> Response:
    _require_admin(principal)
    return _private_json(Users(data=[_user(u) for u in await accounts.list_users(db)]))


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses={**ADMIN_ERRORS, **INVALID},
    summary="Create an account (the password is hashed with argon2id)",
)
async def create_user(data: UserCreate, principal: Editor, db: Db) -> Response:
    _require_admin(principal)
    user = await accounts.create_user(
        db, email=data.email, name=data.name, role=data.role, password=data.password
    )
    audit.record(db, principal, "user.create", "user", user.id, role=data.role.value)
    await db.commit()
    return _private_json(_user(user), status_code=201)


@router.get("/tokens", response_model=Tokens, responses=UNAUTHENTICATED, summary="API tokens")
async def list_tokens(
    principal: Editor,
    db: Db,
    user_id: Annotated[int | None, Query(ge=1, description="Admins: one user's tokens.")] = None,
) -> Response:
    """Your own tokens; an admin sees everyone's (or one user's with `user_id`)."""
    owner = user_id if principal.is_admin else principal.user_id
    tokens = await accounts.list_tokens(db, owner)
    return _private_json(Tokens(data=[_token(t) for t in tokens]))


@router.post(
    "/tokens",
    status_code=201,
    response_model=NewToken,
    responses={**UNAUTHENTICATED, **FORBIDDEN, **INVALID},
    summary="Create a personal API token (yours; admins: anyone's); it is shown once",
)
async def create_token(data: TokenCreate, principal: Editor, db: Db) -> Response:
    owner_id = principal.user_id
    if data.user_id is not None and int(data.user_id) != principal.user_id:
        if not principal.is_admin:
            raise Forbidden("only admins create tokens for other users")
        owner_id = int(data.user_id)
    user = await db.get(User, owner_id)
    if user is None:
        raise Invalid.field("user_id", "no such user", "unknown")
    token, record = await accounts.create_api_token(db, user, data.name)
    if data.expires_in_days is not None:
        record.expires_at = utcnow() + timedelta(days=data.expires_in_days)
    audit.record(db, principal, "token.create", "token", record.id, name=record.name)
    await db.commit()
    return _private_json(NewToken(**_token(record).model_dump(), token=token), status_code=201)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    responses={**UNAUTHENTICATED, **NOT_FOUND},
    summary="Revoke a token (yours; admins: any)",
)
async def revoke_token(token_id: Annotated[int, Path(ge=1)], principal: Editor, db: Db) -> Response:
    owner = None if principal.is_admin else principal.user_id
    token = await accounts.revoke_token(db, token_id, owner_id=owner)
    audit.record(db, principal, "token.revoke", "token", token.id, name=token.name)
    await db.commit()
    return private(Response(status_code=204))


@router.get(
    "/audit",
    response_model=AuditLog,
    responses={**ADMIN_ERRORS, **INVALID},
    summary="Who did what, when; newest first",
)
async def audit_log(principal: Editor, db: Db, paging: Annotated[Paging, Query()]) -> Response:
    _require_admin(principal)
    events = await audit.recent_events(db, offset=paging.offset, limit=paging.per_page)
    return _private_json(
        AuditLog(
            data=[
                AuditEventOut(
                    id=str(event.id),
                    occurred_at=event.occurred_at,
                    actor=actor,
                    action=event.action,
                    resource_type=event.resource_type,
                    resource_id=event.resource_id,
                    detail=event.detail,
                )
                for event, actor in events
            ]
        )
    )
