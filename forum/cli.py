"""`flask` commands: demo, create-admin, generate, import-jsonl, mail send (search: own module)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from forum.extensions import db


def database_needed(command: Callable[..., None]) -> Callable[..., None]:
    """Turn 'no such table' and connection failures into one clear line and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            db.session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"The database is not ready ({reason}); run `flask --app wsgi db upgrade` first "
                "and check FORUM_SQLALCHEMY_DATABASE_URI."
            ) from None

    return wrapper


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(generate_command)
    app.cli.add_command(import_command)
    app.cli.add_command(mail_group)

    from forum.search.cli import search_group

    app.cli.add_command(search_group)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when there are no members or topics.")
@with_appcontext
@database_needed
def demo_command(if_empty: bool) -> None:
    """Load the demo accounts and discussions."""
    from forum.demo import ACCOUNTS, DEMO_PASSWORD, is_empty, load_demo
    from forum.models import User

    if not is_empty(db.session):
        if not if_empty:
            raise click.ClickException("The database is not empty; demo content needs a fresh one.")
        click.echo("The database already has content; demo content not loaded.")
    else:
        report = load_demo(db.session)
        if report.errors:
            db.session.rollback()
            for line, message in report.errors:
                click.echo(f"line {line}: {message}", err=True)
            raise click.ClickException("The demo content has errors; nothing was loaded.")
        db.session.commit()
        click.echo(f"Demo content loaded: {report.topics} topics, {report.posts} posts.")
    emails = [account.email for account in ACCOUNTS]
    present = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    if present:
        click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for account in ACCOUNTS:
            if account.email in present:
                click.echo(f"  {account.email:<22} {account.role}")


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
        accounts.set_password(user, password)
    except Invalid as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.add(user)
    db.session.commit()
    click.echo(f"Administrator {email} created.")


@click.command("generate")
@click.option("--topics", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--posts-per-topic", type=click.IntRange(1), default=10, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@with_appcontext
@database_needed
def generate_command(topics: int, posts_per_topic: int, seed: int) -> None:
    """Fill the database with realistic Danish benchmark content."""
    from forum.generate import generate

    started = time.perf_counter()
    with click.progressbar(length=topics, label="Generating topics") as bar:
        result = generate(
            db.session,
            topics=topics,
            posts_per_topic=posts_per_topic,
            seed=seed,
            progress=bar.update,
        )
        db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(
        f"Generated {result.topics} topics, {result.posts} posts and {result.users} members "
        f"in {seconds:.1f} s ({result.posts / max(seconds, 1e-9):.0f} posts/s)."
    )


@click.command("import-jsonl")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
@database_needed
def import_command(file: click.File) -> None:
    """Import topics from JSON Lines (one topic per line; see the README for the format)."""
    from forum.imports import import_lines

    report = import_lines(db.session, file)  # type: ignore[arg-type]
    db.session.commit()
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(
        f"Imported {report.topics} topics and {report.posts} posts; "
        f"{report.users_created} new (inactive) members."
    )
    if report.errors:
        raise click.ClickException(f"{len(report.errors)} line(s) skipped.")


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
