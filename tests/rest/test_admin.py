"""Accounts, personal tokens and the audit log over REST."""

import httpx

Headers = dict[str, dict[str, str]]


async def test_admins_manage_users(client: httpx.AsyncClient, tokens: Headers) -> None:
    new = {"email": "New@Example.org", "name": "New", "role": "author",
           "password": "a long enough password"}  # fmt: skip
    for role in ("editor", "author"):
        assert (
            await client.post("/api/v1/users", json=new, headers=tokens[role])
        ).status_code == 403
    created = await client.post("/api/v1/users", json=new, headers=tokens["admin"])
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "new@example.org"
    assert "password" not in created.text
    assert "hash" not in created.text
    again = await client.post("/api/v1/users", json=new, headers=tokens["admin"])
    assert again.status_code == 409
    listed = (await client.get("/api/v1/users", headers=tokens["admin"])).json()["data"]
    assert "new@example.org" in [u["email"] for u in listed]
    short = await client.post(
        "/api/v1/users", json={**new, "email": "b@example.org", "password": "short"},
        headers=tokens["admin"],
    )  # fmt: skip
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"


async def test_tokens_are_shown_once_and_revocable(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    created = await client.post("/api/v1/tokens", json={"name": "ci"}, headers=tokens["author"])
    assert created.status_code == 201
    secret = created.json()["token"]
    mine = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/tokens", headers=mine)).status_code == 200

    listed = (await client.get("/api/v1/tokens", headers=tokens["author"])).json()["data"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert {t["name"] for t in listed} == {"tests", "ci"}
    others = await client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=tokens["other"])
    assert others.status_code == 404

    revoked = await client.delete(
        f"/api/v1/tokens/{created.json()['id']}", headers=tokens["author"]
    )
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/tokens", headers=mine)).status_code == 401
    everyone = (await client.get("/api/v1/tokens", headers=tokens["admin"])).json()["data"]
    assert len(everyone) == 5


async def test_the_audit_log_is_for_admins(client: httpx.AsyncClient, tokens: Headers) -> None:
    await client.post("/api/v1/tags", json={"name": "Audited"}, headers=tokens["editor"])
    assert (await client.get("/api/v1/audit", headers=tokens["editor"])).status_code == 403
    events = (await client.get("/api/v1/audit", headers=tokens["admin"])).json()["data"]
    assert events[0]["action"] == "tag.create"
    assert events[0]["actor"] == "Editor"


async def test_admins_create_tokens_for_others(client: httpx.AsyncClient, tokens: Headers) -> None:
    users = (await client.get("/api/v1/users", headers=tokens["admin"])).json()["data"]
    author_id = next(u["id"] for u in users if u["email"] == "author@example.org")
    body = {"name": "for the author", "user_id": author_id}
    assert (
        await client.post("/api/v1/tokens", json=body, headers=tokens["editor"])
    ).status_code == 403
    created = await client.post("/api/v1/tokens", json=body, headers=tokens["admin"])
    assert created.status_code == 201
    assert created.json()["user_id"] == author_id
    as_author = {"Authorization": f"Bearer {created.json()['token']}"}
    mine = await client.post("/api/v1/publications", json={"title": "By token"}, headers=as_author)
    assert mine.status_code == 201
    missing = {"name": "x", "user_id": "999999"}
    assert (
        await client.post("/api/v1/tokens", json=missing, headers=tokens["admin"])
    ).status_code == 422
