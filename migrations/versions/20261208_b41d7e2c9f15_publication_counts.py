"""Published publications counted per site, category, author, tag and series, by triggers

Revision ID: b41d7e2c9f15
Revises: e7b3c1d9a4f2
Create Date: 2026-12-08 04:38:51.522480

A public list's total counted its rows at every request: a category's links less the
hidden publications, ~12 ms at 100,000 publications and ~120 ms at 1,000,000, most of a
category page's statement. `publication_counts` keeps how many *published* publications
each term has (and the site, kind `all`, term 0); a total adds the few scheduled ones whose
moment has come (api/services/counts.py).

The database keeps the counts itself, in the transaction of each write, so no path can
forget them: the editor API, an import, the worker publishing what is due, a migration.
PostgreSQL counts once per statement from its transition tables (an import's COPY of
10,000 links is one grouped update, not 10,000 updates of the same rows, which would leave
a row version each); SQLite, which has only row triggers, once per row, in place.

Deleting a published publication first deletes its links, while it still counts as
published, so that the links' triggers take it out of its terms (the cascade that would
delete them later runs when the publication is gone). A decrease never creates a row:
deleting a term deletes its row, whatever order the database fires the rest in.
"""

# Every name and literal in this file's SQL is one of its own constants; none comes from input.
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b41d7e2c9f15"
down_revision: str | None = "e7b3c1d9a4f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as this revision wrote them: (link table, term column, kind).
LINKS = (
    ("publication_categories", "category_id", "category"),
    ("publication_authors", "author_id", "author"),
    ("publication_tags", "tag_id", "tag"),
)
TERMS = (("categories", "category"), ("authors", "author"), ("tags", "tag"), ("series", "series"))
PUBLISHED = "'published'"
# The transaction-level advisory lock a write takes before it changes a count (`_apply`).
COUNTS_LOCK = 7_281_004_411


def upgrade() -> None:
    op.create_table(
        "publication_counts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("term_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "published", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('all', 'category', 'author', 'tag', 'series')",
            name=op.f("ck_publication_counts_kind"),
        ),
        sa.PrimaryKeyConstraint("kind", "term_id", name=op.f("pk_publication_counts")),
    )
    op.execute(_BACKFILL)
    for _, _, statements in _triggers():
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, name, _ in _triggers():
        if postgres:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("publication_counts")


# (table, trigger name, the statements that create it)
Trigger = tuple[str, str, list[str]]


def _triggers() -> list[Trigger]:
    return _postgres() if op.get_bind().dialect.name == "postgresql" else _sqlite()


_BACKFILL = f"""
    INSERT INTO publication_counts (kind, term_id, published)
    SELECT 'all', 0, count(*) FROM publications WHERE status = {PUBLISHED}
    UNION ALL
    SELECT 'series', series_id, count(*) FROM publications
    WHERE status = {PUBLISHED} AND series_id IS NOT NULL GROUP BY series_id
""" + "".join(
    f"""
    UNION ALL
    SELECT '{kind}', l.{column}, count(*) FROM {link} l
    JOIN publications p ON p.id = l.publication_id
    WHERE p.status = {PUBLISHED} GROUP BY l.{column}"""
    for link, column, kind in LINKS
)

# --- PostgreSQL: statement triggers over transition tables ---------------------------------


def _apply(deltas: str, prefix: str = "") -> str:
    """Add each (kind, term_id, n) of `deltas` to its count: rises are upserted, falls only
    lower rows that exist. A write that changes a count first takes `COUNTS_LOCK` until it
    commits, so writers of counts go one at a time: each may lower some counts in one
    statement and raise others in the next (new links replacing old ones), and two taking
    rows in different orders would deadlock. Every such write also raises the content
    version, whose one row serialized them already at their end."""
    with_prefix = f"WITH {prefix.rstrip().rstrip(',')} " if prefix else ""
    return f"""
    FOR d IN {with_prefix}
        SELECT kind, term_id, sum(n) AS n FROM ({deltas}) AS x(kind, term_id, n)
        GROUP BY kind, term_id HAVING sum(n) <> 0 ORDER BY kind, term_id
    LOOP
        PERFORM pg_advisory_xact_lock({COUNTS_LOCK});
        IF d.n > 0 THEN
            INSERT INTO publication_counts AS c (kind, term_id, published)
            VALUES (d.kind, d.term_id, d.n)
            ON CONFLICT (kind, term_id) DO UPDATE SET published = c.published + EXCLUDED.published;
        ELSE
            UPDATE publication_counts SET published = published + d.n
            WHERE kind = d.kind AND term_id = d.term_id;
        END IF;
    END LOOP;
    """


def _postgres_trigger(
    table: str, name: str, timing: str, references: str, body: str, *, per_row: bool = False
) -> Trigger:
    """A trigger and its function, both named `colophon_count_{name}`."""
    name = f"colophon_count_{name}"
    returned = "OLD" if per_row else "NULL"
    return (
        table,
        name,
        [
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE d record; BEGIN {body} RETURN {returned}; END $$""",
            f"""CREATE TRIGGER {name} {timing} ON {table} {references}
        FOR EACH {"ROW" if per_row else "STATEMENT"} EXECUTE FUNCTION {name}()""",
        ],
    )


def _postgres() -> list[Trigger]:
    linked = " ".join(
        f"UNION ALL SELECT '{kind}', l.{column}, f.n FROM flipped f"
        f" JOIN {link} l ON l.publication_id = f.id"
        for link, column, kind in LINKS
    )
    changed = f"""changed AS (
        SELECT o.id, o.status = {PUBLISHED} AS was, n.status = {PUBLISHED} AS is_now,
               o.series_id AS old_series, n.series_id AS new_series
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.status IS DISTINCT FROM n.status OR o.series_id IS DISTINCT FROM n.series_id
    ), flipped AS (
        SELECT id, CASE WHEN is_now THEN 1 ELSE -1 END AS n FROM changed WHERE was <> is_now
    ),"""
    triggers = [
        _postgres_trigger(
            "publications", "publications_inserted", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows",
            _apply(f"SELECT 'all', 0::bigint, 1 FROM new_rows WHERE status = {PUBLISHED}"
                   " UNION ALL SELECT 'series', series_id, 1 FROM new_rows"
                   f" WHERE status = {PUBLISHED} AND series_id IS NOT NULL"),
        ),
        _postgres_trigger(
            "publications", "publications_updated", "AFTER UPDATE",
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _apply("SELECT 'all', 0::bigint, n FROM flipped"
                   " UNION ALL SELECT 'series', old_series, -1 FROM changed"
                   " WHERE was AND old_series IS NOT NULL"
                   " UNION ALL SELECT 'series', new_series, 1 FROM changed"
                   f" WHERE is_now AND new_series IS NOT NULL {linked}", prefix=changed),
        ),
        _postgres_trigger(
            "publications", "publications_deleting", "BEFORE DELETE", "",
            f"IF OLD.status = {PUBLISHED} THEN PERFORM pg_advisory_xact_lock({COUNTS_LOCK}); "
            + " ".join(f"DELETE FROM {link} WHERE publication_id = OLD.id;" for link, _, _ in LINKS)
            + " UPDATE publication_counts SET published = published - 1"
            " WHERE (kind = 'all' AND term_id = 0) OR (kind = 'series' AND term_id = OLD.series_id);"
            " END IF;",
            per_row=True,
        ),
    ]  # fmt: skip
    for link, column, kind in LINKS:
        counted = f"JOIN publications p ON p.id = l.publication_id WHERE p.status = {PUBLISHED}"
        added = f"SELECT '{kind}', l.{column}, 1 FROM new_rows l {counted}"
        removed = f"SELECT '{kind}', l.{column}, -1 FROM old_rows l {counted}"
        triggers += [
            _postgres_trigger(link, f"{link}_inserted", "AFTER INSERT",
                              "REFERENCING NEW TABLE AS new_rows", _apply(added)),
            _postgres_trigger(link, f"{link}_deleted", "AFTER DELETE",
                              "REFERENCING OLD TABLE AS old_rows", _apply(removed)),
            _postgres_trigger(link, f"{link}_updated", "AFTER UPDATE",
                              "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                              _apply(f"{removed} UNION ALL {added}")),
        ]  # fmt: skip
    for table, kind in TERMS:
        triggers.append(_postgres_trigger(
            table, f"{table}_deleted", "AFTER DELETE", "REFERENCING OLD TABLE AS old_rows",
            f"DELETE FROM publication_counts WHERE kind = '{kind}'"
            " AND term_id IN (SELECT id FROM old_rows);",
        ))  # fmt: skip
    return triggers


# --- SQLite: row triggers ------------------------------------------------------------------

_RAISE = "ON CONFLICT (kind, term_id) DO UPDATE SET published = published + 1"


def _sqlite_trigger(table: str, name: str, event: str, body: str, when: str = "") -> Trigger:
    name = f"colophon_count_{name}"
    condition = f"WHEN {when}" if when else ""
    return table, name, [f"CREATE TRIGGER {name} {event} ON {table} {condition} BEGIN {body} END"]


def _is_published(publication_id: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM publications WHERE id = {publication_id} AND status = {PUBLISHED})"
    )


def _sqlite() -> list[Trigger]:
    linked = " OR ".join(
        f"(kind = '{kind}' AND term_id IN (SELECT {column} FROM {link} WHERE publication_id = NEW.id))"
        for link, column, kind in LINKS
    )
    joined = " ".join(
        f"UNION ALL SELECT '{kind}', {column} FROM {link}"
        f" WHERE publication_id = NEW.id AND OLD.status <> {PUBLISHED}"
        for link, column, kind in LINKS
    )
    triggers = [
        _sqlite_trigger(
            "publications", "publications_inserted", "AFTER INSERT",
            f"INSERT INTO publication_counts (kind, term_id, published) VALUES ('all', 0, 1) {_RAISE};"
            " INSERT INTO publication_counts (kind, term_id, published)"
            f" SELECT 'series', NEW.series_id, 1 WHERE NEW.series_id IS NOT NULL {_RAISE};",
            when=f"NEW.status = {PUBLISHED}",
        ),
        _sqlite_trigger(
            "publications", "publications_updated", "AFTER UPDATE OF status, series_id",
            # What the old row counted in and the new one does not...
            "UPDATE publication_counts SET published = published - 1"
            f" WHERE OLD.status = {PUBLISHED} AND ("
            "(kind = 'series' AND term_id = OLD.series_id"
            f" AND (NEW.status <> {PUBLISHED} OR NEW.series_id IS NOT OLD.series_id))"
            f" OR (NEW.status <> {PUBLISHED} AND ((kind = 'all' AND term_id = 0) OR {linked})));"
            # ...and what the new row counts in and the old one did not.
            " INSERT INTO publication_counts (kind, term_id, published)"
            " SELECT kind, term_id, 1 FROM ("
            " SELECT 'series' AS kind, NEW.series_id AS term_id"
            f" WHERE NEW.series_id IS NOT NULL AND (OLD.status <> {PUBLISHED}"
            " OR OLD.series_id IS NOT NEW.series_id)"
            f" UNION ALL SELECT 'all', 0 WHERE OLD.status <> {PUBLISHED} {joined})"
            f" WHERE NEW.status = {PUBLISHED} {_RAISE};",
            when=f"(OLD.status = {PUBLISHED}) <> (NEW.status = {PUBLISHED})"
            " OR OLD.series_id IS NOT NEW.series_id",
        ),
        _sqlite_trigger(
            "publications", "publications_deleting", "BEFORE DELETE",
            " ".join(f"DELETE FROM {link} WHERE publication_id = OLD.id;" for link, _, _ in LINKS)
            + " UPDATE publication_counts SET published = published - 1"
            " WHERE (kind = 'all' AND term_id = 0) OR (kind = 'series' AND term_id = OLD.series_id);",
            when=f"OLD.status = {PUBLISHED}",
        ),
    ]  # fmt: skip
    for link, column, kind in LINKS:
        add = (
            "INSERT INTO publication_counts (kind, term_id, published)"
            f" SELECT '{kind}', NEW.{column}, 1 WHERE {_is_published('NEW.publication_id')} {_RAISE};"
        )
        remove = (
            "UPDATE publication_counts SET published = published - 1"
            f" WHERE kind = '{kind}' AND term_id = OLD.{column}"
            f" AND {_is_published('OLD.publication_id')};"
        )
        triggers += [
            _sqlite_trigger(link, f"{link}_inserted", "AFTER INSERT", add),
            _sqlite_trigger(link, f"{link}_deleted", "AFTER DELETE", remove),
            _sqlite_trigger(
                link, f"{link}_updated", f"AFTER UPDATE OF {column}, publication_id",
                f"{remove} {add}",
                when=f"OLD.{column} IS NOT NEW.{column} OR OLD.publication_id IS NOT NEW.publication_id",
            ),
        ]  # fmt: skip
    for table, kind in TERMS:
        triggers.append(
            _sqlite_trigger(
                table, f"{table}_deleted", "AFTER DELETE",
                f"DELETE FROM publication_counts WHERE kind = '{kind}' AND term_id = OLD.id;",
            )
        )  # fmt: skip
    return triggers
