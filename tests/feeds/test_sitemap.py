"""`/sitemap.xml` and its pages: every visible publication's canonical URL exactly once,
with when it last changed; an index past `sitemap_max_urls`; nothing unpublished."""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from api import compression
from api.app import create_app
from api.demo import seed
from tests.conftest import PRIVATE_MARKER, Database, serving, settings_for
from tests.feeds import visible_publications

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SEED_URL = f"https://example.org/publications/{seed.SLUG}"
PAGE_SIZE = 10


def parse(response: httpx.Response) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    assert PRIVATE_MARKER not in response.text
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own output)


def entries(root: ElementTree.Element, element: str) -> dict[str, datetime]:
    """Each `<loc>` of the urlset or index, with its `<lastmod>`; a repeat fails."""
    found: dict[str, datetime] = {}
    for node in root.findall(f"sm:{element}", NS):
        loc, lastmod = node.findtext("sm:loc", namespaces=NS), node.findtext("sm:lastmod", "", NS)
        assert loc is not None
        assert loc not in found
        found[loc] = datetime.fromisoformat(lastmod)
        assert found[loc].tzinfo is not None
    return found


@pytest.fixture
async def paged_client(site: Database, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The site, with sitemaps of ten URLs a page."""
    app = create_app(settings_for(site, tmp_path, sitemap_max_urls=PAGE_SIZE))
    async with serving(app) as client:
        yield client


async def test_sitemap_lists_every_visible_publication_once(
    site_client: httpx.AsyncClient,
) -> None:
    expected = {p["url"]: p for p in await visible_publications(site_client)}

    root = parse(await site_client.get("/sitemap.xml"))

    assert root.tag == f"{{{NS['sm']}}}urlset"
    urls = entries(root, "url")
    assert set(urls) == set(expected)
    assert urls[SEED_URL].isoformat() == "2017-06-14T12:00:00+00:00"
    for url, lastmod in urls.items():
        summary = expected[url]
        assert lastmod == max(
            datetime.fromisoformat(summary["published_at"]),
            datetime.fromisoformat(summary["updated_at"]),
        )


async def test_page_one_is_the_whole_sitemap_while_it_fits(
    site_client: httpx.AsyncClient,
) -> None:
    whole = entries(parse(await site_client.get("/sitemap.xml")), "url")

    assert entries(parse(await site_client.get("/sitemaps/publications-1.xml")), "url") == whole
    assert (await site_client.get("/sitemaps/publications-2.xml")).status_code == 404


async def test_past_the_limit_the_sitemap_is_an_index_of_pages(
    site_client: httpx.AsyncClient, paged_client: httpx.AsyncClient
) -> None:
    expected = {p["url"] for p in await visible_publications(site_client)}
    page_count = -(-len(expected) // PAGE_SIZE)
    assert page_count > 1

    root = parse(await paged_client.get("/sitemap.xml"))

    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    pages = entries(root, "sitemap")
    assert list(pages) == [
        f"http://testserver/sitemaps/publications-{n}.xml" for n in range(1, page_count + 1)
    ]
    seen: list[str] = []
    for location, lastmod in pages.items():
        urls = entries(parse(await paged_client.get(location)), "url")
        assert 0 < len(urls) <= PAGE_SIZE
        assert max(urls.values()) == lastmod
        seen += urls
    assert len(seen) == len(expected)  # no page repeats another's URLs...
    assert set(seen) == expected  # ...and together they hold them all


@pytest.mark.parametrize("page", [0, "past-the-end", 10_000_001, 10**30])
async def test_a_page_past_the_end_is_404(
    site_client: httpx.AsyncClient, paged_client: httpx.AsyncClient, page: int | str
) -> None:
    if page == "past-the-end":
        page = -(-len(await visible_publications(site_client)) // PAGE_SIZE) + 1

    response = await paged_client.get(f"/sitemaps/publications-{page}.xml")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemaps/publications-2.xml"])
async def test_etag_and_304(paged_client: httpx.AsyncClient, path: str) -> None:
    first = await paged_client.get(path)
    etag = first.headers["etag"]

    # Weak where the answer may be sent gzipped: one tag stands for both forms.
    assert etag.startswith('W/"') == (len(first.content) >= compression.MIN_BYTES)
    assert "public" in first.headers["cache-control"]
    cached = await paged_client.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
