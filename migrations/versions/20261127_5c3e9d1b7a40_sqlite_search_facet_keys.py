"""SQLite search: each publication's facet keys in one short row beside the index

Revision ID: 5c3e9d1b7a40
Revises: 2a607b2fb13f
Create Date: 2026-11-27 03:40:00.000000

Counting facets over tens of thousands of matches cost a lookup per match in the narrow
index on publications and in each link table, then a sort per facet (SQLite has no hash
aggregation). One short row per publication (`y2019s3c12c7,a345,a988`: the year, series
and categories as one key, then each author) is read by rowid instead, and the
application counts the keys. PostgreSQL keeps the same facts in its index rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c3e9d1b7a40"
down_revision: str | None = "2a607b2fb13f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with api/services/search_index.py, which writes the same keys.
_KEYS = """
    coalesce('y' || substr(p.published_at, 1, 4), '') || coalesce('s' || p.series_id, '')
    || coalesce((SELECT group_concat('c' || pc.category_id, '') FROM publication_categories pc
                 WHERE pc.publication_id = p.id), '')
    || coalesce((SELECT ',' || group_concat('a' || pa.author_id, ',')
                 FROM publication_authors pa WHERE pa.publication_id = p.id), '')
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE publication_search_facets ("
        "publication_id INTEGER NOT NULL PRIMARY KEY "
        "REFERENCES publications (id) ON DELETE CASCADE, "
        "keys TEXT NOT NULL)"
    )
    op.execute(
        f"INSERT INTO publication_search_facets (publication_id, keys) SELECT p.id, {_KEYS} "  # noqa: S608 -- fixed SQL, no input
        "FROM publications p"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE publication_search_facets")
