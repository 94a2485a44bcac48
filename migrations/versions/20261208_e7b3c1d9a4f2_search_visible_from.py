"""PostgreSQL search: each index row knows from when the public may see it

Revision ID: e7b3c1d9a4f2
Revises: c5e2a9d4f018
Create Date: 2026-12-08 03:30:00.000000

A public search left out the few hidden publications by id (`NOT IN` a hashed list of
every draft): at 1,000,000 publications, building that list and probing it once per match
took ~80 ms of a broad word's 200 ms count. Both index tables now keep `visible_from`: -infinity
for a published publication, its date for a scheduled one, NULL for the others
(api/services/visibility.py), and a public search compares it with the moment asked.

Each table is rewritten once, with the new column's values, and its indexes built again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e7b3c1d9a4f2"
down_revision: str | None = "c5e2a9d4f018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As api/services/visibility.py writes it, for one publication.
_VISIBLE_FROM = """
    CREATE FUNCTION pg_temp.colophon_visible_from(bigint) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
        SELECT CASE p.status WHEN 'published' THEN '-infinity'::timestamptz
                             WHEN 'scheduled' THEN p.published_at END
        FROM publications p WHERE p.id = $1
    $$
"""
_TABLES = ("publication_search", "publication_search_heads")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(_VISIBLE_FROM)
    for table in _TABLES:
        # Rewriting the table through a change of the column's "type" writes each row once,
        # with its value, and rebuilds the indexes after: an UPDATE would leave every old
        # row version in the table until a VACUUM FULL, since CLUSTER in the same
        # transaction keeps them, and enter each new one in the GIN index.
        op.execute(f"ALTER TABLE {table} ADD COLUMN visible_from TIMESTAMPTZ")
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN visible_from TYPE TIMESTAMPTZ "
            "USING pg_temp.colophon_visible_from(publication_id)"
        )
    op.execute("DROP FUNCTION pg_temp.colophon_visible_from(bigint)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN visible_from")
