"""GraphQL tests build the content they need inside the test's transaction (as REST's do),
or read the shared read-only site."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from tests.content import Content

# REST's fixture: an Authorization header per role (admin, editor, author, and another
# author), the same users for both doors.
from tests.rest.conftest import tokens  # noqa: F401

Headers = dict[str, dict[str, str]]

ENDPOINT = "/graphql"


@pytest.fixture
def content(session: AsyncSession) -> Content:
    return Content(session)


@pytest.fixture
async def taxonomy(content: Content) -> None:
    """The seed article's author, category and series, which editors' inputs name."""
    await content.author("Juni Kim")
    await content.category("Inter-Korean")
    await content.series("The Peninsula")


async def execute(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """POST a query (with `headers`, e.g. a token); the answer's JSON, which must be 200."""
    response = await client.post(
        ENDPOINT, json={"query": query, "variables": variables, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data_of(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The `data` of a query that must succeed."""
    body = await execute(client, query, variables, headers=headers)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture
def app_with(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> Callable[..., Starlette]:
    """An app on the test's transaction, with some settings changed."""

    def build(**overrides: Any) -> Starlette:
        values = {**settings.model_dump(), **overrides}
        return create_app(Settings(**values), sessionmaker=sessionmaker)

    return build
