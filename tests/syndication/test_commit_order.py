"""The change log never lets a reader skip a change: sequence numbers follow commit order.

On PostgreSQL a transaction that drew a smaller number could commit after one that drew a
larger one, and a reader resuming after the larger one would never see it. Writers take one
lock before they append and keep it until they commit, so the second writer waits: this
test holds a transaction open after appending and shows that another cannot append before
it commits, and then gets the next number.
"""

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from api.app import create_app
from api.db import create_engine, create_sessionmaker
from api.services.events import append_changes
from models import PublicationChange
from tests.conftest import Database, serving, settings_for
from tests.content import Content


async def test_a_later_writer_waits_for_the_earlier_commit(fresh_database: Database) -> None:
    engine = create_engine(fresh_database.url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as first, sessions() as second:
            await append_changes(first, [(1, "first")])  # drawn, not committed

            async def later() -> None:
                await append_changes(second, [(2, "second")])
                await second.commit()

            waiting = asyncio.create_task(later())
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the second writer appended before the first committed"
            await first.commit()
            await asyncio.wait_for(waiting, timeout=30)

        async with sessions() as db:
            rows = (
                (
                    await db.execute(
                        select(col(PublicationChange.publication_id)).order_by(
                            col(PublicationChange.seq)
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert rows == [1, 2]
    finally:
        await engine.dispose()


WRITERS = 4


async def test_concurrent_writers_and_a_poller(fresh_database: Database, tmp_path: Path) -> None:
    """Several clients publish at once while a partner polls; the partner ends with every
    publication, at its latest version."""
    writers = WRITERS
    engine = create_engine(fresh_database.url)
    async with create_sessionmaker(engine)() as session:
        editor = await Content(session).bearer()
    await engine.dispose()
    async with serving(create_app(settings_for(fresh_database, tmp_path))) as client:
        seen: dict[str, int] = {}
        cursor: str | None = None
        done = asyncio.Event()

        async def poll() -> None:
            nonlocal cursor
            while True:
                finished = done.is_set()
                params: dict[str, str | int] = {"limit": 3}
                if cursor:
                    params["since"] = cursor
                body = (await client.get("/api/v1/changes", params=params)).json()
                for entry in body["data"]:
                    if entry["change"] == "upsert":
                        seen[entry["id"]] = entry["publication"]["version"]
                cursor = body["meta"]["next_cursor"]
                if finished and not body["meta"]["has_more"]:
                    return
                await asyncio.sleep(0)

        async def write(n: int) -> None:
            for round_ in range(3):
                created = await client.post(
                    "/api/v1/publications", json={"title": f"W{n} R{round_}"}, headers=editor
                )
                path = f"/api/v1/publications/{created.json()['data']['id']}"
                await client.post(f"{path}/publish", headers=editor)

        poller = asyncio.create_task(poll())
        await asyncio.gather(*(write(n) for n in range(writers)))
        done.set()
        await poller

        listing = (await client.get("/api/v1/publications", params={"per_page": 100})).json()
        latest = {
            p["id"]: (await client.get(f"/api/v1/publications/{p['id']}")).json()["data"]["version"]
            for p in listing["data"]
        }
        assert len(latest) == writers * 3
        assert seen == latest
