"""Following defaults: the level a member gets in a topic they start and in one they reply to.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults: every existing member keeps today's behaviour (watching the topics they
    # start, tracking those they reply to).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("started_topic_level", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("replied_topic_level", sa.Integer(), server_default="2", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("replied_topic_level")
        batch_op.drop_column("started_topic_level")
