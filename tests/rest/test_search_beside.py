"""A public search counts its facets (and a list its total) on a connection beside the
request's own when one is free (api/services/beside.py): the same answer as counting them
after the page, on either path, however many searches run at once."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from starlette.applications import Starlette

from api.app import create_app
from api.db import create_engine, create_sessionmaker
from models import PublicationStatus
from tests.conftest import POSTGRES_URL, Database, DatabaseFactory, serving, settings_for
from tests.content import Content

SEARCH = "/api/v1/search"


@pytest.fixture
async def site(fresh_database: Database) -> Database:
    engine = create_engine(fresh_database.url)
    async with create_sessionmaker(engine)() as session:
        content = Content(session)
        lee, kim = await content.author("Ann Lee"), await content.author("Juni Kim")
        ports = await content.category("Ports")
        for index in range(6):
            await content.publication(
                f"Harbour study {index}",
                authors=[kim] if index % 2 else [kim, lee],
                categories=[ports] if index < 4 else [],
            )
        await content.publication("Harbour secrets", status=PublicationStatus.DRAFT)
        await session.commit()
    await engine.dispose()
    return fresh_database


def _app(site: Database, tmp_path: Path, beside: int, search: int = 4) -> Starlette:
    return create_app(
        settings_for(site, tmp_path, db_beside_connections=beside, db_search_connections=search)
    )


def _counting(app: Starlette, *, beside_too: bool = False) -> list[str]:
    """The statements a request's search sends but those beside, or all of them."""
    sent: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    for engine in app.state.request_engines:
        if beside_too or engine is not app.state.beside_engine:
            event.listen(engine.sync_engine, "before_cursor_execute", before)
    return sent


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params={"q": "harbour", "per_page": 2, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_facets_beside_the_page_are_the_facets_after_it(
    site: Database, tmp_path: Path
) -> None:
    answers, own_statements, all_statements = [], [], []
    for beside, search in ((2, 4), (0, 0)):
        app = _app(site, tmp_path, beside, search)
        sent, every = _counting(app), _counting(app, beside_too=True)
        async with serving(app) as client:
            await _search(client)  # connections opened, statements prepared
            sent.clear()
            every.clear()
            answers.append(await _search(client))
            own_statements.append(len(sent))
            all_statements.append(len(every))
    with_beside, without = answers
    assert with_beside == without
    meta = with_beside["meta"]
    assert meta["total"] == 6  # the draft is not counted
    assert meta["facets"]["authors"] == [
        {"slug": "juni-kim", "name": "Juni Kim", "count": 6},
        {"slug": "ann-lee", "name": "Ann Lee", "count": 3},
    ]
    assert meta["facets"]["categories"] == [{"slug": "ports", "name": "Ports", "count": 4}]
    # Beside, the facets' statement left the request's connection, and was still sent once.
    assert own_statements[0] == own_statements[1] - 1
    assert all_statements[0] == all_statements[1]


async def test_many_searches_at_once_agree_whichever_path_each_took(
    site: Database, tmp_path: Path
) -> None:
    async with serving(_app(site, tmp_path, 0)) as client:
        expected = await _search(client, facet_limit=1)
    async with serving(_app(site, tmp_path, 1)) as client:
        answers = await asyncio.gather(*(_search(client, facet_limit=1) for _ in range(12)))
    assert all(answer == expected for answer in answers)


async def test_facets_name_what_an_editor_has_just_renamed(site: Database, tmp_path: Path) -> None:
    """The names of facet values are kept between searches (api/services/facets.py) for
    as long as the content version stays; a rename raises it."""
    engine = create_engine(site.url)
    async with create_sessionmaker(engine)() as session:
        editor = await Content(session).bearer()
    await engine.dispose()
    async with serving(_app(site, tmp_path, 1)) as client:
        before = (await _search(client))["meta"]["facets"]
        renamed = await client.patch(
            "/api/v1/categories/ports",
            json={"name": "Harbours"},
            headers={**editor, "If-Match": '"1"'},
        )
        assert renamed.status_code == 200, renamed.text
        after = (await _search(client))["meta"]["facets"]
    assert before["categories"] == [{"slug": "ports", "name": "Ports", "count": 4}]
    assert after["categories"] == [{"slug": "ports", "name": "Harbours", "count": 4}]
    assert after["authors"] == before["authors"]


async def test_an_editors_search_stays_on_its_own_connection(
    site: Database, tmp_path: Path
) -> None:
    engine = create_engine(site.url)
    async with create_sessionmaker(engine)() as session:
        editor = await Content(session).bearer()
    await engine.dispose()
    app = _app(site, tmp_path, 2)
    sent = _counting(app)
    async with serving(app) as client:
        response = await client.get(
            SEARCH, params={"q": "harbour", "status": "any"}, headers=editor
        )
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["total"] == 7  # the draft too
    assert any("count(" in statement.lower() for statement in sent)


async def test_a_search_lists_total_beside_its_page_is_the_total_after_it(
    site: Database, tmp_path: Path
) -> None:
    answers, own_statements = [], []
    for beside, search in ((2, 4), (0, 0)):
        app = _app(site, tmp_path, beside, search)
        sent = _counting(app)
        async with serving(app) as client:
            params: dict[str, str | int] = {"q": "harbour", "per_page": 2, "page": 2}
            await client.get("/api/v1/publications", params=params)
            sent.clear()
            response = await client.get("/api/v1/publications", params=params)
            assert response.status_code == 200, response.text
            answers.append((response.json(), response.headers["X-Total-Count"]))
            own_statements.append(len(sent))
    assert answers[0] == answers[1]
    assert answers[0][1] == "6"
    assert own_statements == [1, 2]


@pytest.mark.skipif(POSTGRES_URL is None, reason="PostgreSQL's plan cache")
async def test_searches_plan_each_execution_for_their_words(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """A generic plan cannot tell a rare word from a common one: the connections public
    searches read and count on plan every execution; the request's own keep PostgreSQL's
    default (a publication read would pay ~0.2 ms of planning each time)."""
    database = await databases.create("postgresql", migrated=True)
    app = create_app(settings_for(database, tmp_path, db_beside_connections=1))
    async with serving(app) as client:
        modes = []
        for engine in (app.state.engine, app.state.search_engine, app.state.beside_engine):
            async with engine.connect() as conn:
                modes.append(await conn.scalar(text("SHOW plan_cache_mode")))
        searched = _counting(app)
        own: list[str] = []
        event.listen(
            app.state.engine.sync_engine,
            "before_cursor_execute",
            lambda _conn, _cursor, statement, *_args: own.append(statement),
        )
        response = await client.get(SEARCH, params={"q": "harbour"})
        assert response.status_code == 200, response.text
    assert modes == ["auto", "force_custom_plan", "force_custom_plan"]
    # The page and highlights left the request's connection (the rate limiter's writes stay).
    assert any("publication" in statement for statement in searched)
    assert not [statement for statement in own if "publication" in statement]
