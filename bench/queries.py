"""The benchmark's queries (issue 8): each as Colophon answers it and as the baselines do.

Q1  the 20 newest publications in a category, with authors and categories (and the total)
Q2  one publication by slug with body, authors, categories, series and footnotes
Q3  a full-text search, top 20 with the total (and, as separate rows, with facets)
Q4  Q1 as a persisted GraphQL query over GET
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import orjson

from bench.wrk import HttpRequest

PAGE_SIZE = 20

CATEGORY_PAGE = """query CategoryPage($category: [String!], $first: Int) {
  publications(first: $first, filter: {category: $category}) {
    totalCount
    nodes {
      databaseId slug title subtitle excerpt publishedAt updatedAt wordCount
      authors { databaseId slug name jobTitle }
      categories { databaseId slug name }
    }
  }
}"""

PUBLICATION = """query Publication($slug: String!) {
  publication(slug: $slug) {
    databaseId slug title subtitle excerpt publishedAt updatedAt wordCount bodyHtml
    authors { databaseId slug name jobTitle bio }
    categories { databaseId slug name }
    series { databaseId slug name }
    footnotes { number text url }
  }
}"""


@dataclass(frozen=True)
class Targets:
    """What the queries ask for, picked from the imported data."""

    category: str  # the category with the most publications
    publication: str  # the seed article's slug
    selective: str  # a word few publications contain
    broad: str  # a word in a third of them or more
    page_bytes: int  # the size of REST's answer to Q1, for a fixed body as large
    # The headers of REST's answer to Q1 (but those the server adds), for a fixed answer
    # that sends as many: the ceiling of a cache hit that must carry them.
    page_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Query:
    """One row of the table: a request, built for a page size where the answer is a page."""

    key: str  # Q1 … Q4, the names
    label: str
    build: Callable[[int], HttpRequest]
    baseline: str  # the SQL baseline's row this one is compared with when cold
    paged: bool = True
    # Sent once to each server before the query runs (registers a persisted query).
    setup: HttpRequest | None = None

    def request(self, page_size: int = PAGE_SIZE) -> HttpRequest:
        return self.build(page_size)


def colophon_queries(targets: Targets, headers: dict[str, str]) -> list[Query]:
    def get(path: str) -> HttpRequest:
        return HttpRequest(path, headers=headers)

    def graphql(document: str, variables: dict[str, object]) -> HttpRequest:
        body = orjson.dumps({"query": document, "variables": variables})
        return HttpRequest(
            "/graphql", "POST", body, {**headers, "Content-Type": "application/json"}
        )

    def search(kind: str, word: str, facets: bool) -> Query:
        path = "/api/v1/search" if facets else "/api/v1/publications"
        label = f"REST search `{word}` ({kind}), total" + (" and facets" if facets else "")
        return Query(
            "Q3", label, lambda n: get(f"{path}?q={quote(word)}&per_page={n}"), f"Q3 {kind}"
        )

    category, slug = targets.category, targets.publication
    persisted = _persisted(CATEGORY_PAGE, headers)
    return [
        Query(
            "Q1",
            "REST category page",
            lambda n: get(f"/api/v1/publications?category={category}&per_page={n}"),
            "Q1",
        ),
        Query(
            "Q1",
            "GraphQL category page (POST)",
            lambda n: graphql(CATEGORY_PAGE, {"category": [category], "first": n}),
            "Q1",
        ),
        Query("Q2", "REST publication", lambda n: get(f"/api/v1/publications/{slug}"), "Q2", False),
        Query(
            "Q2",
            "GraphQL publication (POST)",
            lambda n: graphql(PUBLICATION, {"slug": slug}),
            "Q2",
            False,
        ),
        *(
            search(kind, word, facets)
            for facets in (False, True)
            for kind, word in (("selective", targets.selective), ("broad", targets.broad))
        ),
        Query(
            "Q4",
            "GraphQL category page, persisted (GET)",
            lambda n: persisted.get({"category": [category], "first": n}),
            "Q1",
            setup=persisted.register({"category": [category], "first": 1}),
        ),
    ]


def baseline_queries(targets: Targets) -> list[Query]:
    """The SQL baseline's rows; `baseline` names the Colophon rows each one is compared with."""

    def get(path: str) -> HttpRequest:
        return HttpRequest(path)

    category, slug = targets.category, targets.publication
    selective, broad = targets.selective, targets.broad
    return [
        Query("Q1", "Q1", lambda n: get(f"/q1?category={category}&limit={n}"), "Q1"),
        Query("Q2", "Q2", lambda n: get(f"/q2?slug={slug}"), "Q2", False),
        Query(
            "Q3",
            f"Q3 `{selective}`",
            lambda n: get(f"/q3?q={quote(selective)}&limit={n}"),
            "Q3 selective",
        ),
        Query("Q3", f"Q3 `{broad}`", lambda n: get(f"/q3?q={quote(broad)}&limit={n}"), "Q3 broad"),
    ]


@dataclass(frozen=True)
class _persisted:  # noqa: N801 -- a small builder, read as a phrase: persisted.get(...)
    document: str
    headers: dict[str, str]

    @property
    def extensions(self) -> dict[str, object]:
        digest = hashlib.sha256(self.document.encode()).hexdigest()
        return {"persistedQuery": {"version": 1, "sha256Hash": digest}}

    def register(self, variables: dict[str, object]) -> HttpRequest:
        """Automatic persisted queries: the document and its hash, sent once by POST."""
        body = {"query": self.document, "variables": variables, "extensions": self.extensions}
        headers = {**self.headers, "Content-Type": "application/json"}
        return HttpRequest("/graphql", "POST", orjson.dumps(body), headers)

    def get(self, variables: dict[str, object]) -> HttpRequest:
        query = urlencode(
            {
                "variables": orjson.dumps(variables).decode(),
                "extensions": orjson.dumps(self.extensions).decode(),
            }
        )
        return HttpRequest(f"/graphql?{query}", headers=self.headers)
