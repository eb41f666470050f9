"""``flask mail send``: the e-mail outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from forum.cli._helpers import database_needed
from forum.extensions import db

mail_group = AppGroup("mail", help="The e-mail outbox.")


@mail_group.command("send")
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True)
@with_appcontext
@database_needed
def mail_send_command(limit: int) -> None:
    """Send queued e-mail (cron runs this; requests also send after they commit)."""
    from forum.mail import send_pending

    sent, failed = send_pending(db.session, limit=limit)
    click.echo(f"Sent {sent}, failed {failed}.")
    if failed:
        raise click.ClickException(f"{failed} message(s) could not be sent; see the log.")
