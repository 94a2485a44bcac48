"""Limits in one process: headers, 429s, partner keys against client addresses, bad keys."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.services import partner_keys
from tests.ratelimit.conftest import CLIENT, Limited

Headers = dict[str, dict[str, str]]
STATS = "/api/v1/stats"


def limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["RateLimit-Limit"]),
        int(response.headers["RateLimit-Remaining"]),
        int(response.headers["RateLimit-Reset"]),
    )


async def new_key(session: AsyncSession, requests_per_minute: int) -> tuple[str, int]:
    key, record = await partner_keys.create_key(session, "Example Daily", requests_per_minute)
    await session.commit()
    assert record.id is not None
    return key, record.id


class TestAnonymous:
    async def test_every_answer_counts_down_then_429_with_retry_after(
        self, limited: Limited
    ) -> None:
        async with limited(rate_limit_anonymous_per_minute=3) as api:
            answers = [await api.get(STATS) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert [limit_headers(a) for a in answers] == [(3, 2, 30), (3, 1, 30), (3, 0, 30)]

            refused = await api.get(STATS)
        assert refused.status_code == 429
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "30"
        assert limit_headers(refused) == (3, 0, 30)
        problem = refused.json()
        assert problem["status"] == 429
        assert problem["type"].endswith("/rate-limited")
        assert "30 seconds" in problem["detail"]

    async def test_each_client_address_has_its_own_budget(self, limited: Limited) -> None:
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            assert (await api.get(STATS, address="198.51.100.1")).status_code == 200
            assert (await api.get(STATS, address="198.51.100.1")).status_code == 429
            assert (await api.get(STATS, address="198.51.100.2")).status_code == 200

    async def test_an_ipv6_64_is_one_client(self, limited: Limited) -> None:
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            assert (await api.get(STATS, address="2001:db8:1:2::1")).status_code == 200
            assert (await api.get(STATS, address="2001:db8:1:2::ffff")).status_code == 429
            assert (await api.get(STATS, address="2001:db8:1:3::1")).status_code == 200

    @pytest.mark.parametrize(
        "path", [STATS, "/feeds/publications.rss", "/sitemap.xml", "/api/v1/openapi.json"]
    )
    async def test_every_public_read_is_limited(self, limited: Limited, path: str) -> None:
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            first = await api.get(path)
            assert first.status_code == 200
            assert limit_headers(first) == (1, 0, 30)
            assert (await api.get(path)).status_code == 429
            assert (await api.request("HEAD", path)).status_code == 429

    async def test_graphql_refuses_in_its_own_shape(self, limited: Limited) -> None:
        query = {"query": "{ stats { publications } }"}
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            first = await api.request("POST", "/graphql", json=query)
            assert first.status_code == 200, first.text
            assert limit_headers(first) == (1, 0, 30)
            refused = await api.request("POST", "/graphql", json=query)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "30"
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    async def test_health_probes_and_preflights_are_not_counted(self, limited: Limited) -> None:
        preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "GET"}
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            for _ in range(3):
                probe = await api.get("/healthz")
                assert probe.status_code == 200
                assert "RateLimit-Limit" not in probe.headers
                assert (await api.request("OPTIONS", STATS, headers=preflight)).status_code == 200
            assert (await api.get(STATS)).status_code == 200

    async def test_browsers_may_read_the_headers_of_a_refusal(self, limited: Limited) -> None:
        origin = {"Origin": "https://example.com"}
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            await api.get(STATS, headers=origin)
            refused = await api.get(STATS, headers=origin)
        assert refused.status_code == 429
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        exposed = refused.headers["Access-Control-Expose-Headers"]
        assert {"Retry-After", "RateLimit-Remaining"} <= set(exposed.split(", "))

    async def test_off_means_no_limit_and_no_headers(self, limited: Limited) -> None:
        async with limited(rate_limit="off", rate_limit_anonymous_per_minute=1) as api:
            answers = [await api.get(STATS) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "RateLimit-Limit" not in answers[0].headers


class TestPartnerKeys:
    async def test_a_key_has_its_own_budget_wherever_it_is_used_from(
        self, limited: Limited, session: AsyncSession
    ) -> None:
        key, _ = await new_key(session, requests_per_minute=2)
        with_key = {"X-Api-Key": key}
        async with limited(rate_limit_anonymous_per_minute=1) as api:
            first = await api.get(STATS, headers=with_key)
            assert limit_headers(first) == (2, 1, 30)
            # The same client's anonymous budget is another one...
            assert (await api.get(STATS)).status_code == 200
            assert (await api.get(STATS)).status_code == 429
            # ...and the key's is shared by every address using it.
            assert (
                await api.get(STATS, headers=with_key, address="203.0.113.9")
            ).status_code == 200
            refused = await api.get(STATS, headers=with_key)
        assert refused.status_code == 429
        assert limit_headers(refused) == (2, 0, 30)

    async def test_an_unknown_key_is_401(self, limited: Limited) -> None:
        async with limited() as api:
            refused = await api.get(STATS, headers={"X-Api-Key": "colk_made-up"})
            assert refused.status_code == 401
            assert refused.headers["Content-Type"] == "application/problem+json"
            assert refused.headers["WWW-Authenticate"] == 'ApiKey header="X-Api-Key"'
            graphql = await api.request(
                "POST", "/graphql", json={"query": "{ stats { publications } }"},
                headers={"X-Api-Key": ""},
            )  # fmt: skip
        assert graphql.status_code == 401
        assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_made_up_keys_spend_the_clients_budget(self, limited: Limited) -> None:
        async with limited(rate_limit_anonymous_per_minute=2) as api:
            statuses = [
                (await api.get(STATS, headers={"X-Api-Key": f"colk_guess{n}"})).status_code
                for n in range(3)
            ]
            assert statuses == [401, 401, 429]
            # Bad keys have a budget apart from the client's anonymous reads.
            assert (await api.get(STATS)).status_code == 200

    async def test_a_revoked_key_is_401(
        self, limited: Limited, session: AsyncSession, tokens: Headers
    ) -> None:
        key, key_id = await new_key(session, requests_per_minute=100)
        async with limited(partner_key_cache_seconds=0) as api:
            assert (await api.get(STATS, headers={"X-Api-Key": key})).status_code == 200
            # Revoked behind the app's back: with no cache, the next request sees it.
            await partner_keys.revoke_key(session, key_id)
            await session.commit()
            assert (await api.get(STATS, headers={"X-Api-Key": key})).status_code == 401

    async def test_the_revoking_process_forgets_the_key_at_once(
        self, limited: Limited, session: AsyncSession, tokens: Headers
    ) -> None:
        key, key_id = await new_key(session, requests_per_minute=100)
        async with limited(partner_key_cache_seconds=3600) as api:
            assert (await api.get(STATS, headers={"X-Api-Key": key})).status_code == 200
            revoked = await api.request(
                "DELETE", f"/api/v1/partner-keys/{key_id}", headers=tokens["admin"]
            )
            assert revoked.status_code == 204
            assert (await api.get(STATS, headers={"X-Api-Key": key})).status_code == 401

    async def test_a_known_key_costs_no_query_while_cached(
        self, limited: Limited, session: AsyncSession
    ) -> None:
        key, _ = await new_key(session, requests_per_minute=100)
        async with limited() as api:
            await api.get(STATS, headers={"X-Api-Key": key})
            loads = 0
            load = api.limiter.keys.load

            async def counting_load(key_digest: str) -> partner_keys.ActiveKey | None:
                nonlocal loads
                loads += 1
                return await load(key_digest)

            api.limiter.keys.load = counting_load  # type: ignore[method-assign]
            for _ in range(5):
                assert (await api.get(STATS, headers={"X-Api-Key": key})).status_code == 200
        assert loads == 0


class TestTokenBearingRequests:
    async def test_they_count_per_client_under_the_editors_limit(
        self, limited: Limited, tokens: Headers
    ) -> None:
        async with limited(
            rate_limit_anonymous_per_minute=1, rate_limit_editor_per_minute=2
        ) as api:
            first = await api.get("/api/v1/users", headers=tokens["admin"])
            assert first.status_code == 200
            assert limit_headers(first) == (2, 1, 30)
            assert (await api.get(STATS, headers=tokens["editor"])).status_code == 200
            assert (await api.get(STATS, headers=tokens["admin"])).status_code == 429
            # A made-up token buys no more than a real one.
            junk = {"Authorization": "Bearer junk"}
            assert (await api.get(STATS, headers=junk)).status_code == 429
            assert (await api.get(STATS)).status_code == 200


async def test_the_client_address_is_what_the_server_saw(limited: Limited) -> None:
    async with limited(rate_limit_anonymous_per_minute=1) as api:
        await api.get(STATS)
        refused = await api.get(STATS, headers={"X-Forwarded-For": "198.51.100.77"})
    # Forwarded headers are the server's business (uvicorn --proxy-headers), not ours.
    assert refused.status_code == 429
    assert api.limiter.counter.buckets.keys() == {f"client:{CLIENT}"}
