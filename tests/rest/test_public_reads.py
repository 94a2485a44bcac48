"""Anonymous reads of `/publications` skip FastAPI's per-request resolution
(`api/rest/public_reads.py`): they must answer exactly as the declared path does, which
token-bearing requests still take."""

import httpx
import pytest

from models import Role
from tests.content import Content

API = "/api/v1/publications"


@pytest.fixture
async def site(content: Content) -> None:
    author = await content.author("Juni Kim", bio="Juni Kim writes.")
    category = await content.category("Inter-Korean")
    for n in range(5):
        await content.publication(
            f"Piece {n}",
            authors=[author],
            categories=[category] if n % 2 == 0 else [],
            footnotes=["A source."],
            previous_slugs=[f"old-piece-{n}"],
        )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?per_page=2",
        "?per_page=2&page=2",
        "?page=9",
        "?category=inter-korean&per_page=20",
        "?per_page=1&per_page=3",  # the last value counts
        "?author=juni-kim&unknown=1",
        "?sort=title&year=2026",
        "?q=piece",
    ],
)
async def test_an_anonymous_list_answers_as_the_declared_path(
    client: httpx.AsyncClient, content: Content, site: None, query: str
) -> None:
    token = await content.bearer(Role.AUTHOR, "Someone")  # sees the public set, privately

    anonymous = await client.get(API + query)
    declared = await client.get(API + query, headers=token)

    assert anonymous.status_code == declared.status_code == 200
    assert anonymous.content == declared.content
    assert anonymous.headers["etag"] == declared.headers["etag"]
    assert anonymous.headers["link"] == declared.headers["link"]
    assert anonymous.headers["x-total-count"] == declared.headers["x-total-count"]
    assert anonymous.headers["cache-control"].startswith("public")
    assert declared.headers["cache-control"] == "private, no-store"


async def test_an_anonymous_detail_answers_as_the_declared_path(
    client: httpx.AsyncClient, content: Content, site: None
) -> None:
    token = await content.bearer(Role.AUTHOR, "Someone")
    first = (await client.get(f"{API}?per_page=1")).json()["data"][0]

    for reference in (first["slug"], first["id"]):
        anonymous = await client.get(f"{API}/{reference}")
        declared = await client.get(f"{API}/{reference}", headers=token)

        assert anonymous.status_code == declared.status_code == 200
        assert anonymous.content == declared.content
        assert anonymous.headers["etag"] == declared.headers["etag"]


async def test_anonymous_misses_redirects_and_revalidation(
    client: httpx.AsyncClient, site: None
) -> None:
    missing = await client.get(f"{API}/no-such-piece")
    moved = await client.get(f"{API}/old-piece-1?x=1")
    fresh = await client.get(f"{API}/piece-1")
    unchanged = await client.get(f"{API}/piece-1", headers={"If-None-Match": fresh.headers["etag"]})

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{API}/piece-1?x=1"
    assert unchanged.status_code == 304
    assert unchanged.headers["etag"] == fresh.headers["etag"]


async def test_a_bad_token_or_parameter_takes_the_declared_path(
    client: httpx.AsyncClient, site: None
) -> None:
    bad_token = await client.get(API, headers={"Authorization": "Bearer nonsense"})
    bad_page = await client.get(f"{API}?per_page=1000")
    bad_preview = await client.get(f"{API}/piece-1?preview=nonsense")
    anonymous = await client.get(f"{API}/piece-1")

    assert bad_token.status_code == 401
    assert bad_page.status_code == 422
    assert [e["field"] for e in bad_page.json()["errors"]] == ["per_page"]
    # A wrong preview token shows what an anonymous request sees.
    assert bad_preview.status_code == 200
    assert bad_preview.content == anonymous.content
