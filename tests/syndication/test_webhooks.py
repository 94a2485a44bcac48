"""Webhooks: registration, Standard Webhooks signatures checked by hand, retries with
back-off, at-least-once delivery across a crash, a shared outbox."""

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.services import webhooks
from api.settings import Settings
from api.worker import Worker
from models import DeliveryStatus, PublicationStatus, WebhookDelivery, utcnow
from tests.content import Content

Headers = dict[str, dict[str, str]]


@dataclass
class Receiver:
    """A real HTTP endpoint that records what it gets and fails the first `failures`."""

    url: str = ""
    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        if self.failures > 0:
            self.failures -= 1
            return Response(status_code=503)
        return Response(status_code=204)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    app = Starlette(routes=[Route("/hook", state.endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    state.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/hook"
    yield state
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def fresh_receiver(receiver: Receiver) -> Receiver:
    receiver.received.clear()
    receiver.failures = 0
    return receiver


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, written from the spec, not from our code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(sig.split(",", 1)[1] == expected for sig in headers["webhook-signature"].split(" "))


async def register(client: httpx.AsyncClient, tokens: Headers, url: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/webhooks",
        json={
            "url": url,
            "events": [
                "publication.published",
                "publication.unpublished",
                "publication.updated",
                "publication.deleted",
            ],
        },
        headers=tokens["admin"],
    )
    assert response.status_code == 201, response.text
    data: dict[str, str] = response.json()["data"]
    return data


def worker(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Worker:
    return Worker(sessionmaker, settings)


async def make_due(session: AsyncSession) -> None:
    """Skip the back-off wait: every pending delivery is due now, its lease gone."""
    await session.execute(
        update(WebhookDelivery).values(next_attempt_at=utcnow(), locked_until=None)
    )
    await session.commit()


async def test_only_admins_register_and_secrets_show_once(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    body = {"url": "https://partner.example/hook", "events": ["publication.published"]}
    assert (
        await client.post("/api/v1/webhooks", json=body, headers=tokens["editor"])
    ).status_code == 403
    created = await client.post("/api/v1/webhooks", json=body, headers=tokens["admin"])
    assert created.json()["data"]["secret"].startswith("whsec_")
    listed = await client.get("/api/v1/webhooks", headers=tokens["admin"])
    assert "secret" not in listed.text
    bad = await client.post(
        "/api/v1/webhooks", json={**body, "events": ["nope"]}, headers=tokens["admin"]
    )
    assert bad.status_code == 422
    scheme = await client.post(
        "/api/v1/webhooks", json={**body, "url": "ftp://x.example"}, headers=tokens["admin"]
    )
    assert scheme.status_code == 422


async def test_deliveries_are_signed_retried_and_logged(
    client: httpx.AsyncClient,
    tokens: Headers,
    content: Content,
    fresh_receiver: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
) -> None:
    hook = await register(client, tokens, fresh_receiver.url)
    await content.publication("Draft first", status=PublicationStatus.DRAFT)
    assert (
        await client.post("/api/v1/publications/draft-first/publish", headers=tokens["editor"])
    ).status_code == 200
    fresh_receiver.failures = 2
    async with httpx.AsyncClient() as http:
        run = worker(sessionmaker, settings)
        for _ in range(3):
            await run.run_once(http)
            await make_due(session)

    assert len(fresh_receiver.received) == 3
    ids = {headers["webhook-id"] for headers, _ in fresh_receiver.received}
    assert len(ids) == 1  # the same message on every retry
    for headers, body in fresh_receiver.received:
        assert verify(hook["secret"], headers, body)
    payload = httpx.Response(200, content=fresh_receiver.received[-1][1]).json()
    assert payload["type"] == "publication.published"
    assert payload["data"]["slug"] == "draft-first"
    assert payload["data"]["body_html"]

    log = (
        await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tokens["admin"])
    ).json()["data"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 3)]


async def test_at_least_once_across_a_crash(
    client: httpx.AsyncClient,
    tokens: Headers,
    content: Content,
    fresh_receiver: Receiver,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
) -> None:
    await register(client, tokens, fresh_receiver.url)
    publication = await content.publication("Going away")
    etag = (await client.get("/api/v1/publications/going-away", headers=tokens["editor"])).headers[
        "etag"
    ]
    await client.delete(
        "/api/v1/publications/going-away", headers={**tokens["editor"], "If-Match": etag}
    )

    # A process claims the delivery and dies before sending it: its lease runs out.
    async with sessionmaker() as db:
        claimed = await webhooks.claim_due(db)
    assert len(claimed) == 1
    async with sessionmaker() as db:
        assert await webhooks.claim_due(db) == []  # leased: nobody else takes it meanwhile
    await session.execute(
        update(WebhookDelivery).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    await session.commit()

    async with httpx.AsyncClient() as http:
        await worker(sessionmaker, settings).run_once(http)
    [(headers, body)] = fresh_receiver.received
    assert headers["webhook-id"] == claimed[0].message_id
    data = httpx.Response(200, content=body).json()
    assert data == {
        "type": "publication.deleted",
        "timestamp": data["timestamp"],
        "data": {"id": str(publication.id), "slug": "going-away"},
    }
    status = await session.scalar(select(col(WebhookDelivery.status)))
    assert status == DeliveryStatus.DELIVERED
