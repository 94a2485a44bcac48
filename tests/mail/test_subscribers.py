"""`/subscribers`: the list and its export, for admins only; addresses appear nowhere else."""

import csv
import io
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from models import Subscriber, SubscriberStatus

Headers = dict[str, dict[str, str]]
CONFIRMED_AT = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)


async def add_list(session: AsyncSession) -> None:
    session.add_all([
        Subscriber(email="first@example.org", status=SubscriberStatus.CONFIRMED,
                   topics=["series:the-peninsula", "category:inter-korean"],
                   confirmed_at=CONFIRMED_AT),
        Subscriber(email="waiting@example.org"),
        Subscriber(email="left@example.org", status=SubscriberStatus.UNSUBSCRIBED),
        Subscriber(email="second@example.org", status=SubscriberStatus.CONFIRMED,
                   confirmed_at=CONFIRMED_AT),
    ])  # fmt: skip
    await session.commit()


async def test_admins_list_subscribers_by_status(
    client: httpx.AsyncClient, session: AsyncSession, tokens: Headers
) -> None:
    await add_list(session)
    everyone = await client.get("/api/v1/subscribers", headers=tokens["admin"])
    assert everyone.status_code == 200
    assert everyone.headers["cache-control"] == "private, no-store"
    body = everyone.json()
    assert [s["email"] for s in body["data"]] == [
        "second@example.org",
        "left@example.org",
        "waiting@example.org",
        "first@example.org",
    ]
    assert body["meta"] == {"total": 4, "page": 1, "per_page": 20, "pages": 1}
    paged = await client.get(
        "/api/v1/subscribers", params={"status": "confirmed", "per_page": 1, "page": 2},
        headers=tokens["admin"],
    )  # fmt: skip
    assert [s["email"] for s in paged.json()["data"]] == ["first@example.org"]
    assert paged.json()["data"][0]["topics"] == ["series:the-peninsula", "category:inter-korean"]
    assert paged.json()["meta"]["total"] == 2
    bad = await client.get("/api/v1/subscribers?status=gone", headers=tokens["admin"])
    assert bad.status_code == 422


async def test_the_export_holds_the_confirmed_subscribers(
    client: httpx.AsyncClient, session: AsyncSession, tokens: Headers
) -> None:
    await add_list(session)
    export = await client.get("/api/v1/subscribers?format=csv", headers=tokens["admin"])
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == 'attachment; filename="subscribers.csv"'
    assert export.headers["cache-control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows == [
        {"email": "first@example.org", "topics": "series:the-peninsula category:inter-korean",
         "confirmed_at": "2025-01-31T09:00:00+00:00"},
        {"email": "second@example.org", "topics": "", "confirmed_at": "2025-01-31T09:00:00+00:00"},
    ]  # fmt: skip
    pending = await client.get(
        "/api/v1/subscribers?format=csv&status=pending", headers=tokens["admin"]
    )
    assert pending.status_code == 422


async def test_only_admins_see_addresses(
    client: httpx.AsyncClient, session: AsyncSession, tokens: Headers
) -> None:
    await add_list(session)
    for query in ("", "?format=csv"):
        assert (await client.get(f"/api/v1/subscribers{query}")).status_code == 401
        for role in ("editor", "author"):
            answer = await client.get(f"/api/v1/subscribers{query}", headers=tokens[role])
            assert answer.status_code == 403
            assert "example.org" not in answer.text
