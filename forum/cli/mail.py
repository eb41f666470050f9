"""``flask mail send|prune|status``: the e-mail outbox."""

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
    """Send queued e-mail, then prune old sent mail (cron runs this; requests send too)."""
    from forum.mail import prune_sent, send_pending

    sent, failed = send_pending(db.session, limit=limit)
    pruned = prune_sent(db.session)
    db.session.commit()
    click.echo(f"Sent {sent}, failed {failed}.")
    if pruned:
        click.echo(f"Pruned {pruned} sent message(s).")
    if failed:
        raise click.ClickException(f"{failed} message(s) could not be sent; see the log.")


@mail_group.command("prune")
@with_appcontext
@database_needed
def mail_prune_command() -> None:
    """Delete sent e-mail older than FORUM_MAIL_RETENTION_DAYS."""
    from flask import current_app

    from forum.mail import prune_sent

    pruned = prune_sent(db.session)
    db.session.commit()
    days = current_app.config["MAIL_RETENTION_DAYS"]
    click.echo(f"Pruned {pruned} message(s) sent more than {days} days ago.")


@mail_group.command("status")
@with_appcontext
@database_needed
def mail_status_command() -> None:
    """Waiting, sending and sent counts; the messages given up (exit 1 if there are any)."""
    from forum.mail import MAX_ATTEMPTS, outbox_status

    status = outbox_status(db.session)
    click.echo(f"Pending {status.pending}, sending {status.sending}, sent {status.sent}.")
    if not status.given_up:
        return
    click.echo(f"Given up after {MAX_ATTEMPTS} attempts: {len(status.given_up)}")
    for message in status.given_up:
        # Subject and error only: a body may hold a reset or invitation link.
        click.echo(
            f"  #{message.id} {message.created_at:%Y-%m-%d %H:%M} to {message.recipient}: "
            f"{message.subject!r}: {message.last_error}"
        )
    raise click.ClickException(f"{len(status.given_up)} message(s) were given up.")
