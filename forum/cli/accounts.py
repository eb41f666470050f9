"""``flask create-admin``: the first member of a new installation."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from forum.cli._helpers import database_needed
from forum.extensions import db


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="At least 12 characters (prompted when left out).")
@with_appcontext
@database_needed
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first member of a new installation)."""
    from forum import accounts
    from forum.errors import Invalid
    from forum.models import Role, User

    email = accounts.normalise_email(email)
    if "@" not in email:
        raise click.ClickException(f"Not an e-mail address: {email!r}")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"A member with {email} already exists.")
    user = User(
        email=email,
        username=accounts.unique_username(db.session, name),
        display_name=name,
        role=Role.ADMIN,
    )
    try:
        accounts.set_password(db.session, user, password)
    except Invalid as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.add(user)
    db.session.commit()
    click.echo(f"Administrator {email} created.")
