"""With COLOPHON_REDIS_URL set, persisted documents are shared: a hash registered through one
process is answered by another."""

import uuid
from collections.abc import Callable

import pytest
import redis
from starlette.applications import Starlette

from api.graphql.persisted import RedisStore
from tests.conftest import missing_service, serving
from tests.content import Content
from tests.graphql.conftest import ENDPOINT
from tests.graphql.test_persisted import QUERY, get_params, persisted

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def shared_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    try:
        with redis.Redis.from_url(REDIS_URL) as client:
            client.ping()
    except redis.ConnectionError:
        missing_service("no Redis at 127.0.0.1:6379")
    # A prefix of the test's own, so runs never see each other's documents.
    monkeypatch.setattr(RedisStore, "PREFIX", f"colophon:test:{uuid.uuid4().hex}:")
    return REDIS_URL


async def test_a_document_registered_in_one_process_runs_in_another(
    app_with: Callable[..., Starlette], content: Content, shared_redis: str
) -> None:
    await content.publication("First")
    first, second = app_with(redis_url=shared_redis), app_with(redis_url=shared_redis)
    async with serving(first) as one, serving(second) as other:
        registered = await one.post(ENDPOINT, json={"query": QUERY, "extensions": persisted()})
        assert registered.json() == {"data": {"publications": {"nodes": [{"slug": "first"}]}}}
        answered = await other.get(ENDPOINT, params=get_params())
        assert answered.json() == registered.json()
    with redis.Redis.from_url(shared_redis) as client:
        keys = client.keys(RedisStore.PREFIX + "*")
        assert len(keys) == 1
        client.delete(*keys)
