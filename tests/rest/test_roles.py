"""Every REST write against every role: anonymous, author, editor, admin."""

from typing import Any

import httpx
import pytest

from tests.content import Content

Headers = dict[str, dict[str, str]]
ROLES = ["anonymous", "author", "editor", "admin"]
HOOK = {"url": "https://p.example/h", "events": ["publication.published"]}

# (method, path, body, expected status for each role in ROLES). "{own}" is a draft the
# author created; "{other}" a draft an editor created; "{live}" a published publication.
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, int, int, int]]] = [
    ("POST", "/api/v1/publications", {"title": "New"}, (401, 201, 201, 201)),
    ("PATCH", "{own}", {"title": "Changed"}, (401, 200, 200, 200)),
    ("PATCH", "{other}", {"title": "Changed"}, (401, 403, 200, 200)),
    ("PATCH", "{live}", {"title": "Changed"}, (401, 403, 200, 200)),
    ("DELETE", "{own}", None, (401, 204, 204, 204)),
    ("DELETE", "{other}", None, (401, 403, 204, 204)),
    ("POST", "{own}/publish", None, (401, 403, 200, 200)),
    ("POST", "{live}/unpublish", None, (401, 403, 200, 200)),
    ("POST", "{live}/archive", None, (401, 403, 200, 200)),
    ("POST", "{own}/preview-token", None, (401, 201, 201, 201)),
    ("POST", "{other}/preview-token", None, (401, 403, 201, 201)),
    ("GET", "{own}/revisions", None, (401, 200, 200, 200)),
    ("POST", "{own}/revisions/1/restore", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/authors", {"name": "A New Author"}, (401, 403, 201, 201)),
    ("POST", "/api/v1/categories", {"name": "A New Category"}, (401, 403, 201, 201)),
    ("POST", "/api/v1/series", {"name": "A New Series"}, (401, 403, 201, 201)),
    ("POST", "/api/v1/tags", {"name": "A New Tag"}, (401, 403, 201, 201)),
    ("PATCH", "/api/v1/tags/existing", {"name": "Renamed"}, (401, 403, 200, 200)),
    ("DELETE", "/api/v1/tags/existing", None, (401, 403, 204, 204)),
    ("GET", "/api/v1/users", None, (401, 403, 403, 200)),
    ("POST", "/api/v1/users", {"email": "n@example.org", "name": "N", "role": "author",
                               "password": "long enough password"}, (401, 403, 403, 201)),
    ("POST", "/api/v1/tokens", {"name": "mine"}, (401, 201, 201, 201)),
    ("GET", "/api/v1/audit", None, (401, 403, 403, 200)),
    ("POST", "/api/v1/webhooks", HOOK, (401, 403, 403, 201)),
    ("POST", "/api/v1/partner-keys", {"name": "partner"}, (401, 403, 403, 201)),
    ("GET", "/api/v1/subscribers", None, (401, 403, 403, 200)),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
async def test_role_against_write(
    client: httpx.AsyncClient,
    tokens: Headers,
    content: Content,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    expected: tuple[int, int, int, int],
) -> None:
    await content.tag("Existing")
    own = await client.post("/api/v1/publications", json={"title": "Own"}, headers=tokens["author"])
    other = await client.post(
        "/api/v1/publications", json={"title": "Other"}, headers=tokens["editor"]
    )
    live = await client.post(
        "/api/v1/publications", json={"title": "Live"}, headers=tokens["editor"]
    )
    live_path = f"/api/v1/publications/{live.json()['data']['id']}"
    await client.post(f"{live_path}/publish", headers=tokens["editor"])
    target = path.format(
        own=f"/api/v1/publications/{own.json()['data']['id']}",
        other=f"/api/v1/publications/{other.json()['data']['id']}",
        live=live_path,
    )
    headers = dict(tokens.get(role, {}))
    if method in ("PATCH", "DELETE"):
        headers["If-Match"] = "*"
    response = await client.request(method, target, json=body, headers=headers)
    assert response.status_code == expected[ROLES.index(role)], response.text
