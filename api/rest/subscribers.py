"""`/subscribers`: the mailing list as admins see it, and its export. Addresses appear here and
nowhere else."""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.errors import Forbidden, Invalid
from api.rest.auth import Editor, private
from api.rest.dependencies import Db
from api.rest.pagination import page_meta
from api.rest.params import Paging
from api.rest.responses import FORBIDDEN, INVALID, UNAUTHENTICATED
from api.rest.schemas import PageMeta
from api.services import subscriptions
from models import Subscriber, SubscriberStatus

router = APIRouter(tags=["admin"])
CSV = "text/csv"


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class SubscriberOut(BaseModel):
    id: str
    email: str
    status: SubscriberStatus
    topics: list[str]
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class SubscriberList(BaseModel):
    data: list[SubscriberOut]
    meta: PageMeta


class SubscriberParams(Paging):
    status: SubscriberStatus | None = Field(default=None, description="Only these.")
    format: ExportFormat = Field(
        default=ExportFormat.JSON,
        description="`csv`: every confirmed subscriber as a file (no paging).",
    )


@router.get(
    "/subscribers",
    response_model=SubscriberList,
    responses={
        200: {
            "content": {
                CSV: {
                    "schema": {"type": "string"},
                    "example": "email,topics,confirmed_at\n"
                    "reader@example.org,series:the-peninsula,2025-01-31T09:00:00+00:00\n",
                }
            }
        },
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **INVALID,
    },
    summary="Mailing-list subscribers (admins); `format=csv` exports the confirmed ones",
)
async def list_subscribers(
    principal: Editor, db: Db, params: Annotated[SubscriberParams, Query()]
) -> Response:
    """Newest first. The CSV has one row per confirmed subscriber, oldest first: `email`,
    `topics` (separated by spaces) and `confirmed_at`."""
    if not principal.is_admin:
        raise Forbidden("only admins see the mailing list")
    if params.format is ExportFormat.CSV:
        if params.status not in (None, SubscriberStatus.CONFIRMED):
            raise Invalid.field("status", "the export holds confirmed subscribers only")
        return private(
            Response(
                export_csv(await subscriptions.confirmed_subscribers(db)),
                media_type=CSV,
                headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'},
            )
        )
    rows, total = await subscriptions.list_subscribers(
        db, params.status, offset=params.offset, limit=params.per_page
    )
    body = SubscriberList(
        data=[_subscriber(row) for row in rows], meta=PageMeta(**page_meta(params, total))
    )
    return private(Response(body.model_dump_json(), media_type="application/json"))


def export_csv(rows: Sequence[Subscriber]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "topics", "confirmed_at"])
    for row in rows:
        confirmed = row.confirmed_at.isoformat() if row.confirmed_at else ""
        writer.writerow([row.email, " ".join(row.topics), confirmed])
    return out.getvalue()


def _subscriber(row: Subscriber) -> SubscriberOut:
    return SubscriberOut(
        id=str(row.id), email=row.email, status=SubscriberStatus(row.status), topics=row.topics,
        created_at=row.created_at, confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
    )  # fmt: skip
