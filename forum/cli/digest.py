"""``flask digest --period weekly|daily``: the digest e-mail, run by cron."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from forum.cli._helpers import database_needed
from forum.extensions import db


def _moment(value: str | None) -> datetime | None:
    """``--now``: an ISO date and time; without a zone it is UTC."""
    if value is None:
        return None
    from forum.timeutil import to_naive_utc

    try:
        return to_naive_utc(datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date and time (e.g. 2026-12-07T06:00+01:00)",
            param_hint="--now",
        ) from None


@click.command("digest")
@click.option(
    "--period",
    type=click.Choice(["weekly", "daily"]),
    required=True,
    help="Whose digest to send: the members who chose this period.",
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Run as if it were this moment (tests, or catching up on a missed run).",
)
@with_appcontext
@database_needed
def digest_command(period: str, now_text: str | None) -> None:
    """Queue the digest e-mail for every member whose period it is (cron: weekly on Monday
    morning, daily every morning; `flask mail send` sends it). Running it twice in a period
    sends nothing more."""
    from forum.digest import count_members, send_digests

    now = _moment(now_text)
    if sys.stdout.isatty():
        total = count_members(db.session, period)
        with click.progressbar(length=total, label="Digests") as bar:
            summary = send_digests(db.session, period, now=now, progress=bar.update)
    else:
        summary = send_digests(db.session, period, now=now)
    reasons = ", ".join(f"{reason} {count}" for reason, count in summary.skipped.items())
    click.echo(
        f"Members {summary.considered}, digests queued {summary.sent}, "
        f"skipped {summary.skipped_total} ({reasons}), failed {summary.failed}."
    )
    if summary.failed:
        raise click.ClickException(f"{summary.failed} digest(s) failed; see the log.")
