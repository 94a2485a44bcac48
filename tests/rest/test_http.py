"""HTTP behaviour of public reads: validators, 304, Cache-Control, CORS, HEAD, problem+json."""

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from models import Publication, PublicationStatus
from tests.content import Content

PUBLIC_PATHS = [
    "/api/v1/publications",
    "/api/v1/publications/first",
    "/api/v1/authors",
    "/api/v1/authors/ann-lee",
    "/api/v1/categories",
    "/api/v1/categories/trade",
    "/api/v1/stats",
]


@pytest.fixture
async def site(content: Content) -> Content:
    author = await content.author("Ann Lee")
    category = await content.category("Trade")
    await content.publication("First", authors=[author], categories=[category])
    return content


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", PUBLIC_PATHS)
async def test_etag_and_304(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    cache_control = response.headers["cache-control"]
    assert "public" in cache_control
    assert "max-age=60" in cache_control
    assert "stale-while-revalidate=300" in cache_control

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag

    stale = await client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


async def test_a_change_changes_the_etag_of_every_answer_that_shows_it(
    client: httpx.AsyncClient, site: Content
) -> None:
    before = {path: (await client.get(path)).headers["etag"] for path in PUBLIC_PATHS}

    await site.publication("Second", authors=[], categories=[])  # new in lists and stats
    author = (await client.get("/api/v1/authors/ann-lee")).json()["data"]
    await site.publication(
        "Third",
        authors=[await site.author("Bo Park")],
        categories=[await site.category("Security")],
        status=PublicationStatus.DRAFT,
    )
    after = {path: (await client.get(path)).headers["etag"] for path in PUBLIC_PATHS}

    changed = {path for path in PUBLIC_PATHS if before[path] != after[path]}
    # A new publication shows in lists and counts; "First" and Ann Lee's page did not change.
    assert changed == {
        "/api/v1/publications",
        "/api/v1/authors",
        "/api/v1/categories",
        "/api/v1/stats",
    }
    assert author["publication_count"] == 1


async def test_editing_a_publication_changes_its_detail_and_the_lists(
    client: httpx.AsyncClient, site: Content
) -> None:
    paths = [
        "/api/v1/publications/first",
        "/api/v1/publications",
        "/api/v1/publications?author=ann-lee",
    ]
    before = [(await client.get(p)).headers["etag"] for p in paths]
    await site.session.execute(
        update(Publication).where(col(Publication.slug) == "first").values(title="First, revised")
    )
    await site.session.commit()
    after = [(await client.get(p)).headers["etag"] for p in paths]
    assert all(b != a for b, a in zip(before, after, strict=True))


async def test_cors_exposes_headers_to_browser_code(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/publications", headers={"Origin": "https://partner.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "etag",
        "link",
        "x-total-count",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    } <= exposed


async def test_cors_preflight_allows_authenticated_writes(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/publications/first",
        headers={
            "Origin": "https://editor.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, If-Match, Content-Type",
        },
    )
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "if-match" in allowed
    assert "PATCH" in response.headers["access-control-allow-methods"]


@pytest.mark.usefixtures("site")
async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/api/v1/publications/first")
    head = await client.head("/api/v1/publications/first")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/nothing-here", 404),
        ("DELETE", "/api/v1/stats", 405),
        ("PUT", "/api/v1/publications", 405),
    ],
)
async def test_errors_are_problem_details(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert set(problem) >= {"type", "title", "status", "detail"}
