"""Mail outbox: claimed rows, unique keys, secrets dropped once sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# What a sent secret body is replaced by (forum.mail.REDACTED_BODY; copied, a migration must not
# change when the code does).
REDACTED_BODY = "[indhold fjernet efter afsendelse]"


def upgrade():
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("secret", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))

    outbox = sa.table(
        "mail_outbox",
        sa.column("id", sa.Integer()),
        sa.column("key", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("secret", sa.Boolean()),
        sa.column("sent_at", sa.DateTime()),
    )
    # Until now only invitations and password resets were mailed: every earlier row carries a
    # link that may still work, and those already sent lose it now.
    op.execute(
        outbox.update().values(
            key=sa.literal("legacy:") + sa.cast(outbox.c.id, sa.String()), secret=sa.true()
        )
    )
    op.execute(outbox.update().where(outbox.c.sent_at.is_not(None)).values(body=REDACTED_BODY))

    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_mail_outbox_key"), ["key"])


def downgrade():
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_mail_outbox_key"), type_="unique")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("secret")
        batch_op.drop_column("html_body")
        batch_op.drop_column("key")
