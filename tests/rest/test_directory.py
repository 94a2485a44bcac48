"""Authors, categories, series and tags: lists, details, and counts of visible work only."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from models import PublicationStatus
from tests.content import Content

KINDS = ["authors", "categories", "series", "tags"]


@pytest.fixture
async def linked(content: Content) -> None:
    """Two visible publications and three hidden ones, each linked to one of every kind."""
    author = await content.author("Juni Kim", job_title="Program Manager", bio="Juni Kim is …")
    category = await content.category("Inter-Korean", description="Relations between Koreas.")
    series = await content.series("The Peninsula")
    tag = await content.tag("Mongolia")
    await content.author("Zed Unpublished")
    for status, published_at in [
        (PublicationStatus.PUBLISHED, None),
        (PublicationStatus.SCHEDULED, datetime.now(UTC) - timedelta(hours=1)),
        (PublicationStatus.SCHEDULED, datetime.now(UTC) + timedelta(hours=1)),
        (PublicationStatus.DRAFT, None),
        (PublicationStatus.ARCHIVED, None),
    ]:
        await content.publication(
            status=status,
            published_at=published_at,
            authors=[author],
            categories=[category],
            series=series,
            tags=[tag],
        )


@pytest.mark.usefixtures("linked")
@pytest.mark.parametrize("kind", KINDS)
async def test_counts_only_visible_publications(client: httpx.AsyncClient, kind: str) -> None:
    listing = await client.get(f"/api/v1/{kind}")
    assert listing.status_code == 200
    first = listing.json()["data"][0]
    assert first["publication_count"] == 2

    by_slug = await client.get(f"/api/v1/{kind}/{first['slug']}")
    by_id = await client.get(f"/api/v1/{kind}/{first['id']}")
    assert by_slug.json() == by_id.json() == {"data": first}

    linked = await client.get(first["links"]["publications"])
    assert linked.json()["meta"]["total"] == 2


@pytest.mark.usefixtures("linked")
async def test_author_shape_and_order(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/authors?per_page=1")).json()
    assert body["meta"] == {"total": 2, "page": 1, "per_page": 1, "pages": 2}
    juni = body["data"][0]
    assert juni == {
        "id": juni["id"],
        "slug": "juni-kim",
        "name": "Juni Kim",
        "job_title": "Program Manager",
        "bio": "Juni Kim is …",
        "publication_count": 2,
        "links": {"publications": "/api/v1/publications?author=juni-kim"},
        "version": 1,
    }
    zed = (await client.get("/api/v1/authors?page=2&per_page=1")).json()["data"][0]
    assert (zed["slug"], zed["publication_count"]) == ("zed-unpublished", 0)


@pytest.mark.usefixtures("linked")
async def test_taxonomy_shape(client: httpx.AsyncClient) -> None:
    category = (await client.get("/api/v1/categories/inter-korean")).json()["data"]
    assert category["description"] == "Relations between Koreas."
    assert category["links"] == {"publications": "/api/v1/publications?category=inter-korean"}


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_is_404(client: httpx.AsyncClient, kind: str) -> None:
    for reference in ("nobody", "123456", "0"):
        response = await client.get(f"/api/v1/{kind}/{reference}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("kind", KINDS)
async def test_paging_parameters_are_checked(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/api/v1/{kind}?per_page=101")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "per_page"


@pytest.mark.usefixtures("linked")
async def test_stats_count_the_total_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stats")
    assert response.status_code == 200
    assert response.json() == {
        "data": {"publications": 2, "authors": 2, "categories": 1, "series": 1, "tags": 1}
    }
