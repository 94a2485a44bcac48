"""Keyset cursors on `publications`: walks meet every publication once while the list
changes, old offset cursors keep working, foreign cursors are refused, and a deep page costs
what the first one does."""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import CountStatements
from tests.content import Content
from tests.graphql.conftest import data_of, error_codes, execute

WALK = """query Walk($first: Int, $after: String, $last: Int, $before: String,
                    $order: PublicationOrder) {
  publications(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
DAY = datetime(2024, 1, 1, tzinfo=UTC)


async def page(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await data_of(client, WALK, variables))["publications"]
    return found


def slugs_of(found: dict[str, Any]) -> list[str]:
    return [edge["node"]["slug"] for edge in found["edges"]]


@pytest.fixture
async def ten(content: Content) -> list[str]:
    """Ten publications in pairs that share their moment and their title."""
    for n in range(10):
        await content.publication(
            f"Title {n // 2}", slug=f"p-{n}", published_at=DAY + timedelta(days=n // 2)
        )
    return [f"p-{n}" for n in range(10)]


@pytest.mark.parametrize("order", ["PUBLISHED_AT_DESC", "PUBLISHED_AT_ASC", "TITLE_ASC"])
async def test_a_walk_is_not_shifted_by_new_publications(
    client: httpx.AsyncClient, content: Content, ten: list[str], order: str
) -> None:
    seen: list[str] = []
    found = await page(client, first=3, order=order)
    for n in range(10):
        seen += slugs_of(found)
        # Something is published mid-walk, at the very front and the very end of the list.
        await content.publication(f"A front {n}", published_at=DAY + timedelta(days=100))
        await content.publication(f"Z end {n}", published_at=DAY - timedelta(days=100))
        if not found["pageInfo"]["hasNextPage"]:
            break
        found = await page(client, first=3, after=found["pageInfo"]["endCursor"], order=order)
    walked = [slug for slug in seen if slug in ten]
    assert sorted(walked) == ten
    assert len(walked) == len(set(walked))


async def test_backwards_with_last_and_before(client: httpx.AsyncClient, ten: list[str]) -> None:
    forwards = slugs_of(await page(client, first=10))
    backwards: list[str] = []
    found = await page(client, last=4)
    assert found["pageInfo"]["hasNextPage"] is False
    while True:
        backwards = slugs_of(found) + backwards
        if not found["pageInfo"]["hasPreviousPage"]:
            break
        assert found["pageInfo"]["hasNextPage"] is (len(backwards) > 4)
        found = await page(client, last=4, before=found["pageInfo"]["startCursor"])
    assert backwards == forwards


async def test_offset_cursors_given_out_before_keysets_still_work(
    client: httpx.AsyncClient, ten: list[str]
) -> None:
    everything = slugs_of(await page(client, first=10))
    offset_cursor = base64.urlsafe_b64encode(b"o1:3").decode()
    found = await page(client, first=2, after=offset_cursor)
    assert slugs_of(found) == everything[4:6]
    # Its own cursors are keys, which go on from there.
    onwards = await page(client, first=2, after=found["pageInfo"]["endCursor"])
    assert slugs_of(onwards) == everything[6:8]


async def test_page_numbers_give_cursors_that_continue(
    client: httpx.AsyncClient, ten: list[str]
) -> None:
    everything = slugs_of(await page(client, first=10))
    numbered = await data_of(
        client, "{ publications(first: 3, page: 2) { pageInfo { endCursor } nodes { slug } } }"
    )
    assert [n["slug"] for n in numbered["publications"]["nodes"]] == everything[3:6]
    cursor = numbered["publications"]["pageInfo"]["endCursor"]
    assert slugs_of(await page(client, first=3, after=cursor)) == everything[6:9]


async def test_a_cursor_of_another_order_is_bad_user_input(
    client: httpx.AsyncClient, ten: list[str]
) -> None:
    by_title = await page(client, first=2, order="TITLE_ASC")
    cursor = by_title["pageInfo"]["endCursor"]
    for order in ("PUBLISHED_AT_DESC", "RELEVANCE"):
        body = await execute(client, WALK, {"first": 2, "after": cursor, "order": order})
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "after"


async def test_deep_pages_and_the_end_cost_what_the_first_does(
    client: httpx.AsyncClient, content: Content, count_statements: CountStatements
) -> None:
    for n in range(30):
        await content.publication(f"P {n}")
    middle = (await page(client, first=10))["pageInfo"]["endCursor"]
    counts = []
    for variables in ({"first": 1}, {"first": 20, "after": middle}, {"last": 20}):
        with count_statements() as counter:
            found = await page(client, **variables)
        assert found["edges"]
        counts.append(counter.count)
    # The first page carries its total (one statement); any other: the page, then the total
    # with the page's position.
    assert counts == [1, 2, 2]
