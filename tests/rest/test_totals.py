"""Public totals come from counts the database keeps of published publications
(`models.publication_count`, kept by triggers). After every kind of write, through the
editor API, an import or plain SQL, each list says it holds as many publications as it
lists, and the kept counts are what counting from scratch gives."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import select

from api import migrate
from api.db import create_engine, create_sessionmaker
from api.demo.generator import write_dataset
from api.interchange.importer import import_directory
from models import Series
from tests.conftest import SITE_SIZE, Database, DatabaseFactory
from tests.content import Content

API = "/api/v1/publications"
Headers = dict[str, dict[str, str]]
# List filter, directory path, and the slugs the fixture makes for each.
TERMS = {
    "category": ("categories", ["economy", "security"]),
    "author": ("authors", ["juni-kim", "troy-stangarone"]),
    "tag": ("tags", ["trade", "nuclear"]),
    "series": ("series", ["the-peninsula", "korea-insight"]),
}
RECOUNT = """
    SELECT 'all', 0, count(*) FROM publications WHERE status = 'published'
    UNION ALL SELECT 'series', series_id, count(*) FROM publications
    WHERE status = 'published' AND series_id IS NOT NULL GROUP BY series_id
    UNION ALL SELECT 'category', l.category_id, count(*) FROM publication_categories l
    JOIN publications p ON p.id = l.publication_id WHERE p.status = 'published'
    GROUP BY l.category_id
    UNION ALL SELECT 'author', l.author_id, count(*) FROM publication_authors l
    JOIN publications p ON p.id = l.publication_id WHERE p.status = 'published'
    GROUP BY l.author_id
    UNION ALL SELECT 'tag', l.tag_id, count(*) FROM publication_tags l
    JOIN publications p ON p.id = l.publication_id WHERE p.status = 'published'
    GROUP BY l.tag_id
"""


@pytest.fixture
async def terms(content: Content) -> None:
    for name in ("Juni Kim", "Troy Stangarone"):
        await content.author(name)
    for name in ("Economy", "Security"):
        await content.category(name)
    for name in ("Trade", "Nuclear"):
        await content.tag(name)
    for name in ("The Peninsula", "Korea Insight"):
        await content.series(name)


async def kept_counts(session: AsyncSession) -> dict[tuple[str, int], int]:
    rows = await session.execute(text("SELECT kind, term_id, published FROM publication_counts"))
    return {(kind, term): n for kind, term, n in rows if n}


async def recounted(session: AsyncSession) -> dict[tuple[str, int], int]:
    return {(kind, term): n for kind, term, n in await session.execute(text(RECOUNT)) if n}


async def assert_totals_agree(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, int]:
    """Every total the public can read equals what its list holds; returns them by list."""
    totals = {}

    async def listed(params: dict[str, str]) -> int:
        answer = (await client.get(API, params={**params, "per_page": "100"})).json()
        assert answer["meta"]["total"] == len(answer["data"]), params
        return int(answer["meta"]["total"])

    totals["all"] = await listed({})
    stats = (await client.get("/api/v1/stats")).json()["data"]
    assert stats["publications"] == totals["all"]
    for name, (path, slugs) in TERMS.items():
        directory = (await client.get(f"/api/v1/{path}", params={"per_page": "100"})).json()
        counted = {entry["slug"]: entry["publication_count"] for entry in directory["data"]}
        for slug in slugs:
            totals[slug] = await listed({name: slug})
            assert counted[slug] == totals[slug], slug
            one = (await client.get(f"/api/v1/{path}/{slug}")).json()["data"]
            assert one["publication_count"] == totals[slug], slug
    assert await kept_counts(session) == await recounted(session)
    return totals


@pytest.mark.usefixtures("terms")
async def test_totals_follow_every_kind_of_write(
    client: httpx.AsyncClient, tokens: Headers, session: AsyncSession
) -> None:
    editor = tokens["editor"]

    async def created(**fields: Any) -> dict[str, Any]:
        body = {"title": "A title", "body_markdown": "Words.", **fields}
        answer = await client.post(API, json=body, headers=editor)
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["data"])

    async def edited(publication: dict[str, Any], **fields: Any) -> None:
        path = f"{API}/{publication['id']}"
        current = await client.get(path, headers=editor)
        answer = await client.patch(
            path, json=fields, headers={**editor, "If-Match": current.headers["etag"]}
        )
        assert answer.status_code == 200, answer.text

    async def acted(publication: dict[str, Any], action: str, **body: Any) -> None:
        answer = await client.post(f"{API}/{publication['id']}/{action}", json=body, headers=editor)
        assert answer.status_code == 200, answer.text

    assert (await assert_totals_agree(client, session))["all"] == 0
    first = await created(
        categories=["economy"], authors=["juni-kim"], tags=["trade"], series="the-peninsula"
    )
    second = await created(
        categories=["economy", "security"],
        authors=["juni-kim", "troy-stangarone"],
        tags=["trade", "nuclear"],
        series="korea-insight",
    )
    await assert_totals_agree(client, session)  # drafts count nowhere

    await acted(first, "publish")
    await acted(second, "publish")
    totals = await assert_totals_agree(client, session)
    assert (totals["all"], totals["economy"], totals["security"], totals["trade"]) == (2, 2, 1, 2)

    # Links and the series change while published.
    await edited(first, categories=["security"], tags=["nuclear"], series="korea-insight")
    totals = await assert_totals_agree(client, session)
    assert (totals["economy"], totals["security"], totals["the-peninsula"]) == (1, 2, 0)
    await edited(second, authors=["troy-stangarone"], series=None)
    totals = await assert_totals_agree(client, session)
    assert (totals["juni-kim"], totals["korea-insight"]) == (1, 1)

    # Unpublished, scheduled for later, archived: out of every total; published again: back.
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for action, body in (("unpublish", {}), ("publish", {"at": later}), ("archive", {})):
        await acted(first, action, **body)
        totals = await assert_totals_agree(client, session)
        assert (totals["all"], totals["security"]) == (1, 1), action
    await acted(first, "publish")
    assert (await assert_totals_agree(client, session))["all"] == 2

    # A scheduled publication whose moment has come counts before the worker publishes it.
    await acted(second, "publish", at=later)
    assert (await assert_totals_agree(client, session))["all"] == 1
    await session.execute(
        text("UPDATE publications SET published_at = :moment WHERE id = :id"),
        {"moment": datetime.now(UTC) - timedelta(minutes=1), "id": int(second["id"])},
    )
    await session.commit()
    totals = await assert_totals_agree(client, session)
    assert (totals["all"], totals["economy"], totals["troy-stangarone"]) == (2, 1, 1)

    # Deleted: its links go with it.
    current = await client.get(f"{API}/{first['id']}", headers=editor)
    gone = await client.delete(
        f"{API}/{first['id']}", headers={**editor, "If-Match": current.headers["etag"]}
    )
    assert gone.status_code == 204
    totals = await assert_totals_agree(client, session)
    assert (totals["all"], totals["security"], totals["nuclear"]) == (1, 1, 1)


@pytest.mark.usefixtures("terms")
async def test_a_deleted_term_leaves_no_count_behind(
    client: httpx.AsyncClient, tokens: Headers, session: AsyncSession, content: Content
) -> None:
    """A series is deleted under its publications (they lose it); a new term never
    inherits an old one's count, on SQLite either, which may hand out its id again."""
    series = (await client.get("/api/v1/series/the-peninsula")).json()["data"]
    await content.publication("In a series", series=await _series(session, "the-peninsula"))
    assert (await assert_totals_agree(client, session))["the-peninsula"] == 1
    current = await client.get(f"/api/v1/series/{series['id']}", headers=tokens["editor"])
    gone = await client.delete(
        f"/api/v1/series/{series['id']}",
        headers={**tokens["editor"], "If-Match": current.headers["etag"]},
    )
    assert gone.status_code == 204
    assert ("series", int(series["id"])) not in await kept_counts(session)
    made = await client.post("/api/v1/series", json={"name": "Fresh"}, headers=tokens["editor"])
    fresh = made.json()["data"]
    assert fresh["publication_count"] == 0
    assert (await client.get(API, params={"series": "fresh"})).json()["meta"]["total"] == 0
    assert await kept_counts(session) == await recounted(session)


async def test_plain_sql_writes_are_counted_too(
    session: AsyncSession, content: Content, client: httpx.AsyncClient
) -> None:
    """The triggers count whatever writes: here many rows in one statement each."""
    economy = await content.category("Economy")
    for n in range(6):
        await content.publication(f"Piece {n}", categories=[economy])
    await session.execute(
        text("UPDATE publications SET status = 'draft' WHERE title IN ('Piece 0', 'Piece 1')")
    )
    await session.execute(
        text("DELETE FROM publication_categories WHERE publication_id IN "
             "(SELECT id FROM publications WHERE title = 'Piece 2')")
    )  # fmt: skip
    await session.execute(text("DELETE FROM publications WHERE title IN ('Piece 3', 'Piece 0')"))
    await session.commit()
    assert await kept_counts(session) == await recounted(session)
    answer = (await client.get(API, params={"category": "economy"})).json()
    assert answer["meta"]["total"] == len(answer["data"]) == 2


async def test_an_import_counts_what_it_writes(
    databases: DatabaseFactory, template: Database, tmp_path: Path
) -> None:
    """An import writes many rows a statement (COPY on PostgreSQL); a second import of the
    site, every publication's status, series and links changed, rewrites them all."""
    database = await databases.clone(template)
    site = tmp_path / "site"
    write_dataset(site, SITE_SIZE)
    engine = create_engine(database.url)
    try:
        await import_directory(engine, site)
        first = await _checked_counts(engine)
        assert first[("all", 0)] > 10
        _reshuffle(site / "publications.ndjson")
        await import_directory(engine, site)
        assert await _checked_counts(engine) != first
    finally:
        await engine.dispose()


async def _checked_counts(engine: AsyncEngine) -> dict[tuple[str, int], int]:
    async with create_sessionmaker(engine)() as session:
        kept = await kept_counts(session)
        assert kept == await recounted(session)
        return kept


def _reshuffle(path: Path) -> None:
    """Each publication's status turned (published to draft and back), its series and its
    links to categories, tags and authors shifted to their neighbours'."""
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    for n, record in enumerate(records):
        neighbour = records[(n + 1) % len(records)]
        record["status"] = "draft" if record["status"] == "published" else "published"
        record["published_at"] = record["published_at"] or neighbour["published_at"]
        for field in ("series_id", "category_ids", "tag_ids", "author_ids"):
            record[field] = neighbour[field]
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))


async def _series(session: AsyncSession, slug: str) -> Series:
    return (await session.execute(select(Series).where(Series.slug == slug))).scalar_one()


async def test_upgrading_a_site_counts_what_it_already_holds(
    databases: DatabaseFactory, template: Database, tmp_path: Path
) -> None:
    """From the release before the counts, with content: the migration counts it all."""
    database = await databases.clone(template)
    write_dataset(tmp_path / "site", SITE_SIZE)
    engine = create_engine(database.url)
    try:
        await import_directory(engine, tmp_path / "site")
        before = await _checked_counts(engine)
        await migrate.downgrade(engine, COUNTS_REVISION_PARENT)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "publication_counts" not in tables
        await migrate.upgrade(engine)
        assert await _checked_counts(engine) == before
    finally:
        await engine.dispose()


COUNTS_REVISION_PARENT = "e7b3c1d9a4f2"


async def test_two_writers_moving_links_across_the_same_terms_both_commit(
    databases: DatabaseFactory, template: Database
) -> None:
    """Each writer lowers one term's count, then raises the other's, in opposite orders. On
    PostgreSQL, taking the two count rows as they come would deadlock: the first to
    change a count holds the counts' lock until it commits, and the other waits."""
    database = await databases.clone(template)
    engine = create_engine(database.url)
    try:
        async with create_sessionmaker(engine)() as session:
            content = Content(session)
            x, y = await content.category("X"), await content.category("Y")
            first = await content.publication("First", categories=[y])
            second = await content.publication("Second", categories=[x])
            ids = {"x": x.id, "y": y.id, "first": first.id, "second": second.id}
        move = text(
            "UPDATE publication_categories SET category_id = :to WHERE publication_id = :id"
        )
        unlink = text("DELETE FROM publication_categories WHERE publication_id = :id")
        link = text("INSERT INTO publication_categories VALUES (:id, :to, 0)")

        async def other_writer(started: asyncio.Event) -> None:
            async with engine.connect() as conn, conn.begin():
                started.set()
                await conn.execute(unlink, {"id": ids["second"]})  # waits for the first
                await conn.execute(link, {"id": ids["second"], "to": ids["y"]})

        async with engine.connect() as conn:
            async with conn.begin():
                await conn.execute(unlink, {"id": ids["first"]})  # Y lowered
                started = asyncio.Event()
                other = asyncio.create_task(other_writer(started))
                await started.wait()
                await asyncio.sleep(0.3)  # the other writer reaches its first change
                await conn.execute(link, {"id": ids["first"], "to": ids["x"]})  # X raised
            await asyncio.wait_for(other, timeout=30)
            async with conn.begin():
                await conn.execute(move, {"id": ids["first"], "to": ids["y"]})
        async with create_sessionmaker(engine)() as session:
            kept = await kept_counts(session)
            assert kept == await recounted(session)
            x_id, y_id = ids["x"], ids["y"]
            # Both moved to the other's term, then the first moved back to Y in place.
            assert kept.get(("category", x_id or 0), 0) == 0
            assert kept[("category", y_id or 0)] == 2
    finally:
        await engine.dispose()
