"""Search at scale: heads and facets beside the index, and the few hidden publications

Revision ID: 2a607b2fb13f
Revises: 85b5ece1adf6
Create Date: 2026-11-26 22:30:00.000000

Search storage is outside the ORM metadata, so this is written by hand, as the first
migration wrote it. On PostgreSQL the index table is rebuilt with the new columns filled
in one pass (instead of updating every row, which would also insert every row's lexemes
into the GIN index again), and the document column keeps no planner statistics (see below).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2a607b2fb13f"
down_revision: str | None = "85b5ece1adf6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with api/services/search_index.py, which writes the same columns.
_NAMES = """
    coalesce((SELECT string_agg(name, ' ') FROM (
        SELECT a.name FROM publication_authors pa JOIN authors a ON a.id = pa.author_id
        WHERE pa.publication_id = p.id ORDER BY pa.position) AS o), '')
    || ' ' ||
    coalesce((SELECT string_agg(name, ' ') FROM (
        SELECT c.name FROM publication_categories pc JOIN categories c ON c.id = pc.category_id
        WHERE pc.publication_id = p.id ORDER BY pc.position) AS o), '')
    || ' ' ||
    coalesce((SELECT s.name FROM series s WHERE s.id = p.series_id), '')
"""
_HEAD = f"""
    setweight(to_tsvector('english', p.title), 'A')
    || setweight(to_tsvector('english', coalesce(p.subtitle, '') || ' ' || coalesce(p.excerpt, '')), 'B')
    || setweight(to_tsvector('english', {_NAMES}), 'C')
"""
_FACETS = """
    p.published_at, p.series_id,
    ARRAY(SELECT pc.category_id FROM publication_categories pc
          WHERE pc.publication_id = p.id ORDER BY pc.category_id),
    ARRAY(SELECT pa.author_id FROM publication_authors pa
          WHERE pa.publication_id = p.id ORDER BY pa.author_id)
"""
# Publications the public may not see: few (drafts, archived, scheduled for later), so
# search excludes them rather than joining the many it may show.
_UNPUBLISHED = sa.text("status <> 'published'")


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_publications_unpublished",
            ["id", "status", "published_at"],
            unique=False,
            sqlite_where=_UNPUBLISHED,
            postgresql_where=_UNPUBLISHED,
        )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite keeps bodies inside the row, before the date and series columns: reading
        # those for every match would walk each body's overflow pages. This narrow copy of
        # them answers facets and tie-breaks from the index alone.
        op.execute(
            "CREATE INDEX ix_publication_search_facets ON publications (id, published_at, series_id)"
        )
        return
    _rebuild_postgres_index()


def _rebuild_postgres_index() -> None:
    op.execute(
        "CREATE TABLE publication_search_new ("
        "publication_id BIGINT NOT NULL, head TSVECTOR NOT NULL, document TSVECTOR NOT NULL, "
        "published_at TIMESTAMP WITH TIME ZONE, series_id BIGINT, "
        "category_ids BIGINT[] NOT NULL, author_ids BIGINT[] NOT NULL)"
    )
    # Detoasting a document costs far more than the planner knows, so with statistics it
    # reads every document for a common word instead of the GIN index. Without them it
    # estimates each query as selective and uses the index, which is right for all of them.
    op.execute("ALTER TABLE publication_search_new ALTER COLUMN document SET STATISTICS 0")
    _use_lz4("publication_search_new", "document")
    op.execute(
        f"""
        INSERT INTO publication_search_new
            (publication_id, head, document, published_at, series_id, category_ids, author_ids)
        SELECT p.id, {_HEAD}, s.document, {_FACETS}
        FROM publication_search s JOIN publications p ON p.id = s.publication_id
        """  # noqa: S608 -- fixed SQL fragments, no user input
    )
    op.execute("DROP TABLE publication_search")
    op.execute("ALTER TABLE publication_search_new RENAME TO publication_search")
    op.execute(
        "ALTER TABLE publication_search "
        "ADD CONSTRAINT pk_publication_search PRIMARY KEY (publication_id), "
        "ADD CONSTRAINT fk_publication_search_publication_id_publications "
        "FOREIGN KEY (publication_id) REFERENCES publications (id) ON DELETE CASCADE, "
        # A deleted series leaves its publications (publications.series_id does the same).
        "ADD CONSTRAINT fk_publication_search_series_id_series "
        "FOREIGN KEY (series_id) REFERENCES series (id) ON DELETE SET NULL"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(
        "CREATE INDEX ix_publication_search_document ON publication_search USING GIN (document)"
    )
    op.execute("CREATE INDEX ix_publication_search_head ON publication_search USING GIN (head)")
    op.execute("CREATE INDEX ix_publication_search_series_id ON publication_search (series_id)")


def _use_lz4(table: str, column: str) -> None:
    """As the first migration: lz4 where the server has it, else the default."""
    try:
        with op.get_bind().begin_nested():
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")
    except sa.exc.DBAPIError:
        return


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_publication_search_facets")
    else:
        op.execute("DROP INDEX ix_publication_search_head")
        op.execute("DROP INDEX ix_publication_search_series_id")
        op.execute(
            "ALTER TABLE publication_search DROP CONSTRAINT fk_publication_search_series_id_series"
        )
        for column in ("head", "published_at", "series_id", "category_ids", "author_ids"):
            op.execute(f"ALTER TABLE publication_search DROP COLUMN {column}")
        op.execute("ALTER TABLE publication_search ALTER COLUMN document SET STATISTICS -1")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_publications_unpublished",
            sqlite_where=_UNPUBLISHED,
            postgresql_where=_UNPUBLISHED,
        )
