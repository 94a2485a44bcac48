"""`/api/v1/search`: syntax, stemming, ranking, highlights, facets, safety, statement counts."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.services import facet_keys, search
from models import PublicationStatus
from tests.content import Content

SEARCH = "/api/v1/search"


async def hits(client: httpx.AsyncClient, query: str, extra: str = "") -> list[str]:
    params: dict[str, str] = {"q": query, "per_page": "100", **_params(extra)}
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


def _params(extra: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in extra.split("&")) if extra else {}


@pytest.fixture
async def library(content: Content) -> Content:
    kim = await content.author("Juni Kim")
    lee = await content.author("Ann Lee")
    inter = await content.category("Inter-Korean")
    trade = await content.category("Trade")
    peninsula = await content.series("The Peninsula")
    await content.publication(
        "Can Mongolia Help Resolve Tensions on the Korean Peninsula?",
        body="Mongolia has a vested interest in North Korean ports.[^1]",
        footnotes=["Mashbat Otgonbayar Sarlagtay, Ulaanbaatar Dialogue, Pg. 47. 2015."],
        authors=[kim], categories=[inter], series=peninsula,
        published_at=datetime(2017, 6, 14, tzinfo=UTC),
    )  # fmt: skip
    await content.publication(
        "Sanctions and trade",
        body="New sanctions target shipping. A < B & C > D in <b>tables</b>.",
        authors=[lee], categories=[trade],
        published_at=datetime(2019, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    await content.publication(
        "Why the Korean peninsula matters",
        body="Trade with China and sanctioned ports.",
        authors=[kim, lee], categories=[inter, trade], series=peninsula,
        published_at=datetime(2019, 9, 1, tzinfo=UTC),
    )  # fmt: skip
    await content.publication(
        "Mongolia draft",
        status=PublicationStatus.DRAFT,
        body="Mongolia sanctions Korean peninsula.",
    )
    return content


@pytest.mark.usefixtures("library")
async def test_query_syntax(client: httpx.AsyncClient) -> None:
    mongolia = "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
    assert await hits(client, "mongol") == [mongolia]  # the last word is a prefix
    assert await hits(client, "mongol ") == []  # a finished word is not
    assert await hits(client, "sanction") == [
        "sanctions-and-trade",
        "why-the-korean-peninsula-matters",
    ]
    assert set(await hits(client, '"korean peninsula"')) == {
        mongolia,
        "why-the-korean-peninsula-matters",
    }
    assert await hits(client, '"peninsula korean"') == []
    assert set(await hits(client, "shipping OR mongolia")) == {mongolia, "sanctions-and-trade"}
    assert await hits(client, '"korean peninsula" -china') == [mongolia]
    assert await hits(client, "-china") == []
    assert await hits(client, "Mashbat") == [mongolia]  # found through its footnote
    assert await hits(client, "juni kim trade") == ["why-the-korean-peninsula-matters"]


@pytest.mark.usefixtures("library")
async def test_ranking_puts_title_matches_first(client: httpx.AsyncClient) -> None:
    ranked = await hits(client, "sanctions")
    assert ranked[0] == "sanctions-and-trade"
    oldest_first = await hits(client, "sanctions", "sort=published_at")
    assert oldest_first == ["sanctions-and-trade", "why-the-korean-peninsula-matters"]


async def test_pages_walk_every_hit_once_past_the_ranked_window(
    client: httpx.AsyncClient, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the best few candidates are ranked on their whole text (PostgreSQL); the
    others keep the cheap order. Either way a walk through the pages sees each hit once,
    and the hits whose title holds the query come first."""
    monkeypatch.setattr(search, "RANKED_WINDOW", 3)
    for n in range(4):
        await content.publication(f"Korean note {n}")
    for n in range(5):
        await content.publication(f"Essay {n}", body=f"A Korean matter, part {n}.")
    walked = []
    for page in range(1, 6):
        found = await hits(client, "korean ", f"per_page=2&page={page}")
        assert len(found) == (2 if page < 5 else 1)
        walked += found
    assert len(set(walked)) == 9
    assert set(walked[:4]) == {f"korean-note-{n}" for n in range(4)}


@pytest.mark.usefixtures("library")
async def test_filters_narrow_the_search(client: httpx.AsyncClient) -> None:
    assert await hits(client, "korean", "category=trade") == ["why-the-korean-peninsula-matters"]
    assert await hits(client, "korean", "year=2017") == [
        "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
    ]


@pytest.mark.usefixtures("library")
async def test_highlights_are_safe_html(client: httpx.AsyncClient) -> None:
    response = await client.get(SEARCH, params={"q": "sanctions tables"})
    [item] = response.json()["data"]
    assert item["title_highlight"] == "<mark>Sanctions</mark> and trade"
    passage = item["highlight"]
    assert "<mark>sanctions</mark>" in passage
    assert "<mark>tables</mark>" in passage
    assert "A &lt; B &amp; C &gt; D" in passage
    assert "<b>" not in passage


async def test_passages_come_from_the_paragraph_holding_the_query(
    client: httpx.AsyncClient, content: Content
) -> None:
    """The passage comes from the paragraph that holds most of the query's words, however
    far into the body, in any inflection the stemmer joins; a hit whose body lacks the
    words (found through its title) has no passage."""
    filler = "\n\n".join(f"Paragraph {n} says nothing of note here." for n in range(40))
    await content.publication(
        "Harbours of the north",
        body=f"{filler}\n\nOne policy on ports.\n\n{filler}\n\n"
        "Their policies on ports and fisheries were set in Ulaanbaatar.\n\n{filler}",
    )
    await content.publication("Fisheries policy", body=filler)
    response = await client.get(SEARCH, params={"q": "fishery policy "})
    items = {item["slug"]: item for item in response.json()["data"]}
    passage = items["harbours-of-the-north"]["highlight"]
    assert "<mark>policies</mark>" in passage
    assert "<mark>fisheries</mark>" in passage
    assert "Paragraph" not in passage
    assert items["fisheries-policy"]["highlight"] is None
    prefix = await client.get(SEARCH, params={"q": "ulaanb"})
    [item] = prefix.json()["data"]
    assert "<mark>Ulaanbaatar</mark>" in item["highlight"]


@pytest.mark.usefixtures("library")
async def test_facets_count_the_whole_result_set(client: httpx.AsyncClient) -> None:
    response = await client.get(SEARCH, params={"q": "korean OR sanctions", "per_page": 1})
    body = response.json()
    assert len(body["data"]) == 1
    meta = body["meta"]
    assert meta["total"] == 3
    facets = meta["facets"]
    assert facets["categories"] == [
        {"slug": "inter-korean", "name": "Inter-Korean", "count": 2},
        {"slug": "trade", "name": "Trade", "count": 2},
    ]
    assert facets["authors"] == [
        {"slug": "ann-lee", "name": "Ann Lee", "count": 2},
        {"slug": "juni-kim", "name": "Juni Kim", "count": 2},
    ]
    assert facets["series"] == [{"slug": "the-peninsula", "name": "The Peninsula", "count": 2}]
    assert facets["years"] == [{"year": 2019, "count": 2}, {"year": 2017, "count": 1}]


async def test_facets_list_the_most_frequent_values_with_exact_counts(
    client: httpx.AsyncClient, content: Content
) -> None:
    authors = [await content.author(f"Writer {letter}") for letter in "ABCD"]
    # Writer D on three hits, C on two, A and B on one each: the top two are D, then C.
    for index, byline in enumerate(
        [
            [authors[3]],
            [authors[3], authors[2]],
            [authors[3], authors[2]],
            [authors[0]],
            [authors[1]],
        ]
    ):
        await content.publication(f"Harbour study {index}", authors=byline)

    async def facet_authors(**params: int) -> list[dict[str, Any]]:
        response = await client.get(SEARCH, params={"q": "harbour", **params})
        assert response.status_code == 200, response.text
        assert response.json()["meta"]["total"] == 5
        found: list[dict[str, Any]] = response.json()["meta"]["facets"]["authors"]
        return found

    every = await facet_authors(facet_limit=1000)
    assert [(a["slug"], a["count"]) for a in every] == [
        ("writer-d", 3), ("writer-c", 2), ("writer-a", 1), ("writer-b", 1)
    ]  # fmt: skip
    assert await facet_authors(facet_limit=2) == every[:2]
    assert await facet_authors(facet_limit=3) == every[:3]  # a tie goes by name
    assert await facet_authors() == every  # the default, 20, holds them all


@pytest.mark.usefixtures("library")
async def test_facets_are_the_same_whatever_the_pieces_their_keys_come_in(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL sends a broad query's facet keys in pieces of a megabyte, counted one by
    one; a piece of one key each must count the same."""
    params: dict[str, str | int] = {"q": "korean OR sanctions OR mongolia", "facet_limit": 1000}
    whole = (await client.get(SEARCH, params=params)).json()["meta"]
    monkeypatch.setattr(facet_keys, "CHUNK_BYTES", 4)
    pieces = (await client.get(SEARCH, params=params)).json()["meta"]
    assert pieces == whole
    assert whole["total"] == 3
    assert sum(a["count"] for a in whole["facets"]["authors"]) >= 3  # each has a byline


async def test_facets_count_ids_of_any_size_an_import_may_have_given(
    client: httpx.AsyncClient, content: Content
) -> None:
    """PostgreSQL keeps an index row's facets as 4-byte keys; ids from 2^29 up do not fit
    one, and such rows' facets are read from their tables instead, counted all the same."""
    writer = await content.author("Ann Lee", id=2**40)
    editor = await content.author("Juni Kim", id=7)
    ports = await content.category("Ports", id=2**62)
    annals = await content.series("Harbour Annals", id=2**33)
    when = datetime(2019, 12, 31, 23, 30, tzinfo=UTC)
    await content.publication(
        "Harbour one",
        authors=[writer, editor],
        categories=[ports],
        series=annals,
        published_at=when,
    )
    await content.publication("Harbour two", authors=[writer], series=annals)
    await content.publication("Harbour three", authors=[editor], categories=[ports])

    response = await client.get(SEARCH, params={"q": "harbour"})
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    assert meta["total"] == 3
    facets = meta["facets"]
    assert facets["authors"] == [
        {"slug": "ann-lee", "name": "Ann Lee", "count": 2},
        {"slug": "juni-kim", "name": "Juni Kim", "count": 2},
    ]
    assert facets["categories"] == [{"slug": "ports", "name": "Ports", "count": 2}]
    assert facets["series"] == [{"slug": "harbour-annals", "name": "Harbour Annals", "count": 2}]
    assert sum(year["count"] for year in facets["years"]) == 3
    assert {"year": 2019, "count": 1} in facets["years"]


@pytest.mark.parametrize("value", ["0", "1001", "many"])
async def test_a_facet_limit_out_of_range_is_refused(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get(SEARCH, params={"q": "harbour", "facet_limit": value})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "facet_limit"


async def test_a_search_needs_a_query(client: httpx.AsyncClient) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = await client.get(SEARCH, params=params)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "q"


UNUSUAL_QUERIES = [
    '"', '""', "OR", "- -", "AND OR NOT", "NEAR(a b)", "a*", "^", "'; DROP TABLE x; --",
    "😀", "x" * 10_000, "a:b", "(", ")", "\\", "\x00",
]  # fmt: skip


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize(
    "query",
    UNUSUAL_QUERIES,
)
async def test_anything_typed_is_safe(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(SEARCH, params={"q": query})
    assert response.status_code in (200, 422), response.text
    listing = await client.get("/api/v1/publications", params={"q": query})
    assert listing.status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.text(min_size=1, max_size=60))
async def test_any_text_is_a_valid_query(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(SEARCH, params={"q": query})
    assert response.status_code in (200, 422)


@pytest.mark.usefixtures("library")
async def test_statements_do_not_grow_with_the_page(
    client: httpx.AsyncClient, count_statements: Any, content: Content
) -> None:
    for n in range(12):
        await content.publication(f"Korean note {n}", tags=[await content.tag(f"t{n}")])
    counts = []
    for per_page in (1, 14):
        with count_statements() as counter:
            response = await client.get(SEARCH, params={"q": "korean", "per_page": per_page})
        assert len(response.json()["data"]) == per_page
        counts.append(counter.count)
    # The page (its relations as JSON), the total with the facets, the highlights.
    assert counts == [3, 3]

    # And `?q=` on the list: the page with its relations, and the total.
    for per_page in (1, 14):
        with count_statements() as counter:
            response = await client.get(
                "/api/v1/publications", params={"q": "korean", "per_page": per_page}
            )
        assert len(response.json()["data"]) == per_page
        assert counter.count == 2
    notes = [item for item in response.json()["data"] if item["title"].startswith("Korean note")]
    assert len(notes) == 12
    for item in notes:  # each with its own tag, read from the page's statement
        assert [tag["slug"] for tag in item["tags"]] == ["t" + item["title"].rsplit(" ", 1)[1]]
