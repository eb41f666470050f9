"""Pinned materials: a meeting's files pinned to its region's page, optionally until a date.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("materials_pinned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("materials_pinned_until", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_meetings_region_pinned", ["region_id", "materials_pinned_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_region_pinned")
        batch_op.drop_column("materials_pinned_until")
        batch_op.drop_column("materials_pinned_at")
