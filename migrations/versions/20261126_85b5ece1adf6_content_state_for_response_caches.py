"""The content version that response caches key their entries on.

Revision ID: 85b5ece1adf6
Revises: f7634c648cb2
Create Date: 2026-11-26 20:36:20.787484
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "85b5ece1adf6"
down_revision: str | None = "f7634c648cb2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("changed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_content_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    # The one row every write bumps; it exists from the start, so writers only update it.
    op.execute(
        "INSERT INTO content_state (id, version, changed_at) VALUES (1, 0, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    op.drop_table("content_state")
