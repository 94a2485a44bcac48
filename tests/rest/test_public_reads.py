"""Anonymous reads of `/publications` are answered in front of FastAPI's application
(`api/rest/public_reads.py`): they must answer exactly as the declared path does, which
token-bearing requests still take, errors included."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

import api.rest.publications
from api.rest.public_reads import AnonymousReadsFirst
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


SLUG = "can-mongolia-help"


def _front(app: Starlette) -> AnonymousReadsFirst:
    (mount,) = [r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1"]
    assert isinstance(mount.app, AnonymousReadsFirst)
    return mount.app


@contextmanager
def fastapi_calls(app: Starlette) -> Iterator[list[str]]:
    """The paths of the requests that reached FastAPI's application meanwhile."""
    front = _front(app)
    api, seen = front.api, []

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await api(scope, receive, send)

    front.api = counting
    try:
        yield seen
    finally:
        front.api = api


async def test_anonymous_reads_skip_fastapi_and_the_rest_do_not(
    app: Starlette, client: httpx.AsyncClient, content: Content, tokens: Any
) -> None:
    await content.publication("Can Mongolia Help?")
    with fastapi_calls(app) as seen:
        listed = await client.get("/api/v1/publications", params={"per_page": 5})
        read = await client.get(f"/api/v1/publications/{SLUG}")
    assert (listed.status_code, read.status_code) == (200, 200)
    assert seen == []
    with fastapi_calls(app) as seen:
        refused = await client.get("/api/v1/publications", params={"per_page": "many"})
        previewed = await client.get(f"/api/v1/publications/{SLUG}", params={"preview": "x"})
        as_editor = await client.get(f"/api/v1/publications/{SLUG}", headers=tokens["editor"])
        other = await client.get("/api/v1/categories")
    assert refused.status_code == 422
    assert (previewed.status_code, as_editor.status_code, other.status_code) == (200, 200, 200)
    assert len(seen) == 4
    # The public shape either way: a wrong preview token shows what anonymity sees.
    assert previewed.json() == read.json()


async def test_errors_are_the_apis_own(
    app: Starlette, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = await client.get("/api/v1/publications/no-such-thing")
    through_fastapi = await client.get("/api/v1/publications/no-such-thing?preview=x")
    assert missing.status_code == through_fastapi.status_code == 404
    assert missing.headers["content-type"] == through_fastapi.headers["content-type"]
    assert missing.json() == through_fastapi.json()

    async def failing(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.rest.publications, "get_publication", failing)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        broken = await plain.get(f"/api/v1/publications/{SLUG}")
        broken_through_fastapi = await plain.get(f"/api/v1/publications/{SLUG}?preview=x")
    assert broken.status_code == broken_through_fastapi.status_code == 500
    assert broken.headers["content-type"] == "application/problem+json"
    assert broken.json() == broken_through_fastapi.json()
    assert "secret" not in broken.text
    # Raised on after the answer, for the server to log, as FastAPI's path does.
    with pytest.raises(RuntimeError, match="secret internals"):
        await client.get(f"/api/v1/publications/{SLUG}")
