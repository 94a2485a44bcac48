"""The editor API over GraphQL: each role against each mutation, versions, validation by
REST's models, and one transaction per mutation."""

import re
from typing import Any

import httpx
import pytest

from tests.content import Content
from tests.graphql.conftest import Headers, data_of, error_codes, execute
from tests.graphql.editing import SEED_INPUT, UPDATE, create, created, read

UNAUTHENTICATED, FORBIDDEN = "UNAUTHENTICATED", "FORBIDDEN"
ANONYMOUS, OTHER, AUTHOR, EDITOR, ADMIN = "anonymous", "other", "author", "editor", "admin"
# What REST's rules allow: None is success.
AUTHOR_OWN_DRAFTS = {ANONYMOUS: UNAUTHENTICATED, OTHER: FORBIDDEN, AUTHOR: None, EDITOR: None,
                     ADMIN: None}  # fmt: skip
EDITORS_ONLY = {ANONYMOUS: UNAUTHENTICATED, OTHER: FORBIDDEN, AUTHOR: FORBIDDEN, EDITOR: None,
                ADMIN: None}  # fmt: skip
PUBLICATION_MUTATIONS: dict[str, tuple[str, dict[str, str | None]]] = {
    "create": ('createPublication(input: {title: "Fresh"}) { id }',
               {ANONYMOUS: UNAUTHENTICATED, OTHER: None, AUTHOR: None, EDITOR: None}),
    "update": ('updatePublication(id: $id, expectedVersion: $version, input: {title: "New"}) '
               "{ id }", AUTHOR_OWN_DRAFTS),
    "delete": ("deletePublication(id: $id, expectedVersion: $version)", AUTHOR_OWN_DRAFTS),
    "publish": ("publishPublication(id: $id) { id }", EDITORS_ONLY),
    "unpublish": ("unpublishPublication(id: $id) { id }", EDITORS_ONLY),
    "archive": ("archivePublication(id: $id) { id }", EDITORS_ONLY),
    "restore": ("restoreRevision(id: $id, number: 1) { id }", AUTHOR_OWN_DRAFTS),
}  # fmt: skip
KINDS = {"Author": "author", "Category": "category", "Series": "series", "Tag": "tag"}


def document(selection: str) -> str:
    """A mutation declaring exactly the variables its selection uses."""
    declared = {"$id": "$id: ID!", "$version": "$version: Int!"}
    variables = ", ".join(d for name, d in declared.items() if name in selection)
    return f"mutation{f'({variables})' if variables else ''} {{ {selection} }}"


@pytest.fixture
async def draft(taxonomy: None, client: httpx.AsyncClient, tokens: Headers) -> dict[str, Any]:
    """A draft the author created."""
    return await created(client, tokens[AUTHOR])


@pytest.mark.parametrize(
    ("mutation", "role"),
    [(mutation, role) for mutation, (_, roles) in PUBLICATION_MUTATIONS.items() for role in roles],
)
async def test_each_role_against_each_publication_mutation(
    client: httpx.AsyncClient,
    tokens: Headers,
    draft: dict[str, Any],
    mutation: str,
    role: str,
) -> None:
    selection, roles = PUBLICATION_MUTATIONS[mutation]
    variables = {"id": draft["id"], "version": draft["version"]}
    used = {name: value for name, value in variables.items() if f"${name}" in selection}
    body = await execute(client, document(selection), used, headers=tokens.get(role))
    expected = roles[role]
    if expected is None:
        assert "errors" not in body, body["errors"]
        return
    assert error_codes(body) == [expected]
    assert list(body["data"].values()) == [None]
    # Nothing of a refused write is kept.
    assert (await read(client, tokens[EDITOR], draft["id"]))["version"] == draft["version"]


@pytest.fixture
async def spare(content: Content, client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """An author, category, series and tag no publication uses, by GraphQL type name."""
    await content.author("Spare Author")
    for kind in ("category", "series", "tag"):
        await getattr(content, kind)(f"Spare {kind.title()}")
    found = {}
    for type_name, field in KINDS.items():
        slug = f"spare-{field}"
        data = await data_of(client, f'{{ {field}(slug: "{slug}") {{ id version }} }}')
        found[type_name] = data[field]
    return found


@pytest.mark.parametrize("type_name", list(KINDS))
@pytest.mark.parametrize("operation", ["create", "update", "delete"])
@pytest.mark.parametrize("role", [ANONYMOUS, AUTHOR, EDITOR, ADMIN])
async def test_each_role_against_each_directory_mutation(
    client: httpx.AsyncClient,
    tokens: Headers,
    spare: dict[str, dict[str, Any]],
    type_name: str,
    operation: str,
    role: str,
) -> None:
    entry = spare[type_name]
    name = f"{operation}{type_name}"
    selection = {
        "create": f'{name}(input: {{name: "Brand New"}}) {{ slug version }}',
        "update": f'{name}(id: $id, expectedVersion: $version, input: {{name: "Renamed"}}) '
        "{ name version }",
        "delete": f"{name}(id: $id, expectedVersion: $version)",
    }[operation]
    variables = {"id": entry["id"], "version": entry["version"]} if operation != "create" else None
    body = await execute(client, document(selection), variables, headers=tokens.get(role))
    expected = {ANONYMOUS: UNAUTHENTICATED, AUTHOR: FORBIDDEN}.get(role)
    if expected is not None:
        assert error_codes(body) == [expected]
        return
    assert "errors" not in body, body["errors"]
    result = body["data"][name]
    if operation == "create":
        assert result == {"slug": "brand-new", "version": 1}
    elif operation == "update":
        assert result == {"name": "Renamed", "version": entry["version"] + 1}
    else:
        assert result == entry["id"]
        field = KINDS[type_name]
        gone = await execute(client, f'{{ {field}(slug: "spare-{field}") {{ id }} }}')
        assert error_codes(gone) == ["NOT_FOUND"]


class TestVersions:
    async def test_a_stale_expected_version_is_conflict_with_the_current_version(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        editor = tokens[EDITOR]
        first = {"id": draft["id"], "version": 1, "input": {"title": "First change"}}
        assert "errors" not in await execute(client, UPDATE, first, headers=editor)
        lost = {**first, "input": {"title": "Lost change"}}
        body = await execute(client, UPDATE, lost, headers=editor)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "CONFLICT"
        assert error["extensions"]["currentVersion"] == 2
        assert error["extensions"]["field"] == "version"
        assert (await read(client, editor, draft["id"]))["title"] == "First change"

    @pytest.mark.parametrize(
        "selection",
        [
            "deletePublication(id: $id, expectedVersion: 7)",
            "publishPublication(id: $id, expectedVersion: 7) { id }",
            "unpublishPublication(id: $id, expectedVersion: 7) { id }",
            "archivePublication(id: $id, expectedVersion: 7) { id }",
            "restoreRevision(id: $id, number: 1, expectedVersion: 7) { id }",
        ],
    )
    async def test_every_publication_write_checks_the_version(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any], selection: str
    ) -> None:
        body = await execute(
            client, document(selection), {"id": draft["id"]}, headers=tokens[EDITOR]
        )
        assert error_codes(body) == ["CONFLICT"]
        assert body["errors"][0]["extensions"]["currentVersion"] == 1

    @pytest.mark.parametrize("type_name", list(KINDS))
    @pytest.mark.parametrize("operation", ["update", "delete"])
    async def test_directory_writes_check_the_version(
        self,
        client: httpx.AsyncClient,
        tokens: Headers,
        spare: dict[str, dict[str, Any]],
        type_name: str,
        operation: str,
    ) -> None:
        name = f"{operation}{type_name}"
        selection = (
            f'{name}(id: $id, expectedVersion: 5, input: {{name: "Late"}}) {{ name }}'
            if operation == "update"
            else f"{name}(id: $id, expectedVersion: 5)"
        )
        body = await execute(
            client, document(selection), {"id": spare[type_name]["id"]}, headers=tokens[EDITOR]
        )
        assert error_codes(body) == ["CONFLICT"]
        assert body["errors"][0]["extensions"]["currentVersion"] == 1


class TestInput:
    @pytest.mark.usefixtures("taxonomy")
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"title": ""}, "title"),
            ({"slug": "2024"}, "slug"),
            ({"slug": "Not A Slug"}, "slug"),
            ({"authors": ["nobody"]}, "authors.0"),
            ({"series": "nothing"}, "series"),
            ({"bodyMarkdown": "A claim.[^3]"}, "body_markdown"),
            ({"bodyMarkdown": "No references."}, "footnotes.0"),
            (
                {"footnotes": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]},
                "footnotes.1.number",
            ),
            ({"footnotes": [{"number": 0, "text": "a"}]}, "footnotes.0.number"),
            ({"featuredImage": {"url": "javascript:alert(1)"}}, "featured_image.url"),
        ],
    )
    async def test_bad_input_is_bad_user_input_naming_the_field_as_rest_does(
        self, client: httpx.AsyncClient, tokens: Headers, fields: dict[str, Any], field: str
    ) -> None:
        body = await create(client, tokens[EDITOR], **fields)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        reported = [e["field"] for e in error["extensions"].get("errors", [])]
        assert field in [error["extensions"]["field"], *reported]
        rest = await client.post(
            "/api/v1/publications", json=_rest_fields(fields), headers=tokens[EDITOR]
        )
        assert field in [e["field"] for e in rest.json()["errors"]]
        listing = "{ publications(filter: {status: ANY}) { totalCount } }"
        assert (await data_of(client, listing, headers=tokens[EDITOR]))["publications"] == {
            "totalCount": 0
        }

    @pytest.mark.parametrize("field", ["id", "version", "status", "createdAt"])
    async def test_server_owned_fields_are_not_in_the_input(
        self, client: httpx.AsyncClient, tokens: Headers, field: str
    ) -> None:
        body = await create(client, tokens[EDITOR], **{field: "1"})
        assert error_codes(body) == ["BAD_USER_INPUT"]  # a variable that does not fit its type

    async def test_an_update_changes_only_the_fields_it_names(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        editor = tokens[EDITOR]
        variables = {"id": draft["id"], "version": 1, "input": {"subtitle": "A subtitle"}}
        with_subtitle = (await data_of(client, UPDATE, variables, headers=editor))[
            "updatePublication"
        ]
        assert with_subtitle["subtitle"] == "A subtitle"
        for key in ("title", "footnotes", "categories", "series", "featuredImage", "authors"):
            assert with_subtitle[key] == draft[key], key
        variables = {"id": draft["id"], "version": 2, "input": {"subtitle": None}}
        cleared = (await data_of(client, UPDATE, variables, headers=editor))["updatePublication"]
        assert cleared["subtitle"] is None
        assert cleared["editorialNotes"] == SEED_INPUT["editorialNotes"]

    async def test_a_null_title_is_refused(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        variables = {"id": draft["id"], "version": 1, "input": {"title": None}}
        body = await execute(client, UPDATE, variables, headers=tokens[EDITOR])
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "title"


class TestTransactions:
    async def test_a_failed_write_keeps_nothing(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        # The version is claimed before the links are checked: the rollback must undo it.
        variables = {"id": draft["id"], "version": 1, "input": {"title": "X", "tags": ["nope"]}}
        body = await execute(client, UPDATE, variables, headers=tokens[EDITOR])
        assert error_codes(body) == ["BAD_USER_INPUT"]
        after = await read(client, tokens[EDITOR], draft["id"])
        assert (after["version"], after["title"]) == (1, draft["title"])

    async def test_each_mutation_of_a_document_is_its_own_transaction(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        body = await execute(
            client,
            """mutation($id: ID!) {
              first: updatePublication(id: $id, expectedVersion: 1, input: {title: "One"}) {
                title version }
              second: updatePublication(id: $id, expectedVersion: 1, input: {title: "Two"}) {
                title version }
              third: updatePublication(id: $id, expectedVersion: 2, input: {title: "Three"}) {
                title version }
            }""",
            {"id": draft["id"]},
            headers=tokens[EDITOR],
        )
        assert body["data"]["first"] == {"title": "One", "version": 2}
        assert body["data"]["second"] is None
        assert body["data"]["third"] == {"title": "Three", "version": 3}
        assert error_codes(body) == ["CONFLICT"]

    async def test_an_answer_reads_what_the_write_left(
        self, client: httpx.AsyncClient, tokens: Headers, draft: dict[str, Any]
    ) -> None:
        """Loaders read before a write are not trusted after it."""
        body = await data_of(
            client,
            """mutation($id: ID!) {
              a: updatePublication(id: $id, expectedVersion: 1, input: {authors: []}) {
                authors { slug } bodyHtml }
              b: updatePublication(id: $id, expectedVersion: 2,
                                   input: {authors: ["juni-kim"], bodyMarkdown: "New.[^1]",
                                           footnotes: [{number: 1, text: "n"}]}) {
                authors { slug } bodyHtml status }
            }""",
            {"id": draft["id"]},
            headers=tokens[EDITOR],
        )
        assert body["a"]["authors"] == []
        assert body["b"]["authors"] == [{"slug": "juni-kim"}]
        assert "New." in body["b"]["bodyHtml"]
        assert body["b"]["status"] == "DRAFT"


def _rest_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The same input as REST's body: snake_case names."""
    snake = {key: re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower() for key in SEED_INPUT}
    body = {snake[key]: value for key, value in SEED_INPUT.items()}
    body.update({re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v for k, v in fields.items()})
    return body
