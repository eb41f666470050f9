"""Meetings: their themes, sign-ups and waiting lists; each owns a discussion topic.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=90), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("agenda_html", sa.Text(), nullable=False),
        sa.Column("agenda_html_version", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_meetings_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"], name=op.f("fk_meetings_deleted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_meetings_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_meetings_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("topic_id", name=op.f("uq_meetings_topic_id")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_region_starts", ["region_id", "starts_at"], unique=False)
        batch_op.create_index("ix_meetings_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "meeting_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_signups_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meeting_signups_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_signups")),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_signups_meeting_user"),
    )
    with op.batch_alter_table("meeting_signups", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_signups_user", ["user_id"], unique=False)

    op.create_table(
        "meeting_themes",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_themes_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"], name=op.f("fk_meeting_themes_theme_id_themes")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "theme_id", name=op.f("pk_meeting_themes")),
    )
    with op.batch_alter_table("meeting_themes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_themes_theme_id"), ["theme_id"], unique=False)


def downgrade():
    with op.batch_alter_table("meeting_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_themes_theme_id"))

    op.drop_table("meeting_themes")
    with op.batch_alter_table("meeting_signups", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_signups_user")

    op.drop_table("meeting_signups")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_starts_at")
        batch_op.drop_index("ix_meetings_region_starts")

    op.drop_table("meetings")
