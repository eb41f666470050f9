"""``flask notify send|status``: the notification worker step and its outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from forum.cli._helpers import database_needed
from forum.extensions import db

notify_group = AppGroup("notify", help="Notifications: fan-out, reminders and their e-mail.")


@notify_group.command("send")
@click.option("--limit", type=click.IntRange(1), default=5000, show_default=True)
@with_appcontext
@database_needed
def notify_send_command(limit: int) -> None:
    """Write pending notifications, reminders and due e-mail, then send the mail (cron runs
    this every minute; requests do it too, after their response)."""
    from forum.mail import send_pending
    from forum.notify import prune_done, run

    summary = run(db.session, limit=limit)
    sent, failed = send_pending(db.session, limit=limit)
    pruned = prune_done(db.session)
    db.session.commit()
    click.echo(
        f"Events {summary.events}, notifications {summary.notifications}, "
        f"reminders {summary.reminders}, e-mails queued {summary.emails}, sent {sent}"
        + (f", pruned {pruned}" if pruned else "")
        + "."
    )
    if summary.failed or failed:
        raise click.ClickException(
            f"{summary.failed} event(s) and {failed} e-mail(s) failed; see `flask notify status`."
        )


@notify_group.command("status")
@with_appcontext
@database_needed
def notify_status_command() -> None:
    """Events waiting and e-mails due; the events given up (exit 1 if there are any)."""
    from forum.notify import MAX_ATTEMPTS, outbox_status

    status = outbox_status(db.session)
    click.echo(f"Pending events {status.pending}, e-mails due {status.emails_due}.")
    if not status.given_up:
        return
    click.echo(f"Given up after {MAX_ATTEMPTS} attempts: {len(status.given_up)}")
    for entry in status.given_up:
        click.echo(f"  #{entry.id} {entry.event} of post {entry.post_id}: {entry.last_error}")
    raise SystemExit(1)
