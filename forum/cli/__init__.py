"""`flask` commands, one module per group: content, accounts, digest, files, mail, notify, posts,
search."""

from __future__ import annotations

from flask import Flask

from forum.cli._helpers import database_needed
from forum.cli.accounts import create_admin_command
from forum.cli.content import demo_command, generate_command, import_command
from forum.cli.digest import digest_command
from forum.cli.files import files_group
from forum.cli.mail import mail_group
from forum.cli.notify import notify_group
from forum.cli.posts import posts_group
from forum.cli.search import search_group

__all__ = ["database_needed", "register"]


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(generate_command)
    app.cli.add_command(import_command)
    app.cli.add_command(digest_command)
    app.cli.add_command(files_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(notify_group)
    app.cli.add_command(posts_group)
    app.cli.add_command(search_group)
