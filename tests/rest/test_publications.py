"""`/api/v1/publications`: filters, orders, pages, the detail, redirects, statement counts."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Footnote, PublicationStatus
from tests.content import Content

API = "/api/v1/publications"


async def slugs(client: httpx.AsyncClient, query: str = "") -> list[str]:
    response = await client.get(f"{API}?per_page=100&{query}")
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


async def test_list_is_newest_first_with_totals_and_links(
    client: httpx.AsyncClient, content: Content
) -> None:
    for day in (3, 1, 2):
        await content.publication(f"Day {day}", published_at=datetime(2024, 5, day, tzinfo=UTC))
    await content.publication("Draft", status=PublicationStatus.DRAFT)

    response = await client.get(f"{API}?per_page=2")

    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body["data"]] == ["day-3", "day-2"]
    assert body["meta"] == {"total": 3, "page": 1, "per_page": 2, "pages": 2}
    assert response.headers["x-total-count"] == "3"
    links = response.links
    assert links["next"]["url"].endswith("page=2")
    assert links["last"]["url"].endswith("page=2")
    assert links["first"]["url"].endswith("page=1")
    assert "prev" not in links
    second = await client.get(links["next"]["url"])
    assert [p["slug"] for p in second.json()["data"]] == ["day-1"]
    assert "next" not in second.links
    assert second.links["prev"]["url"].endswith("page=1")


async def test_walking_every_page_yields_each_publication_once(
    client: httpx.AsyncClient, content: Content
) -> None:
    same_moment = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(7):  # identical dates and titles: only the id can order them
        await content.publication("Same", slug=f"same-{n}", published_at=same_moment)
    for sort in ("-published_at", "published_at", "title"):
        seen: list[str] = []
        for page in range(1, 5):
            response = await client.get(f"{API}?per_page=2&page={page}&sort={sort}")
            seen += [p["slug"] for p in response.json()["data"]]
        assert sorted(seen) == sorted(f"same-{n}" for n in range(7)), sort


async def test_summary_shape(client: httpx.AsyncClient, content: Content) -> None:
    author = await content.author("Juni Kim", job_title="Program Manager", bio="A bio.")
    category = await content.category("Inter-Korean")
    series = await content.series("The Peninsula")
    tag = await content.tag("Mongolia")
    await content.publication(
        "Can Mongolia Help?",
        authors=[author],
        categories=[category],
        series=series,
        tags=[tag],
        image_url="https://img.example.org/1.jpg",
        image_credit="Photo from a photostream",
        image_license="Creative Commons",
    )

    [item] = (await client.get(API)).json()["data"]

    assert item["url"] == "https://example.org/publications/can-mongolia-help"
    assert item["authors"] == [
        {
            "id": str(author.id),
            "slug": "juni-kim",
            "name": "Juni Kim",
            "job_title": "Program Manager",
        }
    ]
    assert item["categories"] == [
        {"id": str(category.id), "slug": "inter-korean", "name": "Inter-Korean"}
    ]
    assert item["series"]["slug"] == "the-peninsula"
    assert item["tags"][0]["slug"] == "mongolia"
    assert item["featured_image"]["license"] == "Creative Commons"
    assert isinstance(item["id"], str)
    assert "body_html" not in item
    assert datetime.fromisoformat(item["published_at"]).tzinfo is not None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 7),
        ("category=trade", 5),
        # One kind of link is counted in its table: each publication once, in both or not.
        ("category=trade,arms", 6),
        ("tag=coal", 6),
        ("category=trade,arms&tag=coal", 6),
        ("published_after=2024-01-01", 6),
    ],
)
async def test_totals_hold_on_every_page_and_past_the_end(
    client: httpx.AsyncClient, content: Content, query: str, expected: int
) -> None:
    """Slug filters reuse one statement per shape with new values; other filters build theirs.
    Either way the total rides with the page, and a page past the end still counts; what
    the public may not see is never counted."""
    trade, arms = await content.category("Trade"), await content.category("Arms")
    coal = await content.tag("Coal")
    for n in range(5):
        await content.publication(
            f"P {n}", published_at=datetime(2024, 5, n + 1, tzinfo=UTC), categories=[trade, arms],
            tags=[coal],
        )  # fmt: skip
    await content.publication("Elsewhere", published_at=datetime(2023, 5, 1, tzinfo=UTC))
    await content.publication("Draft", status=PublicationStatus.DRAFT, categories=[trade])
    await content.publication(
        "Due", status=PublicationStatus.SCHEDULED, published_at=datetime(2024, 6, 1, tzinfo=UTC),
        categories=[arms], tags=[coal],
    )  # fmt: skip
    await content.publication(
        "Soon", status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) + timedelta(days=30), categories=[trade, arms], tags=[coal],
    )  # fmt: skip

    for page, size in ((1, 2), (3, 2), (4, 2), (1, 100)):
        response = await client.get(f"{API}?{query}&per_page={size}&page={page}")
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["meta"]["total"] == expected
        assert len(body["data"]) == max(0, min(size, expected - (page - 1) * size))


async def test_filters_by_slugs_combine(client: httpx.AsyncClient, content: Content) -> None:
    a, b = await content.author("Ann Lee"), await content.author("Bo Park")
    trade, security = await content.category("Trade"), await content.category("Security")
    peninsula = await content.series("The Peninsula")
    nuclear = await content.tag("Nuclear")
    await content.publication("One", authors=[a], categories=[trade], tags=[nuclear])
    await content.publication("Two", authors=[b], categories=[security], series=peninsula)
    await content.publication("Three", authors=[a, b], categories=[trade, security])

    assert await slugs(client, "category=trade&sort=title") == ["one", "three"]
    assert await slugs(client, "category=trade,security&sort=title") == ["one", "three", "two"]
    assert await slugs(client, "category=trade&author=bo-park") == ["three"]
    assert await slugs(client, "series=the-peninsula") == ["two"]
    assert await slugs(client, "tag=nuclear") == ["one"]
    assert await slugs(client, "author=nobody") == []


async def test_date_filters_are_inclusive(client: httpx.AsyncClient, content: Content) -> None:
    for slug, moment in {
        "before": datetime(2017, 6, 13, 23, 59, tzinfo=UTC),
        "morning": datetime(2017, 6, 14, 0, 0, tzinfo=UTC),
        "evening": datetime(2017, 6, 14, 23, 59, tzinfo=UTC),
        "next-year": datetime(2018, 1, 1, tzinfo=UTC),
    }.items():
        await content.publication(slug, slug=slug, published_at=moment)

    assert await slugs(client, "published_after=2017-06-14&published_before=2017-06-14") == [
        "evening",
        "morning",
    ]
    assert await slugs(client, "published_before=2017-06-14T00:00:00Z") == ["morning", "before"]
    assert await slugs(client, "year=2018") == ["next-year"]
    assert await slugs(client, "year=2017&published_after=2017-06-14T12:00:00%2B00:00") == [
        "evening"
    ]


async def test_updated_since(client: httpx.AsyncClient, content: Content) -> None:
    now = datetime.now(UTC)
    await content.publication("Old", updated_at=now - timedelta(days=10))
    await content.publication("Fresh", updated_at=now)
    since = (now - timedelta(days=1)).isoformat().replace("+", "%2B")
    assert await slugs(client, f"updated_since={since}") == ["fresh"]


async def test_search_finds_words_and_ranks_title_first(
    client: httpx.AsyncClient, content: Content
) -> None:
    await content.publication("Sanctions and trade", body="Nothing relevant here.")
    await content.publication("Other things", body="A paragraph about sanctions policy.")
    await content.publication("Unrelated", body="Rice harvest.")
    await content.publication(
        "Secret", status=PublicationStatus.DRAFT, body="sanctions sanctions sanctions"
    )

    assert await slugs(client, "q=sanction") == ["sanctions-and-trade", "other-things"]
    assert await slugs(client, "q=sanctions&sort=title") == ["other-things", "sanctions-and-trade"]
    assert await slugs(client, 'q="; DROP TABLE publications; --') == []
    assert await slugs(client, "sort=relevance") == await slugs(client)
    assert (await client.get(f"{API}?q=sanctions")).headers["x-total-count"] == "2"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=1000000", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("sort=newest", "sort"),
        ("published_after=2017-02-30", "published_after"),
        ("published_before=yesterday", "published_before"),
        ("updated_since=2017-13-01T00:00:00Z", "updated_since"),
        ("year=0", "year"),
        ("category=Not%20A%20Slug", "category"),
        ("author=a,,b", "author"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"{API}?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_detail_is_the_whole_publication(client: httpx.AsyncClient, content: Content) -> None:
    author = await content.author("Juni Kim", bio="Juni Kim is the Program Manager.")
    publication = await content.publication(
        "With notes",
        authors=[author],
        body="Claim one.[^1] Claim two.[^2]\n\n<script>alert(1)</script>"
        '<a href="javascript:alert(1)" onclick="x()">link</a>',
        footnotes=["First source.", "Second source."],
    )

    by_slug = await client.get(f"{API}/with-notes")
    by_id = await client.get(f"{API}/{publication.id}")

    assert by_slug.status_code == by_id.status_code == 200
    assert by_slug.json() == by_id.json()
    data = by_slug.json()["data"]
    assert data["authors"][0]["bio"] == "Juni Kim is the Program Manager."
    assert [f["number"] for f in data["footnotes"]] == [1, 2]
    assert data["footnotes"][0]["text"] == "First source."
    html = data["body_html"]
    assert 'href="#fn-1"' in html
    assert 'id="fn-1"' in html
    assert 'href="#fnref-1"' in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert "Claim one." in data["body_text"]
    assert "<sup" not in data["body_text"]
    assert data["word_count"] > 0
    assert data["reading_time_minutes"] >= 1
    assert data["version"] == 1
    assert "editorial_notes" not in data
    assert "body_markdown" not in data


async def test_old_slug_answers_301(client: httpx.AsyncClient, content: Content) -> None:
    await content.publication("Renamed", slug="new-name", previous_slugs=["old-name"])
    response = await client.get(f"{API}/old-name?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == f"{API}/new-name?x=1"
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "reference",
    ["draft", "draft-old", "scheduled", "archived", "missing", "0", "99999999999999999999"],
)
async def test_what_is_not_visible_is_not_found(
    client: httpx.AsyncClient, content: Content, reference: str
) -> None:
    await content.publication("Draft", status=PublicationStatus.DRAFT, previous_slugs=["draft-old"])
    await content.publication(
        "Scheduled",
        status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) + timedelta(days=1),
    )
    await content.publication("Archived", status=PublicationStatus.ARCHIVED)
    response = await client.get(f"{API}/{reference}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_due_scheduled_publication_is_visible(
    client: httpx.AsyncClient, content: Content
) -> None:
    await content.publication(
        "Due",
        status=PublicationStatus.SCHEDULED,
        published_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    assert (await client.get(f"{API}/due")).status_code == 200
    assert await slugs(client) == ["due"]


async def test_statements_do_not_grow_with_the_page(
    client: httpx.AsyncClient, content: Content, count_statements: Any
) -> None:
    authors = [await content.author(f"Author {n}") for n in range(3)]
    categories = [await content.category(f"Category {n}") for n in range(3)]
    tags = [await content.tag(f"Tag {n}") for n in range(3)]
    series = await content.series("Series")
    for n in range(30):
        await content.publication(
            f"P {n}", authors=authors[: n % 3 + 1], categories=categories[: n % 2 + 1],
            tags=tags, series=series if n % 2 else None, image_url="https://img.example.org/x.jpg",
        )  # fmt: skip

    counts = {}
    for per_page in (1, 30):
        with count_statements() as counter:
            response = await client.get(f"{API}?per_page={per_page}&category=category-0")
        assert len(response.json()["data"]) == per_page
        counts[per_page] = counter.count
    # The page, its total and every relation: one statement; the detail likewise.
    assert counts[1] == counts[30] == 1
    with count_statements() as counter:
        await client.get(f"{API}/p-1")
    assert counter.count == 1


async def test_relations_in_order_as_every_other_read_shows_them(
    client: httpx.AsyncClient, content: Content, session: AsyncSession, tokens: Any
) -> None:
    """Pages and the detail read relations in their own statement (JSON the database builds);
    search and the editor's view load them one kind at a time. Both show the same, in order."""
    # Created in another order than the one they are linked in, so ids do not give it.
    ann = await content.author("Ann Lee", bio="Ann's bio: “quoted” — and ünïcode.")
    zed = await content.author("Zed Kim", job_title="Fellow", bio="Zed's bio.")
    arms, trade = await content.category("Arms"), await content.category("Trade")
    coal, nickel, zinc = [await content.tag(name) for name in ("Coal", "Nickel", "Zinc")]
    tags = [zinc, coal, nickel]
    series = await content.series("The Peninsula")
    publication = await content.publication(
        "Mongolia and the peninsula",
        authors=[zed, ann],
        categories=[trade, arms],
        tags=tags,
        series=series,
        body="A claim.[^1] Another.[^2]",
        footnotes=["One.", "Two."],
    )
    await content.publication("Mongolia alone")
    citation = {"title": "A source", "issued": {"date-parts": [[2017, 6]]}, "page": 12}
    await session.execute(
        update(Footnote)
        .where(col(Footnote.publication_id) == publication.id, col(Footnote.number) == 2)
        .values(citation=citation)
    )
    await session.commit()

    [listed] = (await client.get(f"{API}?category=arms")).json()["data"]
    [found] = [
        hit
        for hit in (await client.get("/api/v1/search?q=peninsula")).json()["data"]
        if hit["id"] == str(publication.id)
    ]
    detail = (await client.get(f"{API}/{publication.slug}")).json()["data"]
    editor = (await client.get(f"{API}/{publication.slug}", headers=tokens["editor"])).json()[
        "data"
    ]

    assert [a["name"] for a in listed["authors"]] == ["Zed Kim", "Ann Lee"]
    assert [c["slug"] for c in listed["categories"]] == ["trade", "arms"]
    assert [t["slug"] for t in listed["tags"]] == ["zinc", "coal", "nickel"]
    assert listed["series"] == {
        "id": str(series.id),
        "slug": "the-peninsula",
        "name": "The Peninsula",
    }
    assert "bio" not in listed["authors"][0]
    for field in ("authors", "categories", "tags", "series"):
        assert listed[field] == found[field]
        assert detail[field] == editor[field]
    assert [a["bio"] for a in detail["authors"]] == ["Zed's bio.", ann.bio]
    assert detail["footnotes"] == editor["footnotes"]
    assert detail["footnotes"][0] == {"number": 1, "text": "One.", "url": None, "citation": None}
    assert detail["footnotes"][1]["citation"] == citation
    assert detail["categories"] == listed["categories"]


@pytest.mark.parametrize("order", ["newest", "title"])
async def test_a_terms_pages_are_the_same_whatever_its_share_of_the_site(
    client: httpx.AsyncClient, content: Content, order: str
) -> None:
    """On PostgreSQL a term's page is read one of two ways, by the term's share of the site
    and how deep the page is (`publications._term_page`): a broad term's first pages walk
    the site's list, a narrow term's and deep pages read the term's links. Each way pages
    through the same publications in the same order, drafts and the undue left out."""
    broad, narrow = await content.category("Broad"), await content.category("Narrow")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(40):
        await content.publication(
            f"Piece {n:02}",
            published_at=start + timedelta(days=(n * 7) % 40),
            categories=[broad] if n % 8 else [narrow],
            status=PublicationStatus.DRAFT if n % 13 == 5 else PublicationStatus.PUBLISHED,
        )
    later = datetime.now(UTC) + timedelta(days=30)
    await content.publication(
        "Later", status=PublicationStatus.SCHEDULED, published_at=later, categories=[broad, narrow]
    )
    sort = "" if order == "newest" else "&sort=title"
    for slug in ("broad", "narrow"):
        whole = await slugs(client, f"category={slug}{sort}")
        assert whole
        assert "later" not in whole
        for size in (3, 7, 20):
            paged: list[str] = []
            for page in range(1, len(whole) // size + 2):
                answer = await client.get(
                    f"{API}?category={slug}&per_page={size}&page={page}{sort}"
                )
                paged += [item["slug"] for item in answer.json()["data"]]
                assert answer.json()["meta"]["total"] == len(whole)
            assert paged == whole, (slug, size)
