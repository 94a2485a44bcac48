"""Nothing unpublished reaches a GraphQL answer, counts included: they equal REST's."""

from typing import Any

import httpx
import pytest

from tests.conftest import PRIVATE_MARKER
from tests.graphql.conftest import data_of, execute

SEED = "can-mongolia-help-resolve-tensions-on-the-korean-peninsula"
EVERY_FIELD = """
  id databaseId slug title subtitle excerpt url bodyHtml bodyText wordCount version
  authors { slug publicationCount } categories { slug publicationCount }
  series { slug publicationCount } tags { slug publicationCount }
  footnotes { text citation { title } } featuredImage { url credit }
  citation(format: RIS)
"""


async def test_lists_searches_and_counts_show_visible_work_only(
    site_client: httpx.AsyncClient,
) -> None:
    stats = (await site_client.get("/api/v1/stats")).json()["data"]
    data = await data_of(
        site_client,
        f"""{{
          stats {{ publications authors categories series tags }}
          all: publications(first: 100) {{ totalCount edges {{ node {{ {EVERY_FIELD} }} }} }}
          mongolia: publications(first: 100, filter: {{search: "Mongolia"}}) {{
            totalCount nodes {{ slug }} }}
          hits: search(query: "Mongolia peninsula", first: 100) {{
            totalCount facets {{ categories {{ slug count }} authors {{ slug count }}
                                series {{ slug count }} years {{ year count }} }}
            nodes {{ highlight titleHighlight publication {{ slug title excerpt }} }} }}
          author(slug: "juni-kim") {{ publicationCount publications {{ totalCount }} }}
          category(slug: "inter-korean") {{ publicationCount publications {{ totalCount }} }}
          series(slug: "the-peninsula") {{ publicationCount publications {{ totalCount }} }}
        }}""",
    )
    answer = str(data)
    assert PRIVATE_MARKER not in answer
    assert data["stats"] == stats
    assert data["all"]["totalCount"] == stats["publications"] == len(data["all"]["edges"])
    rest_search = (await site_client.get("/api/v1/publications?q=Mongolia")).json()["meta"]
    assert data["mongolia"]["totalCount"] == rest_search["total"]
    rest_hits = (await site_client.get("/api/v1/search?q=Mongolia%20peninsula")).json()["meta"]
    assert data["hits"]["totalCount"] == rest_hits["total"] > 0
    for kind, plural in (("author", "authors"), ("category", "categories"), ("series", "series")):
        slug = {"author": "juni-kim", "category": "inter-korean", "series": "the-peninsula"}[kind]
        rest = (await site_client.get(f"/api/v1/{plural}/{slug}")).json()["data"]
        assert data[kind]["publicationCount"] == rest["publication_count"]
        assert data[kind]["publications"]["totalCount"] == rest["publication_count"]


async def test_directory_counts_equal_rest(site_client: httpx.AsyncClient) -> None:
    for field, plural in (
        ("authors", "authors"), ("categories", "categories"),
        ("seriesList", "series"), ("tags", "tags"),
    ):  # fmt: skip
        data = await data_of(
            site_client,
            f"{{ {field}(first: 100) {{ totalCount nodes {{ slug publicationCount }} }} }}",
        )
        rest = (await site_client.get(f"/api/v1/{plural}?per_page=100")).json()
        assert data[field]["totalCount"] == rest["meta"]["total"]
        assert {n["slug"]: n["publicationCount"] for n in data[field]["nodes"]} == {
            e["slug"]: e["publication_count"] for e in rest["data"]
        }


@pytest.mark.parametrize(
    "arguments",
    [f'slug: "{PRIVATE_MARKER}-draft"', f'slug: "{PRIVATE_MARKER}-scheduled"',
     f'slug: "{PRIVATE_MARKER}-old-draft"', f'slug: "{PRIVATE_MARKER}-old-scheduled"'],
)  # fmt: skip
async def test_unpublished_work_is_not_found(
    site_client: httpx.AsyncClient, arguments: str
) -> None:
    body = await execute(site_client, f"{{ publication({arguments}) {{ {EVERY_FIELD} }} }}")
    assert body["data"] == {"publication": None}
    assert PRIVATE_MARKER not in str(_without_arguments(body))


async def test_unpublished_work_by_id_is_not_found(site_client: httpx.AsyncClient) -> None:
    seed = await data_of(site_client, f'{{ publication(slug: "{SEED}") {{ databaseId }} }}')
    newest = int(seed["publication"]["databaseId"])
    # The draft and the scheduled publication were added after the seed.
    for database_id in (newest + 1, newest + 2):
        body = await execute(
            site_client, f'{{ publication(databaseId: "{database_id}") {{ {EVERY_FIELD} }} }}'
        )
        assert body["data"] == {"publication": None}
        assert PRIVATE_MARKER not in str(body)


def _without_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """The answer less the messages that echo the slug the test asked for."""
    return {"data": body["data"], "codes": [e["extensions"] for e in body.get("errors", [])]}


EDITOR_FIELDS = "slug status bodyMarkdown editorialNotes revisions { number createdBy }"


async def test_editor_fields_never_reach_anonymous_clients(site_client: httpx.AsyncClient) -> None:
    """Asked for by an anonymous client, on every publication, by every road to one, the
    editors' fields are null with UNAUTHENTICATED: nothing of them is in the answer."""
    body = await execute(
        site_client,
        f"""{{
          publications(first: 100) {{ nodes {{ {EDITOR_FIELDS} }} }}
          publication(slug: "{SEED}") {{ {EDITOR_FIELDS} }}
          search(query: "Mongolia", first: 100) {{ nodes {{ publication {{ {EDITOR_FIELDS} }} }} }}
          author(slug: "juni-kim") {{ publications(first: 100) {{ nodes {{ {EDITOR_FIELDS} }} }} }}
        }}""",
    )
    assert PRIVATE_MARKER not in str(body)
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}
    nodes = [
        *body["data"]["publications"]["nodes"],
        body["data"]["publication"],
        *(hit["publication"] for hit in body["data"]["search"]["nodes"]),
        *body["data"]["author"]["publications"]["nodes"],
    ]
    assert len(nodes) > 40
    for node in nodes:
        assert {key: value for key, value in node.items() if key != "slug"} == {
            "status": None, "bodyMarkdown": None, "editorialNotes": None, "revisions": None,
        }  # fmt: skip


async def test_status_filters_show_nothing_unpublished_to_anonymous_clients(
    site_client: httpx.AsyncClient,
) -> None:
    body = await execute(
        site_client,
        f"""{{ publications(filter: {{status: ANY}}) {{ nodes {{ {EVERY_FIELD} }} }}
              search(query: "{PRIVATE_MARKER}", filter: {{status: DRAFT}}) {{ totalCount }} }}""",
    )
    assert body["data"] is None
    assert PRIVATE_MARKER not in str(_without_arguments(body))
