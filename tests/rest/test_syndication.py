"""The syndication terms on every publication payload, from the settings' defaults."""

import httpx
import pytest

from api.settings import Settings
from tests.content import Content


async def test_defaults(client: httpx.AsyncClient, content: Content) -> None:
    await content.publication("Can Mongolia Help?")
    detail = (await client.get("/api/v1/publications/can-mongolia-help")).json()["data"]
    assert detail["syndication"] == {
        "license": "All rights reserved",
        "license_url": None,
        "attribution": "First published by Colophon at "
        "https://example.org/publications/can-mongolia-help",
    }


def test_the_attribution_template_is_checked_at_start() -> None:
    with pytest.raises(ValueError, match="COLOPHON_ATTRIBUTION"):
        Settings(attribution="By {author}")
    with pytest.raises(ValueError, match="COLOPHON_ATTRIBUTION"):
        Settings(attribution="{url")
