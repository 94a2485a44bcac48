"""A response-cache hit answers exactly as the application would, but for what belongs to
each request (its date, its id, what is left of its rate limit): the same body and headers,
CORS for its Origin, HEAD and `304`; and it is rate limited and logged like any request."""

import asyncio
import time
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from api.cache import clock as clock_module
from api.services import partner_keys
from tests.cache.conftest import Site, hits, settled, steady
from tests.ratelimit.conftest import Caller, running

LIST = "/api/v1/publications?per_page=5"
DETAIL = "/api/v1/publications/cached-piece"
GRAPHQL = "/graphql?query=%7Bpublications(first%3A2)%7Bnodes%7Bslug%7D%7D%7D"
# Over 1 kB, so worth gzip.
PAGE = "publications(first: 2) { nodes { slug title excerpt bodyHtml bodyText url authors {name} }}"
QUERY = {"query": f"{{ newest: {PAGE} again: {PAGE} }}"}


async def new_key(caller: Caller, requests_per_minute: int) -> str:
    async with caller.app.state.sessionmaker() as session:
        key, _ = await partner_keys.create_key(session, "Another Daily", requests_per_minute)
        await session.commit()
    return key


async def answers(
    site: Site,
    method: str,
    path: str,
    headers: dict[str, str],
    json: object = None,
    **settings: Any,
) -> tuple[httpx.Response, httpx.Response]:
    """The answer of an app without the response cache, and a hit of one with it; `json`,
    a POST's body."""
    async with running(site.app(response_cache="off", **settings)) as plain:
        expected = await plain.request(method, path, headers=headers, json=json)
    async with running(site.app(response_cache="on", **settings)) as caller:
        await settled(caller)
        await caller.request("GET" if method == "HEAD" else method, path, json=json)  # stored
        before = hits(caller)
        hit = await caller.request(method, path, headers=headers, json=json)
        assert hits(caller) == before + 1
    return expected, hit


class TestAHitAnswersAsTheApplication:
    @pytest.mark.parametrize("path", [LIST, DETAIL, GRAPHQL])
    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    async def test_same_body_and_headers(self, site: Site, path: str, method: str) -> None:
        expected, hit = await answers(site, method, path, {"X-Api-Key": site.key})
        assert hit.status_code == expected.status_code == 200
        assert hit.content == expected.content
        assert steady(hit) == steady(expected)
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id"):
            assert len(hit.headers.get_list(name)) == 1, name

    @pytest.mark.parametrize("encoding", ["identity", "gzip"])
    async def test_a_graphql_query_sent_by_post(self, site: Site, encoding: str) -> None:
        headers = {
            "X-Api-Key": site.key,
            "Accept-Encoding": encoding,
            "Origin": "https://a.example",
        }
        expected, hit = await answers(site, "POST", "/graphql", headers, QUERY)
        assert hit.status_code == expected.status_code == 200
        assert hit.content == expected.content
        assert "Cached piece" in hit.text
        assert steady(hit) == steady(expected)
        assert "etag" not in hit.headers
        assert "cache-control" not in hit.headers
        assert len(expected.content) > 1024  # worth gzip
        assert hit.headers.get("content-encoding") == (None if encoding == "identity" else "gzip")

    @pytest.mark.parametrize(
        ("origins", "origin"),
        [
            ("*", "https://reader.example"),
            ("https://reader.example", "https://reader.example"),
            ("https://reader.example", "https://elsewhere.example"),
        ],
    )
    async def test_cors_for_the_requests_origin(
        self, site: Site, origins: str, origin: str
    ) -> None:
        expected, hit = await answers(site, "GET", LIST, {"Origin": origin}, cors_origins=origins)
        assert steady(hit) == steady(expected)
        allowed = hit.headers.get("Access-Control-Allow-Origin")
        assert allowed == ("*" if origins == "*" else (origin if origin in origins else None))

    @pytest.mark.parametrize("compression", ["on", "off"])
    async def test_gzip_as_the_application_sends_it(self, site: Site, compression: str) -> None:
        gzipped = {"X-Api-Key": site.key, "Accept-Encoding": "gzip"}
        expected, hit = await answers(site, "GET", LIST, gzipped, compression=compression)
        assert hit.content == expected.content
        assert steady(hit) == steady(expected)
        assert hit.headers.get("content-encoding") == ("gzip" if compression == "on" else None)

    async def test_not_modified(self, site: Site) -> None:
        async with running(site.app(response_cache="off")) as plain:
            etag = (await plain.get(DETAIL)).headers["ETag"]
        headers = {"If-None-Match": etag, "Origin": "https://reader.example"}
        expected, hit = await answers(site, "GET", DETAIL, headers)
        assert hit.status_code == expected.status_code == 304
        assert hit.content == b""
        assert steady(hit) == steady(expected)
        assert "content-type" not in hit.headers

    async def test_a_hit_needing_the_whole_stack_answers_the_same(self, cached: Caller) -> None:
        """A key this process has not seen yet is looked up first; the hit is then served
        further in, and must not differ from one served at the door."""
        key = await new_key(cached, requests_per_minute=1000)
        stored = await cached.get(LIST)
        inner = await cached.get(LIST, headers={"X-Api-Key": key})
        door = await cached.get(LIST, headers={"X-Api-Key": key})
        assert hits(cached) == 2
        assert steady(inner) == steady(door)
        assert inner.content == door.content == stored.content

    async def test_the_request_id_is_the_clients_or_a_new_one(self, cached: Caller) -> None:
        await cached.get(DETAIL)
        echoed = await cached.get(DETAIL, headers={"X-Request-Id": "abc-123"})
        assert echoed.headers["X-Request-Id"] == "abc-123"
        ids = {(await cached.get(DETAIL)).headers["X-Request-Id"] for _ in range(3)}
        assert len(ids) == 3
        assert all(len(i) == 32 and i.isalnum() for i in ids)

    async def test_answers_name_the_host_they_were_asked_on(self, cached: Caller) -> None:
        for host in ("a.example", "b.example", "a.example"):
            answer = await cached.get(LIST, headers={"Host": host})
            assert f"//{host}/api/v1/publications" in answer.headers["Link"]


class TestAHitIsLimited:
    async def test_every_hit_counts_then_429(self, site: Site) -> None:
        async with running(
            site.app(response_cache="on", rate_limit_anonymous_per_minute=3)
        ) as caller:
            await settled(caller)
            answers = [await caller.get(DETAIL) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]

    async def test_a_partner_keys_budget_too(self, site: Site) -> None:
        async with running(site.app(response_cache="on")) as caller:
            await settled(caller)
            key = await new_key(caller, requests_per_minute=2)
            statuses = [
                (await caller.get(DETAIL, headers={"X-Api-Key": key})).status_code for _ in range(3)
            ]
        assert statuses == [200, 200, 429]

    async def test_a_revoked_key_is_refused_at_once(self, site: Site) -> None:
        async with running(site.app(response_cache="on", partner_key_cache_seconds=3600)) as caller:
            await settled(caller)
            with_key = {"X-Api-Key": site.key}
            assert (await caller.get(DETAIL, headers=with_key)).status_code == 200
            assert (await caller.get(DETAIL, headers=with_key)).status_code == 200
            listed = await caller.get("/api/v1/partner-keys", headers=site.admin)
            [record] = listed.json()["data"]
            revoked = await caller.request(
                "DELETE", f"/api/v1/partner-keys/{record['id']}", headers=site.admin
            )
            assert revoked.status_code == 204
            assert (await caller.get(DETAIL, headers=with_key)).status_code == 401


async def test_hits_are_logged(site: Site) -> None:
    async with running(site.app(response_cache="on", log_level="INFO")) as caller:
        await settled(caller)
        await caller.get(DETAIL)
        with capture_logs() as logs:
            hit = await caller.get(DETAIL, headers={"X-Request-Id": "hit-1"})
    assert hit.status_code == 200
    [line] = [entry for entry in logs if entry["event"] == "request"]
    assert line["request_id"] == "hit-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", DETAIL, 200)


class TestTheClockVouchesForOneSecond:
    """Hits are served while the last read of the content version is under a second old,
    whatever happened to the reads since, and never after it."""

    async def test_a_failed_read_stops_nothing_until_the_last_good_one_expires(
        self, cached: Caller, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(clock_module, "VALID_SECONDS", 2.0)  # room for a loaded machine
        clock = cached.app.state.content_clock
        await cached.get(LIST)  # stored
        await clock.refresh()  # vouches for 2 s from now
        # From now on every read fails, as with the database away.
        attempts: list[float] = []

        def unreachable() -> Any:
            attempts.append(time.monotonic())
            raise OSError("the database is away")

        clock.sessionmaker = unreachable
        deadline = time.monotonic() + 5
        while not attempts:
            assert time.monotonic() < deadline, "the clock never tried to read again"
            await asyncio.sleep(0.02)
        before = hits(cached)
        assert (await cached.get(LIST)).status_code == 200
        assert hits(cached) == before + 1, "a failed read stopped the cache at once"
        await asyncio.sleep(max(0.0, clock.valid_until - time.monotonic()) + 0.05)
        answer = await cached.get(LIST)
        assert answer.status_code == 200
        assert hits(cached) == before + 1, "served after the last read stopped vouching"
