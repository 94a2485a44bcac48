"""PostgreSQL search: heads in a table of their own, so the index rows are narrow

Revision ID: 6aaa1279506c
Revises: 7d2e41c09a3b
Create Date: 2026-12-07 22:10:00.000000

Counting a broad query's matches and their facets reads the index row of every match. The
head (the title, subtitle, excerpt and names as a tsvector, ~580 bytes) was most of each
~740-byte row, so those scans read five times the pages the facet columns need. Heads now
live in `publication_search_heads`, beside a copy of the date that orders their ties, and
only the ranking of candidates reads them. The narrowed index table is rewritten in place
(CLUSTER), which keeps its storage settings and rebuilds its indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6aaa1279506c"
down_revision: str | None = "7d2e41c09a3b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE publication_search_heads ("
        "publication_id BIGINT NOT NULL, head TSVECTOR NOT NULL, "
        "published_at TIMESTAMP WITH TIME ZONE, "
        "CONSTRAINT pk_publication_search_heads PRIMARY KEY (publication_id), "
        "CONSTRAINT fk_publication_search_heads_publication_id_publications "
        "FOREIGN KEY (publication_id) REFERENCES publications (id) ON DELETE CASCADE)"
    )
    op.execute(
        "INSERT INTO publication_search_heads (publication_id, head, published_at) "
        "SELECT publication_id, head, published_at FROM publication_search "
        "ORDER BY publication_id"
    )
    op.execute("DROP INDEX ix_publication_search_head")
    op.execute("ALTER TABLE publication_search DROP COLUMN head")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CLUSTER publication_search USING pk_publication_search")
    op.execute(
        "CREATE INDEX ix_publication_search_head ON publication_search_heads USING GIN (head)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE publication_search ADD COLUMN head TSVECTOR")
    op.execute(
        "UPDATE publication_search s SET head = h.head "
        "FROM publication_search_heads h WHERE h.publication_id = s.publication_id"
    )
    op.execute("ALTER TABLE publication_search ALTER COLUMN head SET NOT NULL")
    op.execute("DROP TABLE publication_search_heads")
    op.execute("CREATE INDEX ix_publication_search_head ON publication_search USING GIN (head)")
