"""PostgreSQL search: each index row's facets as one binary string of keys

Revision ID: c5e2a9d4f018
Revises: 6aaa1279506c
Create Date: 2026-12-08 01:20:00.000000

A search's facets were counted in SQL, an `unnest` and a hash aggregate per kind over the
series, category and author columns of every match: three times the cost of the scan that
finds them. The row now holds the same facts as `facet_keys`, a 4-byte key per value
(`value * 4 + kind`: year, series, category, author; sorted), which a search concatenates
for all its matches and counts in the process (api/services/facet_keys.py). A row whose
ids do not fit in a key keeps NULL; searches read its facets from its tables.

The GIN index of the documents is dropped while every row is rewritten (each new row
version would otherwise be entered in it again), then built once.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c5e2a9d4f018"
down_revision: str | None = "6aaa1279506c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(value: str, kind: int) -> str:
    return f"CASE WHEN {value} < 536870912 THEN {value} * 4 + {kind} ELSE -1 END"


# From the row's own copies of its facets, as api/services/facet_keys.py builds them from
# the publication and its links.
_KEYS = f"""
    (SELECT CASE WHEN coalesce(bool_and(k BETWEEN 0 AND 2147483647), true)
                 THEN coalesce(string_agg(int4send(k::int4), ''::bytea ORDER BY k), ''::bytea)
            END
     FROM (SELECT extract(year FROM published_at AT TIME ZONE 'UTC')::bigint * 4 AS k
           WHERE published_at IS NOT NULL
           UNION ALL SELECT {_key("series_id", 1)} WHERE series_id IS NOT NULL
           UNION ALL SELECT {_key("c", 2)} FROM unnest(category_ids) AS c
           UNION ALL SELECT {_key("a", 3)} FROM unnest(author_ids) AS a) AS keys)
"""  # noqa: S608 -- fixed SQL fragments, no user input
_FACETS = """
    p.series_id,
    ARRAY(SELECT pc.category_id FROM publication_categories pc
          WHERE pc.publication_id = p.id ORDER BY pc.category_id),
    ARRAY(SELECT pa.author_id FROM publication_authors pa
          WHERE pa.publication_id = p.id ORDER BY pa.author_id)
"""


def _rewritten(*statements: str) -> None:
    """Run `statements` with the documents' GIN index away, then compact the table."""
    op.execute("DROP INDEX ix_publication_search_document")
    for statement in statements:
        op.execute(statement)
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CLUSTER publication_search USING pk_publication_search")
    op.execute(
        "CREATE INDEX ix_publication_search_document ON publication_search USING GIN (document)"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rewritten(
        "ALTER TABLE publication_search ADD COLUMN facet_keys BYTEA",
        f"UPDATE publication_search SET facet_keys = {_KEYS}",  # noqa: S608 -- fixed SQL
        "ALTER TABLE publication_search "
        "DROP COLUMN series_id, DROP COLUMN category_ids, DROP COLUMN author_ids",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rewritten(
        "ALTER TABLE publication_search ADD COLUMN series_id BIGINT, "
        "ADD COLUMN category_ids BIGINT[], ADD COLUMN author_ids BIGINT[]",
        "UPDATE publication_search s SET (series_id, category_ids, author_ids) = "  # noqa: S608
        f"(SELECT {_FACETS}) FROM publications p WHERE p.id = s.publication_id",
        "ALTER TABLE publication_search ALTER COLUMN category_ids SET NOT NULL, "
        "ALTER COLUMN author_ids SET NOT NULL, DROP COLUMN facet_keys, "
        "ADD CONSTRAINT fk_publication_search_series_id_series "
        "FOREIGN KEY (series_id) REFERENCES series (id) ON DELETE SET NULL",
    )
    op.execute("CREATE INDEX ix_publication_search_series_id ON publication_search (series_id)")
