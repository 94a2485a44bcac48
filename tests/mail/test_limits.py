"""Sign-ups are limited per client and per address in windows every process shares: counts
are inserted as several processes would have left them."""

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.services import subscription_limits as limits
from api.settings import Settings
from models import RateLimitWindow, utcnow
from tests.mail.smtp_sink import SmtpSink

SUBSCRIPTIONS = "/api/v1/subscriptions"
CLIENT = "127.0.0.1"  # what httpx's ASGI transport reports


async def fill(
    session: AsyncSession, settings: Settings, limit: limits.Limit, subject: str, count: int
) -> str:
    key = limits.window_key(limit, subject, settings.resolved_secret_key())
    session.add(RateLimitWindow(key=key, window_start=limits.window_start(utcnow()), count=count))
    await session.commit()
    return key


async def test_a_client_over_its_limit_waits_for_the_next_window(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, smtp: SmtpSink
) -> None:
    await fill(session, settings, limits.PER_CLIENT, CLIENT, limits.PER_CLIENT.requests)
    answer = await client.post(SUBSCRIPTIONS, json={"email": "reader@example.org"})
    assert answer.status_code == 429
    assert answer.headers["content-type"] == "application/problem+json"
    assert 1 <= int(answer.headers["retry-after"]) <= 3601
    assert smtp.messages == []


async def test_an_address_over_its_limit_is_refused_from_any_client(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await fill(session, settings, limits.PER_ADDRESS, "reader@example.org", 5)
    refused = await client.post(SUBSCRIPTIONS, json={"email": "Reader@example.org"})
    assert refused.status_code == 429
    other = await client.post(SUBSCRIPTIONS, json={"email": "other@example.org"})
    assert other.status_code == 202


async def test_requests_count_and_a_refusal_does_not(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    key = await fill(session, settings, limits.PER_ADDRESS, "reader@example.org", 3)
    for expected in (202, 202, 429, 429):
        answer = await client.post(SUBSCRIPTIONS, json={"email": "reader@example.org"})
        assert answer.status_code == expected
    session.expire_all()
    counts = (await session.scalars(select(col(RateLimitWindow.count)).filter_by(key=key))).all()
    assert counts == [5]


async def test_past_windows_are_forgotten_and_dropped(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    key = limits.window_key(limits.PER_CLIENT, CLIENT, settings.resolved_secret_key())
    last_hour = limits.window_start(utcnow() - timedelta(hours=1))
    session.add(RateLimitWindow(key=key, window_start=last_hour, count=1000))
    await session.commit()
    assert (await client.post(SUBSCRIPTIONS, json={"email": "reader@example.org"})).is_success
    session.expire_all()
    windows = (await session.scalars(select(RateLimitWindow).filter_by(key=key))).all()
    assert [(w.window_start > last_hour, w.count) for w in windows] == [(True, 1)]


def test_keys_hold_no_address() -> None:
    key = limits.window_key(limits.PER_ADDRESS, "reader@example.org", "secret")
    assert "reader" not in key
    assert len(key) <= 200
