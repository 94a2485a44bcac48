"""`publications` and `publication`: relations through loaders, cursors, pages, filters,
orders, old slugs, and the statement count that does not grow with the page."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Footnote, PublicationStatus
from tests.conftest import CountStatements
from tests.content import Content
from tests.graphql.conftest import data_of, error_codes, execute

EVERYTHING = """
query Page($first: Int) {
  publications(first: $first) {
    totalCount
    edges { cursor node {
      id databaseId slug title subtitle excerpt url publishedAt updatedAt
      bodyHtml bodyText wordCount readingTimeMinutes version
      authors { id name bio publicationCount }
      categories { slug publicationCount }
      tags { slug publicationCount }
      series { slug publicationCount }
      footnotes { number text url citation { author title } }
      featuredImage { url credit license }
    } }
  }
}
"""


async def slugs(client: httpx.AsyncClient, arguments: str) -> list[str]:
    data = await data_of(client, f"{{ publications({arguments}) {{ nodes {{ slug }} }} }}")
    return [node["slug"] for node in data["publications"]["nodes"]]


class TestRelations:
    async def test_a_page_of_100_costs_the_statements_of_a_page_of_1(
        self, client: httpx.AsyncClient, content: Content, count_statements: CountStatements
    ) -> None:
        authors = [await content.author(f"Author {n}", bio="Bio.") for n in range(3)]
        categories = [await content.category(f"Category {n}") for n in range(3)]
        tags = [await content.tag(f"Tag {n}") for n in range(3)]
        series = [await content.series(f"Series {n}") for n in range(2)]
        for n in range(100):
            await content.publication(
                f"P {n}",
                body="A claim.[^1] Another.[^2]",
                footnotes=["One.", "Two."],
                authors=authors[: n % 3 + 1],
                categories=categories[: n % 2 + 1],
                tags=tags[n % 3 :],
                series=series[n % 2],
                image_url="https://img.example.org/x.jpg",
                image_credit="Photo",
            )

        counts = {}
        for first in (1, 100):
            with count_statements() as counter:
                data = await data_of(client, EVERYTHING, {"first": first})
            edges = data["publications"]["edges"]
            assert len(edges) == first
            assert all(edge["node"]["footnotes"][1]["text"] == "Two." for edge in edges)
            assert all(edge["node"]["series"]["publicationCount"] == 50 for edge in edges)
            counts[first] = counter.count
        assert counts[1] == counts[100]
        # The page, its total, bodies, and one statement per relation and per count.
        assert counts[100] <= 12

    @pytest.mark.parametrize(
        "document",
        [
            "{ publications(orderBy: TITLE_ASC) { nodes { slug ...Relations } } }",
            "{ publications(orderBy: TITLE_ASC) { edges { node { slug ...Relations } } } }",
            """{ publications(orderBy: TITLE_ASC) { ...Page } }
            fragment Page on PublicationConnection { nodes { slug ... on Publication {
              authors { slug BYLINE } categories { slug TERM } } series { slug TERM } } }""",
            """{ publications(orderBy: TITLE_ASC) {
              bare: nodes { slug } nodes { slug ...Relations } } }""",
        ],
        ids=["nodes", "edges", "fragments", "aliases"],
    )
    @pytest.mark.parametrize(
        ("byline", "term", "statements"),
        [
            # What the page's own statement brings as JSON: nothing more to load.
            ("name jobTitle", "name", 1),
            # More than that: the page (with its total), and a statement per relation.
            ("bio", "description", 4),
        ],
        ids=["carried", "loaded"],
    )
    async def test_relations_of_a_page_are_loaded_once_however_the_document_asks(
        self,
        client: httpx.AsyncClient,
        content: Content,
        count_statements: CountStatements,
        document: str,
        byline: str,
        term: str,
        statements: int,
    ) -> None:
        """The relations a page's nodes ask for come with the page, or are loaded for the
        whole page before it is answered, wherever the document names them: one statement
        each, whatever the page."""
        juni, han = await content.author("Juni Kim"), await content.author("Han Park")
        korea = await content.category("Inter-Korean")
        peninsula = await content.series("The Peninsula")
        await content.publication("Alone", authors=[han])
        await content.publication("Both", authors=[juni, han], categories=[korea], series=peninsula)
        if "...Relations" in document:
            document += """ fragment Relations on Publication {
              authors { slug BYLINE } categories { slug TERM } series { slug TERM } }"""
        document = document.replace("BYLINE", byline).replace("TERM", term)
        with count_statements() as counter:
            page = (await data_of(client, document))["publications"]
        nodes = page["nodes"] if "nodes" in page else [edge["node"] for edge in page["edges"]]
        assert [
            (
                node["slug"],
                [author["slug"] for author in node["authors"]],
                [category["slug"] for category in node["categories"]],
                node["series"] and node["series"]["slug"],
            )
            for node in nodes
        ] == [
            ("alone", ["han-park"], [], None),
            ("both", ["juni-kim", "han-park"], ["inter-korean"], "the-peninsula"),
        ]
        assert len(counter.statements) == statements

    async def test_a_relation_under_include_answers_as_the_variable_says(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        """What a document asks is read once per document, directives aside: the same
        document with `@include` on and off answers each time as its variables say."""
        juni = await content.author("Juni Kim", bio="Program manager.")
        await content.publication("Both", authors=[juni])
        document = """query($bios: Boolean!) { publications { nodes { slug
            authors @include(if: $bios) { slug bio } } } }"""
        for bios in (True, False, True):
            [node] = (await data_of(client, document, {"bios": bios}))["publications"]["nodes"]
            expected: dict[str, object] = {"slug": "both"}
            if bios:
                expected["authors"] = [{"slug": "juni-kim", "bio": "Program manager."}]
            assert node == expected

    async def test_a_category_page_is_one_statement_and_answers_as_the_loaders_do(
        self, client: httpx.AsyncClient, content: Content, count_statements: CountStatements
    ) -> None:
        """The benchmark's category page: relations asked for no more than the page's own
        statement brings come with it, and the answer is the one the loaders give."""
        authors = [
            await content.author(f"Author {n}", job_title=f"Fellow {n}", bio="Bio.")
            for n in range(3)
        ]
        korea, china = await content.category("Inter-Korean"), await content.category("China")
        tags = [await content.tag(f"Tag {n}") for n in range(2)]
        peninsula = await content.series("The Peninsula", description="A series.")
        for n in range(30):
            await content.publication(
                f"P {n}",
                authors=authors[n % 3 :],
                categories=[korea, china][: n % 2 + 1],
                tags=tags[: n % 3],
                series=peninsula if n % 2 else None,
                subtitle=f"Subtitle {n}" if n % 4 else None,
            )
        await content.publication("Elsewhere", categories=[china])
        await content.publication("Draft", categories=[korea], status=PublicationStatus.DRAFT)

        def document(byline: str, term: str) -> str:
            brings = "id databaseId slug name __typename"
            return f"""query Page($first: Int) {{
              publications(first: $first, filter: {{category: ["inter-korean"]}}) {{
                totalCount pageCount
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                edges {{ cursor node {{
                  id databaseId slug title subtitle excerpt publishedAt updatedAt wordCount
                  authors {{ {brings} jobTitle {byline} }}
                  categories {{ {brings} {term} }}
                  tags {{ {brings} {term} }}
                  series {{ {brings} {term} }}
                }} }}
              }}
            }}"""

        def without(value: Any, names: set[str]) -> Any:
            if isinstance(value, dict):
                return {k: without(v, names) for k, v in value.items() if k not in names}
            if isinstance(value, list):
                return [without(item, names) for item in value]
            return value

        for first in (1, 20):
            with count_statements() as counter:
                carried = await data_of(client, document("", ""), {"first": first})
            assert counter.count == 1
            with count_statements() as counter:
                loaded = await data_of(client, document("bio", "description"), {"first": first})
            assert counter.count == 5  # the page, then a statement per relation
            assert carried == without(loaded, {"bio", "description"})
            page = carried["publications"]
            assert page["totalCount"] == 30
            assert len(page["edges"]) == first
            assert page["pageInfo"]["hasNextPage"] is True
        series = [edge["node"]["series"] for edge in page["edges"]]
        assert {"slug": "the-peninsula"}.items() <= (series[0] or series[1]).items()
        assert None in series

    async def test_a_page_carries_only_the_relations_asked_for(
        self, client: httpx.AsyncClient, content: Content, count_statements: CountStatements
    ) -> None:
        author, tag = await content.author("Juni Kim"), await content.tag("Peace")
        category = await content.category("Inter-Korean")
        await content.publication("Talks", authors=[author], categories=[category], tags=[tag])
        document = "{ publications(first: 5) { nodes { slug authors { slug } tags { slug } } } }"
        with count_statements() as counter:
            data = await data_of(client, document)
        (statement,) = counter.statements
        assert "authors_json" in statement
        assert "tags_json" in statement
        assert "categories_json" not in statement
        assert "series_json" not in statement
        node = {"slug": "talks", "authors": [{"slug": "juni-kim"}], "tags": [{"slug": "peace"}]}
        assert data == {"publications": {"nodes": [node]}}

    async def test_the_whole_publication(self, client: httpx.AsyncClient, content: Content) -> None:
        author = await content.author("Juni Kim", job_title="Program Manager", bio="Juni …")
        category = await content.category("Inter-Korean")
        series = await content.series("The Peninsula")
        await content.publication(
            "Can Mongolia Help?",
            body="Claim one.[^1]\n\n<script>alert(1)</script>",
            footnotes=["First source."],
            authors=[author],
            categories=[category],
            series=series,
            image_credit="Photo from Francisco Anzola's photostream on flickr",
            image_license="Creative Commons",
        )
        data = await data_of(
            client,
            """{ publication(slug: "can-mongolia-help") {
              title url bodyHtml bodyText wordCount readingTimeMinutes version
              authors { slug jobTitle bio } categories { name } series { name } tags { name }
              footnotes { number text } featuredImage { url credit license }
            } }""",
        )
        publication = data["publication"]
        assert publication["url"] == "https://example.org/publications/can-mongolia-help"
        assert 'href="#fn-1"' in publication["bodyHtml"]
        assert "<script" not in publication["bodyHtml"]
        assert publication["bodyText"].startswith("Claim one.")
        assert publication["readingTimeMinutes"] == 1
        assert publication["version"] == 1
        assert publication["authors"] == [
            {"slug": "juni-kim", "jobTitle": "Program Manager", "bio": "Juni …"}
        ]
        assert publication["series"] == {"name": "The Peninsula"}
        assert publication["tags"] == []
        assert publication["footnotes"] == [{"number": 1, "text": "First source."}]
        assert publication["featuredImage"] == {
            "url": None,
            "credit": "Photo from Francisco Anzola's photostream on flickr",
            "license": "Creative Commons",
        }

    async def test_one_publication_is_one_statement_and_answers_as_the_loaders_do(
        self,
        client: httpx.AsyncClient,
        content: Content,
        session: AsyncSession,
        count_statements: CountStatements,
    ) -> None:
        """The article page: its relations come with the publication's own statement, as
        REST's do, bios and footnotes (with their citations) included."""
        author = await content.author("Juni Kim", job_title="Program Manager", bio="Juni …")
        category = await content.category("Inter-Korean")
        series = await content.series("The Peninsula")
        publication = await content.publication(
            "Can Mongolia Help?",
            body="One.[^1] Two.[^2]",
            footnotes=["First source.", "Ulaanbaatar Dialogue."],
            authors=[author],
            categories=[category],
            series=series,
        )
        footnote = (
            await session.execute(
                select(Footnote).filter_by(publication_id=publication.id, number=2)
            )
        ).scalar_one()
        footnote.url = "https://example.org/dialogue"
        footnote.citation = {"author": "Mashbat", "title": "Dialogue", "page": 47, "issued": "2015"}
        await session.commit()
        notes = "footnotes { number text url citation { author title page issued } }"

        def document(extra: str) -> str:
            return f"""{{ publication(slug: "can-mongolia-help") {{ title bodyHtml
              authors {{ slug name jobTitle bio {extra} }} categories {{ slug name {extra} }}
              series {{ slug name {extra} }} {notes} }} }}"""

        with count_statements() as counter:
            carried = (await data_of(client, document("")))["publication"]
        assert counter.count == 1
        with count_statements() as counter:
            loaded = (await data_of(client, document("publicationCount")))["publication"]
        assert counter.count > 1
        for relation in ("authors", "categories"):
            for entry in loaded[relation]:
                assert entry.pop("publicationCount") == 1
        assert loaded["series"].pop("publicationCount") == 1
        assert carried == loaded
        # Footnotes as their own loader gives them (a page's nodes never carry them).
        page = await data_of(client, f"{{ publications {{ nodes {{ {notes} }} }} }}")
        assert carried["footnotes"] == page["publications"]["nodes"][0]["footnotes"]
        assert carried["footnotes"][1]["citation"] == {
            "author": "Mashbat", "title": "Dialogue", "page": "47", "issued": "2015"
        }  # fmt: skip
        assert carried["authors"][0]["bio"] == "Juni …"


class TestLookup:
    async def test_an_old_slug_gives_the_publication_with_its_current_slug(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        await content.publication("Renamed", slug="new-name", previous_slugs=["old-name"])
        data = await data_of(client, '{ publication(slug: "old-name") { slug title } }')
        assert data["publication"] == {"slug": "new-name", "title": "Renamed"}

    async def test_by_database_id_and_global_id(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        publication = await content.publication("First")
        by_database = await data_of(
            client, f'{{ publication(databaseId: "{publication.id}") {{ id slug }} }}'
        )
        global_id = by_database["publication"]["id"]
        by_global = await data_of(client, f'{{ publication(id: "{global_id}") {{ id slug }} }}')
        assert by_global == by_database

    @pytest.mark.parametrize(
        "reference", ["draft", "draft-old", "scheduled", "archived", "missing"]
    )
    async def test_what_is_not_visible_is_not_found(
        self, client: httpx.AsyncClient, content: Content, reference: str
    ) -> None:
        await content.publication(
            "Draft", status=PublicationStatus.DRAFT, previous_slugs=["draft-old"]
        )
        await content.publication(
            "Scheduled",
            status=PublicationStatus.SCHEDULED,
            published_at=datetime(2100, 1, 1, tzinfo=UTC),
        )
        await content.publication("Archived", status=PublicationStatus.ARCHIVED)
        body = await execute(client, f'{{ publication(slug: "{reference}") {{ id }} }}')
        assert body["data"] == {"publication": None}
        assert error_codes(body) == ["NOT_FOUND"]
        assert body["errors"][0]["path"] == ["publication"]

    @pytest.mark.parametrize(
        "arguments",
        ["", 'slug: "a", databaseId: "1"', 'id: "not-an-id"', 'id: "QXV0aG9yOjE="'],
    )
    async def test_arguments_that_cannot_name_one_publication(
        self, client: httpx.AsyncClient, arguments: str
    ) -> None:
        selection = f"({arguments})" if arguments else ""
        body = await execute(client, f"{{ publication{selection} {{ id }} }}")
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] in {"slug", "databaseId", "id"}


class TestPaging:
    @pytest.fixture
    async def seven(self, content: Content) -> list[str]:
        """Seven publications with the same moment and title: only ids can order them."""
        same = datetime(2024, 1, 1, tzinfo=UTC)
        for n in range(7):
            await content.publication("Same", slug=f"same-{n}", published_at=same)
        return [f"same-{n}" for n in range(7)]

    @pytest.mark.parametrize("order", ["PUBLISHED_AT_DESC", "PUBLISHED_AT_ASC", "TITLE_ASC"])
    async def test_cursors_walk_every_publication_once_both_ways(
        self, client: httpx.AsyncClient, seven: list[str], order: str
    ) -> None:
        query = """query Walk($first: Int, $after: String, $last: Int, $before: String,
                              $order: PublicationOrder) {
          publications(first: $first, after: $after, last: $last, before: $before,
                        orderBy: $order) {
            totalCount pageCount edges { cursor node { slug } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          } }"""
        forwards: list[str] = []
        variables: dict[str, Any] = {"first": 3, "order": order}
        while True:
            page = (await data_of(client, query, variables))["publications"]
            assert page["totalCount"] == 7
            assert page["pageCount"] == 3
            forwards += [edge["node"]["slug"] for edge in page["edges"]]
            assert page["pageInfo"]["hasPreviousPage"] is (len(forwards) > 3)
            if not page["pageInfo"]["hasNextPage"]:
                break
            variables["after"] = page["pageInfo"]["endCursor"]
        backwards: list[str] = []
        variables = {"last": 3, "order": order}
        while True:
            page = (await data_of(client, query, variables))["publications"]
            backwards = [edge["node"]["slug"] for edge in page["edges"]] + backwards
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            variables["before"] = page["pageInfo"]["startCursor"]
        assert sorted(forwards) == seven
        assert backwards == forwards

    async def test_page_numbers(self, client: httpx.AsyncClient, seven: list[str]) -> None:
        query = "query($page: Int) { publications(first: 3, page: $page, orderBy: PUBLISHED_AT_ASC)"
        query += " { pageCount nodes { slug } pageInfo { hasNextPage hasPreviousPage } } }"
        pages = [(await data_of(client, query, {"page": n}))["publications"] for n in (1, 2, 3, 4)]
        assert [p["pageCount"] for p in pages] == [3, 3, 3, 3]
        assert [node["slug"] for p in pages for node in p["nodes"]] == seven
        assert pages[2]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
        assert pages[3]["nodes"] == []

    async def test_first_and_last_together_take_the_end_of_the_first(
        self, client: httpx.AsyncClient, seven: list[str]
    ) -> None:
        assert await slugs(client, "first: 5, last: 2, orderBy: PUBLISHED_AT_ASC") == seven[3:5]

    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ("first: -1", "first"),
            ("last: 101", "last"),
            ("first: 101", "first"),
            ('after: "bm9wZQ=="', "after"),
            ('before: "%%%"', "before"),
            ("page: 0", "page"),
            ('page: 2, after: "bzE6MA=="', "page"),
            ("page: 2, last: 3", "page"),
            ('filter: {category: ["Not A Slug"]}', "filter.category"),
            ("filter: {year: 0}", "filter.year"),
        ],
    )
    async def test_bad_arguments_are_bad_user_input_naming_the_argument(
        self, client: httpx.AsyncClient, arguments: str, field: str
    ) -> None:
        body = await execute(client, f"{{ publications({arguments}) {{ totalCount }} }}")
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == field


class TestFilters:
    async def test_slugs_dates_and_search_combine(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        a, b = await content.author("Ann Lee"), await content.author("Bo Park")
        trade, security = await content.category("Trade"), await content.category("Security")
        peninsula = await content.series("The Peninsula")
        nuclear = await content.tag("Nuclear")
        await content.publication(
            "One sanctions", authors=[a], categories=[trade], tags=[nuclear],
            published_at=datetime(2017, 6, 14, 23, 59, tzinfo=UTC),
        )  # fmt: skip
        await content.publication(
            "Two", authors=[b], categories=[security], series=peninsula,
            published_at=datetime(2018, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        await content.publication(
            "Three", authors=[a, b], categories=[trade, security], body="On sanctions.",
            published_at=datetime(2017, 6, 13, tzinfo=UTC),
        )  # fmt: skip

        assert await slugs(client, 'filter: {category: "trade"}') == ["one-sanctions", "three"]
        either = 'filter: {category: ["trade", "security"]}, orderBy: TITLE_ASC'
        assert await slugs(client, either) == ["one-sanctions", "three", "two"]
        assert await slugs(client, 'filter: {category: "trade", author: "bo-park"}') == ["three"]
        assert await slugs(client, 'filter: {series: "the-peninsula"}') == ["two"]
        assert await slugs(client, 'filter: {tag: "nuclear"}') == ["one-sanctions"]
        assert await slugs(client, "filter: {year: 2018}") == ["two"]
        assert await slugs(
            client, 'filter: {publishedAfter: "2017-06-14", publishedBefore: "2017-06-14"}'
        ) == ["one-sanctions"]
        assert await slugs(client, 'filter: {publishedBefore: "2017-06-13T00:00:00Z"}') == ["three"]
        assert await slugs(client, 'filter: {search: "sanction"}') == ["one-sanctions", "three"]
        assert await slugs(client, 'filter: {search: "sanctions"}, orderBy: PUBLISHED_AT_ASC') == [
            "three", "one-sanctions",
        ]  # fmt: skip
        assert await slugs(client, 'filter: {author: "nobody"}') == []

    async def test_an_entrys_publications_and_count(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        author = await content.author("Ann Lee")
        for n in range(3):
            await content.publication(f"Mine {n}", authors=[author])
        await content.publication("Hidden", authors=[author], status=PublicationStatus.DRAFT)
        await content.publication("Other")
        data = await data_of(
            client,
            """{ author(slug: "ann-lee") { publicationCount
                 publications(first: 2, orderBy: TITLE_ASC) {
                   totalCount pageCount nodes { slug } } } }""",
        )
        assert data["author"] == {
            "publicationCount": 3,
            "publications": {
                "totalCount": 3, "pageCount": 2, "nodes": [{"slug": "mine-0"}, {"slug": "mine-1"}],
            },
        }  # fmt: skip


class TestSearch:
    async def test_hits_highlights_and_facets(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        trade = await content.category("Trade")
        ann = await content.author("Ann Lee")
        await content.publication(
            "Sanctions and trade", categories=[trade], authors=[ann],
            published_at=datetime(2017, 6, 14, tzinfo=UTC),
        )  # fmt: skip
        await content.publication(
            "Other things", body="A paragraph about sanctions policy.",
            published_at=datetime(2018, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        await content.publication("Secret sanctions", status=PublicationStatus.DRAFT)
        data = await data_of(
            client,
            """{ search(query: "sanctions", first: 1) {
                 totalCount pageCount
                 facets { categories { slug name count } authors { slug count }
                          years { year count } }
                 edges { cursor node { highlight titleHighlight publication { slug } } }
                 pageInfo { hasNextPage } } }""",
        )
        search = data["search"]
        assert search["totalCount"] == 2
        assert search["pageCount"] == 2
        assert search["pageInfo"] == {"hasNextPage": True}
        [hit] = [edge["node"] for edge in search["edges"]]
        assert hit["publication"] == {"slug": "sanctions-and-trade"}
        assert "<mark>" in hit["titleHighlight"]
        assert search["facets"]["categories"] == [{"slug": "trade", "name": "Trade", "count": 1}]
        assert search["facets"]["authors"] == [{"slug": "ann-lee", "count": 1}]
        assert search["facets"]["years"] == [{"year": 2018, "count": 1}, {"year": 2017, "count": 1}]
        rest = (await client.get("/api/v1/search?q=sanctions")).json()["meta"]
        assert rest["total"] == search["totalCount"]

    async def test_facet_limit_keeps_the_most_frequent_values(
        self, client: httpx.AsyncClient, content: Content
    ) -> None:
        lee, kim = await content.author("Ann Lee"), await content.author("Juni Kim")
        await content.publication("Ports one", authors=[kim])
        await content.publication("Ports two", authors=[kim, lee])
        data = await data_of(
            client,
            """{ all: search(query: "ports") { facets { authors { slug count } } }
                 top: search(query: "ports", facetLimit: 1) {
                   totalCount facets { authors { slug count } } } }""",
        )
        assert data["all"]["facets"]["authors"] == [
            {"slug": "juni-kim", "count": 2}, {"slug": "ann-lee", "count": 1}
        ]  # fmt: skip
        assert data["top"] == {
            "totalCount": 2,
            "facets": {"authors": [{"slug": "juni-kim", "count": 2}]},
        }

    @pytest.mark.parametrize("value", [0, 1001])
    async def test_a_facet_limit_out_of_range_is_refused(
        self, client: httpx.AsyncClient, value: int
    ) -> None:
        response = await client.post(
            "/graphql",
            json={"query": f'{{ search(query: "ports", facetLimit: {value}) {{ totalCount }} }}'},
        )
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "facetLimit" in error["message"]
