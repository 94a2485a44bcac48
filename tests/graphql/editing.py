"""What the editor API's tests share: the seed article as a mutation input, and helpers that
write through GraphQL as a given role."""

from typing import Any

import httpx

from tests.graphql.conftest import data_of, execute

SEED_INPUT: dict[str, Any] = {
    "title": "Can Mongolia Help Resolve Tensions on the Korean Peninsula?",
    "bodyMarkdown": "Mongolia has ports in mind.[^1] And a dialogue.[^2]",
    "footnotes": [
        {"number": 1, "text": "Alicia Campi, *Mongolia and the Dilemmas*, 2016."},
        {"number": 2, "text": "Ulaanbaatar Dialogue … Pg. 47. 2015.",
         "citation": {"title": "Ulaanbaatar Dialogue", "page": "47", "issued": "2015"}},
    ],
    "authors": ["juni-kim"],
    "categories": ["inter-korean"],
    "series": "the-peninsula",
    "featuredImage": {
        "url": "https://images.example.org/mongolia.jpg",
        "credit": "Photo from Francisco Anzola's photostream on flickr",
        "license": "Creative Commons",
    },
    "editorialNotes": "[TS1] [TS2] check the second source",
}  # fmt: skip

EDITOR_VIEW = """
  id databaseId slug title subtitle version status publishedAt bodyMarkdown editorialNotes
  bodyHtml footnotes { number text citation { title page issued } }
  authors { slug } categories { slug } series { slug } featuredImage { url credit license }
"""
CREATE = f"""mutation Create($input: CreatePublicationInput!) {{
  createPublication(input: $input) {{ {EDITOR_VIEW} }}
}}"""
UPDATE = f"""mutation Update($id: ID!, $version: Int!, $input: UpdatePublicationInput!) {{
  updatePublication(id: $id, expectedVersion: $version, input: $input) {{ {EDITOR_VIEW} }}
}}"""
READ = f"""query Read($id: ID!) {{ publication(id: $id) {{ {EDITOR_VIEW} }} }}"""


async def create(
    client: httpx.AsyncClient, headers: dict[str, str] | None, **fields: Any
) -> dict[str, Any]:
    """The answer to createPublication with the seed's fields, and `fields` over them."""
    return await execute(client, CREATE, {"input": {**SEED_INPUT, **fields}}, headers=headers)


async def created(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """A publication that must have been created: its editor's view."""
    data = await data_of(client, CREATE, {"input": {**SEED_INPUT, **fields}}, headers=headers)
    publication: dict[str, Any] = data["createPublication"]
    return publication


async def read(client: httpx.AsyncClient, headers: dict[str, str], id: str) -> dict[str, Any]:
    """A publication as an editor sees it."""
    publication: dict[str, Any] = (await data_of(client, READ, {"id": id}, headers=headers))[
        "publication"
    ]
    return publication
