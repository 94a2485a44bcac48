"""The pages a message links to: static, inert on GET, locked down by their headers."""

import base64
import hashlib
import re

import httpx
import pytest

from api.subscription_pages import _SCRIPT


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [("confirm", "/api/v1/subscriptions/confirm"),
     ("unsubscribe", "/api/v1/subscriptions/unsubscribe")],
)  # fmt: skip
async def test_a_page_posts_to_the_api_only_when_its_button_is_pressed(
    client: httpx.AsyncClient, path: str, endpoint: str
) -> None:
    page = await client.get(f"/subscriptions/{path}", params={"token": "<script>x</script>"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-endpoint="{endpoint}"' in page.text
    # The token is read by the script from the address bar, never written into the page.
    assert "<script>x" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex"
    policy = page.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert script == _SCRIPT


async def test_other_paths_and_methods_are_not_pages(client: httpx.AsyncClient) -> None:
    assert (await client.get("/subscriptions/other")).status_code == 404
    assert (await client.post("/subscriptions/confirm")).status_code == 405
