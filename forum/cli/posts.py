"""``flask posts rerender``: store fresh HTML for posts cached by an older renderer."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from forum.cli._helpers import database_needed
from forum.extensions import db

posts_group = AppGroup("posts", help="Posts and their cached HTML.")


@posts_group.command("rerender")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 10_000))
@database_needed
def rerender_command(batch: int) -> None:
    """Re-render every post whose HTML is from an older renderer version (after an upgrade)."""
    from forum import markup
    from forum.topics import rerender_stale

    total = 0
    while True:
        # One transaction per batch: a long run holds no lock for long and can be resumed.
        done = rerender_stale(db.session, batch)
        db.session.commit()
        total += done
        if done < batch:
            break
    click.echo(f"Re-rendered {total} posts with renderer version {markup.RENDERER_VERSION}.")
