"""Read state: how far each member has read each topic, and how closely they follow it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "topic_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("last_read_post_number", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_reason", sa.String(length=20), nullable=False),
        sa.Column("first_visited_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_topic_members_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_topic_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "topic_id", name=op.f("pk_topic_members")),
    )
    op.create_index(op.f("ix_topic_members_topic_id"), "topic_members", ["topic_id"])
    # "New since the cut-off" reads the few topics created since, not every topic.
    op.create_index("ix_topics_created_at", "topics", ["created_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("first_login_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("marked_read_at", sa.DateTime(), nullable=True))
    # What members wrote before: they watch the topics they started and track those they
    # replied to, read up to their own last post (so their own topics are never "new").
    op.execute(
        "INSERT INTO topic_members (user_id, topic_id, last_read_post_number, level,"
        " level_reason, first_visited_at)"
        " SELECT author_id, id, post_number_max, 3, 'created', created_at FROM topics"
    )
    op.execute(
        "INSERT INTO topic_members (user_id, topic_id, last_read_post_number, level,"
        " level_reason, first_visited_at)"
        " SELECT posts.author_id, posts.topic_id, MAX(posts.number), 2, 'replied',"
        " MIN(posts.created_at) FROM posts JOIN topics ON topics.id = posts.topic_id"
        " WHERE posts.author_id <> topics.author_id GROUP BY posts.author_id, posts.topic_id"
    )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("marked_read_at")
        batch.drop_column("first_login_at")
    op.drop_index("ix_topics_created_at", table_name="topics")
    op.drop_index(op.f("ix_topic_members_topic_id"), table_name="topic_members")
    op.drop_table("topic_members")
