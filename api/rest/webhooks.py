"""`/webhooks` (admins): endpoints, the events they want, and their delivery log."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.errors import Forbidden
from api.rest.auth import Editor, private
from api.rest.dependencies import Db
from api.rest.params import Paging
from api.rest.responses import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from api.services import audit, webhooks
from api.services.auth import Principal
from api.services.publication_input import Input, WebUrl
from models import Webhook, WebhookDelivery

router = APIRouter(tags=["webhooks"])
ADMIN_ERRORS = {**UNAUTHENTICATED, **FORBIDDEN}


class WebhookCreate(Input):
    url: WebUrl
    events: list[str] = Field(
        min_length=1, max_length=10, description=f"Any of: {', '.join(webhooks.EVENT_TYPES)}."
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


class NewWebhook(WebhookOut):
    secret: str = Field(description="`whsec_…`: verify signatures with it. Shown this once.")


class DeliveryOut(BaseModel):
    id: str
    message_id: str = Field(description="The `webhook-id` header, the same on every retry.")
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


class WebhookResponse(BaseModel):
    data: WebhookOut


class NewWebhookResponse(BaseModel):
    data: NewWebhook


class WebhookList(BaseModel):
    data: list[WebhookOut]


class DeliveryList(BaseModel):
    data: list[DeliveryOut]


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins manage webhooks")


def _out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(id=str(webhook.id), url=webhook.url, events=webhook.events,
                      is_active=webhook.is_active, created_at=webhook.created_at)  # fmt: skip


def _delivery(d: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=str(d.id), message_id=d.message_id, event_type=d.event_type, status=d.status,
        attempts=d.attempts, last_status_code=d.last_status_code, last_error=d.last_error,
        created_at=d.created_at, next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
    )  # fmt: skip


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return private(Response(model.model_dump_json(), status_code=status_code,
                            media_type="application/json"))  # fmt: skip


WebhookId = Annotated[int, Path(ge=1)]


@router.post("/webhooks", status_code=201, response_model=NewWebhookResponse,
             responses={**ADMIN_ERRORS, **INVALID}, summary="Register an endpoint")  # fmt: skip
async def create_webhook(data: WebhookCreate, principal: Editor, db: Db) -> Response:
    """Deliveries are signed per Standard Webhooks with the returned secret."""
    _admin(principal)
    webhook = await webhooks.register(db, data.url, data.events, principal.user_id)
    audit.record(db, principal, "webhook.create", "webhook", webhook.id, url=webhook.url)
    await db.commit()
    created = NewWebhook(**_out(webhook).model_dump(), secret=webhook.secret)
    return _json(NewWebhookResponse(data=created), status_code=201)


@router.get("/webhooks", response_model=WebhookList, responses=ADMIN_ERRORS,
            summary="Registered endpoints (no secrets)")  # fmt: skip
async def list_webhooks(principal: Editor, db: Db) -> Response:
    _admin(principal)
    return _json(WebhookList(data=[_out(w) for w in await webhooks.list_webhooks(db)]))


@router.get("/webhooks/{webhook_id}", response_model=WebhookResponse,
            responses={**ADMIN_ERRORS, **NOT_FOUND}, summary="One endpoint")  # fmt: skip
async def read_webhook(webhook_id: WebhookId, principal: Editor, db: Db) -> Response:
    _admin(principal)
    return _json(WebhookResponse(data=_out(await webhooks.get_webhook(db, webhook_id))))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    responses={**ADMIN_ERRORS, **NOT_FOUND},
    summary="Stop and forget an endpoint",
)
async def delete_webhook(webhook_id: WebhookId, principal: Editor, db: Db) -> Response:
    _admin(principal)
    webhook = await webhooks.get_webhook(db, webhook_id)
    audit.record(db, principal, "webhook.delete", "webhook", webhook.id, url=webhook.url)
    await db.delete(webhook)
    await db.commit()
    return private(Response(status_code=204))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryList,
            responses={**ADMIN_ERRORS, **NOT_FOUND, **INVALID},
            summary="The delivery log, newest first")  # fmt: skip
async def list_deliveries(
    webhook_id: WebhookId, principal: Editor, db: Db, paging: Annotated[Paging, Query()]
) -> Response:
    _admin(principal)
    await webhooks.get_webhook(db, webhook_id)
    items = await webhooks.deliveries(db, webhook_id, offset=paging.offset, limit=paging.per_page)
    return _json(DeliveryList(data=[_delivery(d) for d in items]))
