"""The audit log: one event per accepted write, in the same transaction as the write."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.services.auth import Principal
from models import AuditEvent, User


def record(
    db: AsyncSession,
    principal: Principal | None,
    action: str,
    resource_type: str,
    resource_id: object,
    **detail: Any,
) -> None:
    db.add(
        AuditEvent(
            actor_id=principal.user_id if principal else None,
            action=action,
            resource_type=resource_type,
            resource_id=str(resource_id),
            detail=detail,
        )
    )


async def recent_events(
    db: AsyncSession, *, offset: int, limit: int
) -> list[tuple[AuditEvent, str | None]]:
    """Newest first, with the actor's name (None once the account is gone)."""
    rows = await db.execute(
        select(AuditEvent, col(User.name))
        .outerjoin(User, col(User.id) == AuditEvent.actor_id)
        .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [(event, name) for event, name in rows]
