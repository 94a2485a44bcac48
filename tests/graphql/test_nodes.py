"""Relay global ids: `node(id)` gives back every type, and `databaseId` is REST's id."""

import httpx
import pytest

from tests.content import Content
from tests.graphql.conftest import data_of, error_codes, execute

LOOKUPS = {
    "Publication": 'publication(slug: "first")',
    "Author": 'author(slug: "ann-lee")',
    "Category": 'category(slug: "trade")',
    "Series": 'series(slug: "the-peninsula")',
    "Tag": 'tag(slug: "nuclear")',
}


@pytest.fixture
async def site(content: Content) -> Content:
    await content.publication(
        "First",
        authors=[await content.author("Ann Lee")],
        categories=[await content.category("Trade")],
        series=await content.series("The Peninsula"),
        tags=[await content.tag("Nuclear")],
    )
    return content


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("type_name", list(LOOKUPS))
async def test_node_gives_back_every_type(client: httpx.AsyncClient, type_name: str) -> None:
    found = (await data_of(client, f"{{ found: {LOOKUPS[type_name]} {{ id databaseId slug }} }}"))[
        "found"
    ]
    fragment = f"... on {type_name} {{ databaseId slug }}"
    node = await data_of(client, f'{{ node(id: "{found["id"]}") {{ __typename id {fragment} }} }}')
    assert node["node"] == {"__typename": type_name, **found}
    rest = (await client.get(f"/api/v1/{_path(type_name)}/{found['slug']}")).json()["data"]
    assert rest["id"] == found["databaseId"]


def _path(type_name: str) -> str:
    return {"Category": "categories", "Series": "series"}.get(type_name, type_name.lower() + "s")


@pytest.mark.usefixtures("site")
async def test_by_database_id_and_by_global_id_agree(client: httpx.AsyncClient) -> None:
    author = (await data_of(client, '{ author(slug: "ann-lee") { id databaseId name } }'))["author"]
    by_database = await data_of(
        client, f'{{ author(databaseId: "{author["databaseId"]}") {{ id databaseId name }} }}'
    )
    by_global = await data_of(
        client, f'{{ author(id: "{author["id"]}") {{ id databaseId name }} }}'
    )
    assert by_database["author"] == by_global["author"] == author


@pytest.mark.parametrize(
    ("global_id", "code"),
    [
        ("not base64 at all", "BAD_USER_INPUT"),
        ("VXNlcjox", "BAD_USER_INPUT"),  # User:1: not a node type
        ("UHVibGljYXRpb246OTk5OTk5", "NOT_FOUND"),  # Publication:999999
        ("UHVibGljYXRpb246YWJj", "NOT_FOUND"),  # Publication:abc
    ],
)
async def test_ids_that_name_nothing(client: httpx.AsyncClient, global_id: str, code: str) -> None:
    body = await execute(client, f'{{ node(id: "{global_id}") {{ id }} }}')
    assert body["data"] == {"node": None}
    assert error_codes(body) == [code]


@pytest.mark.usefixtures("site")
async def test_an_id_of_another_type_is_refused(client: httpx.AsyncClient) -> None:
    author = (await data_of(client, '{ author(slug: "ann-lee") { id } }'))["author"]
    body = await execute(client, f'{{ tag(id: "{author["id"]}") {{ id }} }}')
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "id"
