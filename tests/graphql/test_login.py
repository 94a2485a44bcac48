"""`login`: the same answer for every failure, a token that works, and the throttle."""

import httpx

from tests.graphql.conftest import Headers, data_of, error_codes, execute
from tests.rest.conftest import PASSWORD

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken tokenType expiresIn }
}"""


async def test_a_login_gives_a_short_lived_token_that_writes(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    variables = {"email": "Editor@Example.org", "password": PASSWORD}
    grant = (await data_of(client, LOGIN, variables))["login"]
    assert grant["tokenType"] == "bearer"
    assert 0 < grant["expiresIn"] <= 3600
    headers = {"Authorization": f"Bearer {grant['accessToken']}"}
    made = await data_of(
        client, 'mutation { createTag(input: {name: "Logged in"}) { slug } }', headers=headers
    )
    assert made == {"createTag": {"slug": "logged-in"}}


async def test_wrong_and_unknown_are_the_same_answer(
    client: httpx.AsyncClient, tokens: Headers
) -> None:
    wrong = await execute(client, LOGIN, {"email": "editor@example.org", "password": "nope"})
    unknown = await execute(client, LOGIN, {"email": "who@example.org", "password": "nope"})
    assert error_codes(wrong) == error_codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert wrong["data"] == unknown["data"] == {"login": None}


async def test_failures_count_and_then_wait(client: httpx.AsyncClient, tokens: Headers) -> None:
    wrong = {"email": "editor@example.org", "password": "wrong password!"}
    codes = [error_codes(await execute(client, LOGIN, wrong)) for _ in range(7)]
    assert codes[:5] == [["UNAUTHENTICATED"]] * 5
    assert codes[6] == ["RATE_LIMITED"]
    limited = await execute(client, LOGIN, {"email": "editor@example.org", "password": PASSWORD})
    [error] = limited["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
    # The same throttle as REST's sign-in: the failures were committed, for both doors.
    rest = await client.post(
        "/api/v1/auth/token", json={"email": "editor@example.org", "password": PASSWORD}
    )
    assert rest.status_code == 429


async def test_oversized_credentials_are_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await execute(client, LOGIN, {"email": "a@example.org", "password": "x" * 1001})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "password"
