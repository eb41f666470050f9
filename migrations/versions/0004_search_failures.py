"""Search outbox: rows that failed to index are set aside with their error.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # One row per document the indexer could not index, with its latest error: the batch
    # moves on without it, and `flask search status` shows it.
    op.create_table(
        "search_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_failure")),
        sa.UniqueConstraint("kind", "object_id", name=op.f("uq_search_failure_kind")),
    )


def downgrade():
    op.drop_table("search_failure")
