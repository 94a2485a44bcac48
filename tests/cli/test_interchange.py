"""`colophon import` and `colophon export`: the NDJSON interchange format, end to end."""

import asyncio
import shutil
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import create_engine
from api.interchange import importer
from api.services import search_index
from api.services.search_index import reindex_publications
from tests.cli.helpers import colophon, read_ndjson, write_ndjson
from tests.conftest import Database, DatabaseFactory

FILES = ("authors", "categories", "series", "tags", "publications")


@pytest.fixture
async def other_database(databases: DatabaseFactory, template: Database) -> Database:
    return await databases.clone(template)


def _copy(dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(dataset, target)
    return target


async def _index_then_rebuilt_index(url: str) -> tuple[list[Any], list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            imported = await _index_rows(conn)
            ids = (await conn.execute(text("SELECT id FROM publications"))).scalars().all()
            await reindex_publications(conn, ids)
            rebuilt = await _index_rows(conn)
            await conn.rollback()
    finally:
        await engine.dispose()
    return imported, rebuilt


async def _index_rows(conn: AsyncConnection) -> list[Any]:
    if conn.dialect.name == "sqlite":
        # Each entry with its facet keys (in any order): the importer writes them itself.
        rows = await conn.execute(
            text(
                "SELECT s.rowid, title, summary, names, body, k.keys FROM publication_search s "
                "JOIN publication_search_facets k ON k.publication_id = s.rowid ORDER BY s.rowid"
            )
        )
        return [(*row[:-1], sorted(row[-1].split(","))) for row in rows]
    query = (
        "SELECT publication_id, document::text, h.head::text, s.published_at, h.published_at, "
        "s.visible_from, h.visible_from, facet_keys FROM publication_search s "
        "JOIN publication_search_heads h USING (publication_id) ORDER BY 1"
    )
    return [tuple(row) for row in await conn.execute(text(query))]


def _export(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    outcome = colophon("export", str(out))
    assert outcome.exit_code == 0, outcome.stderr
    return out


class TestRoundTrip:
    def test_import_keeps_every_field_and_id_of_the_dataset(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        outcome = colophon("import", str(dataset))
        assert outcome.exit_code == 0, outcome.stderr
        exported = _export(tmp_path, "out")
        for name in FILES:
            given = read_ndjson(dataset / f"{name}.ndjson")
            written = {r["id"]: r for r in read_ndjson(exported / f"{name}.ndjson")}
            assert len(written) == len(given)
            for record in given:
                copy = written[str(record["id"])]
                for key, value in record.items():
                    assert _normalized(key, copy[key]) == _normalized(key, value), (name, key)

    def test_export_then_import_into_an_empty_database_is_identical(
        self,
        cli_env: Database,
        other_database: Database,
        dataset: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0
        first = _export(tmp_path, "first")
        monkeypatch.setenv("COLOPHON_DATABASE_URL", other_database.url)
        outcome = colophon("import", str(first))
        assert outcome.exit_code == 0, outcome.stderr
        second = _export(tmp_path, "second")
        for path in sorted(first.iterdir()):
            assert path.read_bytes() == (second / path.name).read_bytes(), path.name

    def test_importing_twice_changes_nothing(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0
        before = _export(tmp_path, "before")
        again = colophon("import", str(dataset))
        assert again.exit_code == 0, again.stderr
        assert "61 publications (0 written)" in again.stdout.replace("\n", " ")
        after = _export(tmp_path, "after")
        for path in sorted(before.iterdir()):
            assert path.read_bytes() == (after / path.name).read_bytes(), path.name

    def test_times_with_an_offset_are_kept_in_utc(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        source = _copy(dataset, tmp_path)
        path = source / "publications.ndjson"
        records = read_ndjson(path)
        # New Year's morning in Seoul is still the old year in UTC: the year facet too.
        records[0] = {**records[0], "published_at": "2018-01-01T05:30:00+09:00"}
        write_ndjson(path, records)
        authors = read_ndjson(source / "authors.ndjson")
        authors[0] = {**authors[0], "created_at": "2020-01-01T00:00:00-05:00"}
        write_ndjson(source / "authors.ndjson", authors)

        assert colophon("import", str(source)).exit_code == 0

        exported = _export(tmp_path, "out")
        publication = next(
            r
            for r in read_ndjson(exported / "publications.ndjson")
            if str(r["id"]) == str(records[0]["id"])
        )
        author = next(
            r
            for r in read_ndjson(exported / "authors.ndjson")
            if str(r["id"]) == str(authors[0]["id"])
        )
        assert publication["published_at"] == "2017-12-31T20:30:00Z"
        assert author["created_at"] == "2020-01-01T05:00:00Z"
        imported, rebuilt = asyncio.run(_index_then_rebuilt_index(cli_env.url))
        assert imported == rebuilt

    def test_ids_too_large_for_a_facet_key_are_indexed_as_rebuilding_gives(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        """PostgreSQL keeps facets as 4-byte keys (api/services/facet_keys.py); an id from
        2^29 up leaves the row without keys, as the importer and the SQL both decide: at
        the edge (2^29 - 1 fits, 2^29 does not) and far past it."""
        source = _copy(dataset, tmp_path)
        authors = read_ndjson(source / "authors.ndjson")
        renumbered = {authors[0]["id"]: 2**40, authors[1]["id"]: 2**29, authors[2]["id"]: 2**29 - 1}
        authors = [{**a, "id": renumbered.get(a["id"], a["id"])} for a in authors]
        write_ndjson(source / "authors.ndjson", authors)
        records = read_ndjson(source / "publications.ndjson")
        bylines = [cast(list[int], r["author_ids"]) for r in records]
        bylines = [[renumbered.get(a, a) for a in byline] for byline in bylines]
        records = [{**r, "author_ids": byline} for r, byline in zip(records, bylines, strict=True)]
        write_ndjson(source / "publications.ndjson", records)

        outcome = colophon("import", str(source))
        assert outcome.exit_code == 0, outcome.stderr
        imported, rebuilt = asyncio.run(_index_then_rebuilt_index(cli_env.url))
        assert imported == rebuilt
        if cli_env.backend == "postgresql":
            wide = [row for row in imported if row[-1] is None]
            too_large = {2**40, 2**29}
            assert 0 < len(wide) == sum(bool(too_large & set(byline)) for byline in bylines)
            assert any(2**29 - 1 in byline for byline in bylines)

    def test_a_changed_record_is_updated_in_place_and_its_version_advances(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0
        changed = _copy(dataset, tmp_path)
        publications = read_ndjson(changed / "publications.ndjson")
        publications[3]["title"] = "A New Title"
        write_ndjson(changed / "publications.ndjson", publications)
        outcome = colophon("import", str(changed))
        assert outcome.exit_code == 0, outcome.stderr
        assert "(1 written)" in outcome.stdout
        exported = {
            r["id"]: r for r in read_ndjson(_export(tmp_path, "out") / "publications.ndjson")
        }
        assert len(exported) == len(publications)
        record = exported[str(publications[3]["id"])]
        assert record["title"] == "A New Title"
        assert record["version"] == 2

    def test_the_search_index_is_what_rebuilding_it_from_the_tables_gives(
        self, cli_env: Database, dataset: Path
    ) -> None:
        """The importer assembles each document's text itself, and on PostgreSQL computes
        its vector on another connection: the index must not tell the difference."""
        assert colophon("import", str(dataset)).exit_code == 0
        imported, rebuilt = asyncio.run(_index_then_rebuilt_index(cli_env.url))
        assert len(imported) == 61
        assert imported == rebuilt

    def test_a_later_line_with_an_earlier_batchs_id_replaces_it(
        self,
        cli_env: Database,
        dataset: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(importer, "BATCH_SIZE", 10)  # lines 3 and 25: batches 1 and 3
        changed = _copy(dataset, tmp_path)
        publications = read_ndjson(changed / "publications.ndjson")
        publications[24] = {**publications[2], "title": "The Later Line"}
        write_ndjson(changed / "publications.ndjson", publications)

        outcome = colophon("import", str(changed))

        assert outcome.exit_code == 0, outcome.stderr
        exported = read_ndjson(_export(tmp_path, "out") / "publications.ndjson")
        assert len(exported) == len(publications) - 1
        titles = {r["id"]: r["title"] for r in exported}
        assert titles[str(publications[2]["id"])] == "The Later Line"

    def test_integer_and_string_ids_are_the_same_record(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0
        stringly = _export(tmp_path, "strings")
        assert colophon("import", str(stringly)).exit_code == 0
        again = read_ndjson(_export(tmp_path, "again") / "authors.ndjson")
        assert len(again) == len(read_ndjson(dataset / "authors.ndjson"))


async def _schema(url: str) -> list[tuple[Any, ...]]:
    """Every constraint and index (PostgreSQL) or every schema object (SQLite)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                query = "SELECT type, name, sql FROM sqlite_master ORDER BY 1, 2, 3"
            else:
                query = """
                    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                    FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
                    UNION ALL
                    SELECT tablename, indexname, indexdef FROM pg_indexes
                    WHERE schemaname = current_schema()
                    ORDER BY 1, 2, 3
                """
            return [tuple(row) for row in await conn.execute(text(query))]
    finally:
        await engine.dispose()


async def _pending_pages(url: str) -> list[int]:
    """Pages left in the search indexes' GIN pending lists (cleaning them reports how many)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(
                text(
                    "SELECT gin_clean_pending_list(i.indexrelid::regclass) FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                    " WHERE i.indrelid IN ('publication_search'::regclass,"
                    " 'publication_search_heads'::regclass) AND a.amname = 'gin'"
                    " ORDER BY c.relname"
                )
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


class TestBulkFirstLoad:
    """A large first load sets the database's checks aside and restores them before it
    commits (PostgreSQL: foreign keys checked once at the end, search indexes built once).
    The dataset is made to count as large by lowering the threshold."""

    @pytest.fixture(autouse=True)
    def bulk(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(search_index, "BULK_LOAD_MINIMUM", 1)

    def test_the_schema_after_the_load_is_the_schema_before(
        self, cli_env: Database, dataset: Path
    ) -> None:
        before = asyncio.run(_schema(cli_env.url))
        assert colophon("import", str(dataset)).exit_code == 0
        assert asyncio.run(_schema(cli_env.url)) == before
        if cli_env.backend == "postgresql":
            assert any(row[1] == "fk_footnotes_publication_id_publications" for row in before)

    def test_the_restored_foreign_keys_still_refuse_a_dangling_link(
        self, cli_env: Database, dataset: Path
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0

        async def link_to_a_missing_author() -> None:
            engine = create_engine(cli_env.url)
            try:
                async with engine.begin() as conn:
                    publication = await conn.scalar(text("SELECT min(id) FROM publications"))
                    await conn.execute(
                        text(
                            "INSERT INTO publication_authors (publication_id, author_id, position)"
                            " VALUES (:p, 999999, 9)"
                        ),
                        {"p": publication},
                    )
            finally:
                await engine.dispose()

        with pytest.raises(IntegrityError):
            asyncio.run(link_to_a_missing_author())

    def test_the_search_index_is_what_rebuilding_it_gives(
        self, cli_env: Database, dataset: Path
    ) -> None:
        assert colophon("import", str(dataset)).exit_code == 0
        if cli_env.backend == "postgresql":
            # Built before the last batches were written, the GIN indexes took those
            # entries into pending lists, which the import merged before it committed.
            assert asyncio.run(_pending_pages(cli_env.url)) == [0, 0]
        imported, rebuilt = asyncio.run(_index_then_rebuilt_index(cli_env.url))
        assert len(imported) == 61
        assert imported == rebuilt

    def test_a_bad_last_line_leaves_nothing_and_the_schema_whole(
        self, cli_env: Database, dataset: Path, tmp_path: Path
    ) -> None:
        before = asyncio.run(_schema(cli_env.url))
        broken = _copy(dataset, tmp_path)
        path = broken / "publications.ndjson"
        records = read_ndjson(path)
        records[-1] = {**records[-1], "author_ids": [424242]}
        write_ndjson(path, records)

        outcome = colophon("import", str(broken))

        assert outcome.exit_code == 1
        assert f"publications.ndjson:{len(records)}: author_ids[0]" in outcome.stderr
        assert asyncio.run(_schema(cli_env.url)) == before
        exported = _export(tmp_path, "after")
        assert all(not read_ndjson(exported / f"{name}.ndjson") for name in FILES)


class TestBadInput:
    """Each bad input stops the import with file, line and field, and writes nothing."""

    @pytest.mark.parametrize(
        ("file", "line", "corrupt", "expected"),
        [
            ("publications", 5, lambda r: b"{not json", "publications.ndjson:5: malformed JSON"),
            (
                "publications",
                7,
                lambda r: {**r, "author_ids": [r["author_ids"][0], 99999]},
                "publications.ndjson:7: author_ids[1]: no author with id 99999",
            ),
            (
                "publications",
                9,
                lambda r: {**r, "series_id": 4242},
                "publications.ndjson:9: series_id: no series with id 4242",
            ),
            (
                "publications",
                10,
                lambda r: {**r, "category_ids": [77777]},
                "publications.ndjson:10: category_ids[0]: no category with id 77777",
            ),
            (
                "publications",
                12,
                lambda r: {**r, "slug": "a-new-approach-dup"},
                "publications.ndjson:12: slug:",
            ),
            (
                "publications",
                3,
                lambda r: {k: v for k, v in r.items() if k != "title"},
                "publications.ndjson:3: title: Field required",
            ),
            (
                "publications",
                4,
                lambda r: {**r, "colour": "red"},
                "publications.ndjson:4: colour: Extra inputs are not permitted",
            ),
            (
                "publications",
                6,
                lambda r: {
                    **r,
                    "body_markdown": "One.[^1] Two.[^2]",
                    "footnotes": [
                        {"number": 1, "text": "a", "url": None},
                        {"number": 2, "text": "b", "url": None},
                        {"number": 2, "text": "c", "url": None},
                    ],
                },
                "publications.ndjson:6: footnotes[2].number: footnote number 2 is repeated",
            ),
            (
                "publications",
                8,
                lambda r: {**r, "body_markdown": "See[^3].", "footnotes": []},
                "publications.ndjson:8: body_markdown: [^3] is referenced but has no footnote",
            ),
            (
                "authors",
                2,
                lambda r: {**r, "slug": "Not A Slug"},
                "authors.ndjson:2: slug: String should match pattern",
            ),
            ("tags", 1, lambda r: {**r, "id": "12abc"}, "tags.ndjson:1: id:"),
        ],
        ids=[
            "malformed-json",
            "unknown-author",
            "unknown-series",
            "unknown-category",
            "duplicate-slug",
            "missing-field",
            "unknown-field",
            "repeated-footnote",
            "missing-footnote",
            "bad-slug",
            "bad-id",
        ],
    )
    def test_bad_line_is_named_and_nothing_is_written(
        self,
        cli_env: Database,
        dataset: Path,
        tmp_path: Path,
        file: str,
        line: int,
        corrupt: object,
        expected: str,
    ) -> None:
        broken = _copy(dataset, tmp_path)
        path = broken / f"{file}.ndjson"
        lines = path.read_bytes().splitlines()
        if file == "publications" and expected.endswith("slug:"):
            first = orjson.loads(lines[0])
            first["slug"] = "a-new-approach-dup"
            lines[0] = orjson.dumps(first)
        assert callable(corrupt)
        replaced = corrupt(orjson.loads(lines[line - 1]))
        lines[line - 1] = replaced if isinstance(replaced, bytes) else orjson.dumps(replaced)
        path.write_bytes(b"\n".join(lines) + b"\n")

        outcome = colophon("import", str(broken))

        assert outcome.exit_code == 1
        message = " ".join(outcome.stderr.split())
        assert expected in message
        assert "nothing was imported" in message
        assert "Traceback" not in outcome.stderr
        exported = _export(tmp_path, "after")
        assert all(not read_ndjson(exported / f"{name}.ndjson") for name in FILES)

    def test_a_directory_without_interchange_files_is_refused(
        self, cli_env: Database, tmp_path: Path
    ) -> None:
        outcome = colophon("import", str(tmp_path))
        assert outcome.exit_code == 1
        assert "no interchange files" in outcome.stderr

    def test_a_missing_directory_is_refused(self, cli_env: Database, tmp_path: Path) -> None:
        outcome = colophon("import", str(tmp_path / "nowhere"))
        assert outcome.exit_code == 1
        assert "not a directory" in outcome.stderr


def _normalized(key: str, value: object) -> object:
    """The export writes ids as strings and fills in optional fields the input left out."""
    if key == "id" or key.endswith("_id"):
        return None if value is None else str(value)
    if key.endswith("_ids") and isinstance(value, list):
        return [str(v) for v in value]
    if key == "featured_image" and isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    if key == "footnotes" and isinstance(value, list):
        return [{k: v for k, v in note.items() if v is not None} for note in value]
    return value
