"""No lost edits over GraphQL: concurrent updates from several clients, on a database of its
own where each request has its own connection, so they really are concurrent transactions.
Every accepted edit is in the history and none was silently overwritten."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from api.app import create_app
from api.db import create_engine, create_sessionmaker
from models import Revision
from tests.conftest import Database, serving, settings_for
from tests.content import Content
from tests.graphql.conftest import data_of, execute

UPDATE = """mutation($id: ID!, $version: Int!, $title: String!) {
  updatePublication(id: $id, expectedVersion: $version, input: {title: $title}) { version }
}"""
CURRENT = "query($id: ID!) { publication(id: $id) { title version } }"


@pytest.fixture
async def live_editor(
    fresh_database: Database, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Database]]:
    engine = create_engine(fresh_database.url)
    async with create_sessionmaker(engine)() as session:
        editor = await Content(session).bearer()
    await engine.dispose()
    async with serving(create_app(settings_for(fresh_database, tmp_path))) as client:
        yield client, editor, fresh_database


async def test_concurrent_edits_never_overwrite_each_other(
    live_editor: tuple[httpx.AsyncClient, dict[str, str], Database],
) -> None:
    client, editor, database = live_editor
    created = await data_of(
        client,
        'mutation { createPublication(input: {title: "Contested"}) { id } }',
        headers=editor,
    )
    publication = created["createPublication"]["id"]
    accepted: list[str] = []

    async def edit(writer: int) -> None:
        for attempt in range(6):
            current = await data_of(client, CURRENT, {"id": publication}, headers=editor)
            title = f"Writer {writer} edit {attempt}"
            variables = {
                "id": publication,
                "version": current["publication"]["version"],
                "title": title,
            }
            body = await execute(client, UPDATE, variables, headers=editor)
            if "errors" in body:
                [error] = body["errors"]
                assert error["extensions"]["code"] == "CONFLICT", error
                assert error["extensions"]["currentVersion"] > variables["version"]
            else:
                accepted.append(title)

    await asyncio.gather(*(edit(n) for n in range(4)))

    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            snapshots = await session.scalars(select(Revision).order_by(col(Revision.number)))
            titles = [revision.snapshot["title"] for revision in snapshots]
    finally:
        await engine.dispose()
    assert titles[0] == "Contested"
    assert sorted(titles[1:]) == sorted(accepted)  # every accepted edit, none lost
    final = (await data_of(client, CURRENT, {"id": publication}, headers=editor))["publication"]
    assert final == {"title": titles[-1], "version": len(accepted) + 1}
