"""Partner keys for admins over REST (issued once, listed with usage, revoked), and the
`colophon keys create` command."""

import asyncio
import hashlib

import httpx
from sqlalchemy import select

from api.db import create_engine
from api.services.partner_keys import KEY_PREFIX
from models import PartnerKey
from tests.cli.helpers import colophon
from tests.conftest import Database
from tests.ratelimit.conftest import Limited

Headers = dict[str, dict[str, str]]
KEYS = "/api/v1/partner-keys"


class TestAdmins:
    async def test_a_key_is_shown_once_and_listed_without_it(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        created = await client.post(
            KEYS, json={"name": "Example Daily", "requests_per_minute": 1200},
            headers=tokens["admin"],
        )  # fmt: skip
        assert created.status_code == 201, created.text
        assert created.headers["Cache-Control"] == "private, no-store"
        data = created.json()["data"]
        assert data["key"].startswith(KEY_PREFIX)
        assert data["key"].startswith(data["prefix"])
        assert data["requests_per_minute"] == 1200
        assert data["request_count"] == 0

        listed = await client.get(KEYS, headers=tokens["admin"])
        assert listed.status_code == 200
        assert listed.json()["meta"] == {"total": 1}
        (item,) = listed.json()["data"]
        assert item["id"] == data["id"]
        assert "key" not in item
        assert "key_hash" not in item
        assert data["key"] not in listed.text
        assert hashlib.sha256(data["key"].encode()).hexdigest() not in listed.text

    async def test_the_limit_defaults_and_is_checked(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        created = await client.post(KEYS, json={"name": "Partner"}, headers=tokens["admin"])
        assert created.json()["data"]["requests_per_minute"] == 600
        for bad in ({"name": ""}, {"name": "P", "requests_per_minute": 0}, {"nom": "P"}):
            refused = await client.post(KEYS, json=bad, headers=tokens["admin"])
            assert refused.status_code == 422, bad

    async def test_only_admins_manage_keys(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        for role in ("editor", "author"):
            assert (
                await client.post(KEYS, json={"name": "P"}, headers=tokens[role])
            ).status_code == 403
            assert (await client.get(KEYS, headers=tokens[role])).status_code == 403
            assert (await client.delete(f"{KEYS}/1", headers=tokens[role])).status_code == 403
        assert (await client.get(KEYS)).status_code == 401

    async def test_revoking_keeps_the_key_listed(
        self, client: httpx.AsyncClient, tokens: Headers
    ) -> None:
        created = await client.post(KEYS, json={"name": "P"}, headers=tokens["admin"])
        key_id = created.json()["data"]["id"]
        assert (await client.delete(f"{KEYS}/{key_id}", headers=tokens["admin"])).status_code == 204
        assert (await client.delete(f"{KEYS}/{key_id}", headers=tokens["admin"])).status_code == 204
        assert (await client.delete(f"{KEYS}/999999", headers=tokens["admin"])).status_code == 404
        (item,) = (await client.get(KEYS, headers=tokens["admin"])).json()["data"]
        assert item["revoked_at"] is not None
        events = (await client.get("/api/v1/audit", headers=tokens["admin"])).json()["data"]
        assert [e["action"] for e in events[:3]] == [
            "partner_key.revoke", "partner_key.revoke", "partner_key.create",
        ]  # fmt: skip


async def test_usage_is_counted_and_listed(limited: Limited, tokens: Headers) -> None:
    async with limited() as api:
        created = await api.request("POST", KEYS, json={"name": "P"}, headers=tokens["admin"])
        key = created.json()["data"]["key"]
        for _ in range(3):
            assert (await api.get("/api/v1/stats", headers={"X-Api-Key": key})).status_code == 200
        await api.limiter.flush_usage()
        (item,) = (await api.get(KEYS, headers=tokens["admin"])).json()["data"]
    assert item["request_count"] == 3
    assert item["last_used_at"] == "2027-01-15T08:00:30Z"


def test_the_command_prints_a_key_once(cli_env: Database) -> None:
    outcome = colophon("keys", "create", "--name", "Example Daily", "--requests-per-minute", "90")
    assert outcome.exit_code == 0, outcome.stderr
    key = outcome.stdout.strip()
    assert key.startswith(KEY_PREFIX)
    assert "shown only this once" in outcome.stderr

    async def stored() -> PartnerKey:
        engine = create_engine(cli_env.url)
        try:
            async with engine.connect() as conn:
                row = (await conn.execute(select(PartnerKey.__table__))).one()  # type: ignore[attr-defined]
                return PartnerKey(**row._mapping)
        finally:
            await engine.dispose()

    record = asyncio.run(stored())
    assert record.name == "Example Daily"
    assert record.requests_per_minute == 90
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in record.model_dump_json()


def test_the_command_refuses_a_blank_name(cli_env: Database) -> None:
    outcome = colophon("keys", "create", "--name", " ")
    assert outcome.exit_code == 1
    assert "name" in outcome.stderr
