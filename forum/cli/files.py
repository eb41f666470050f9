"""``flask files purge|sweep``: removing deleted files for good, and stray temporary files."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup, with_appcontext

from forum.cli._helpers import database_needed
from forum.extensions import db

files_group = AppGroup("files", help="Uploaded files: purge deleted ones, sweep temporaries.")


@files_group.command("purge")
@click.option(
    "--days",
    type=click.IntRange(0),
    default=30,
    show_default=True,
    help=(
        "Purge files deleted more than this many days ago, and the files of posts, topics and "
        "meetings deleted that long ago (until then they can be restored)."
    ),
)
@with_appcontext
@database_needed
def purge_command(days: int) -> None:
    """Remove deleted files for good: rows, text and stored bytes nothing else uses."""
    from forum.files import purge_deleted

    purged, removed = purge_deleted(db.session, days=days)
    db.session.commit()
    click.echo(f"Purged {purged} deleted file(s); removed {removed} stored object(s).")


@files_group.command("sweep")
@click.option("--hours", type=click.IntRange(1), default=1, show_default=True)
@with_appcontext
def sweep_command(hours: int) -> None:
    """Remove temporary files a killed upload left in the storage (older than --hours)."""
    from forum.storage import storage

    removed = storage().sweep_temporary(older_than=timedelta(hours=hours))
    click.echo(f"Removed {removed} temporary file(s).")
