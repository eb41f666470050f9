"""``flask demo``, ``flask generate`` and ``flask import-jsonl``: content in bulk."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import ModuleType

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from forum.cli._helpers import database_needed
from forum.extensions import db


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when there are no members or topics.")
@with_appcontext
@database_needed
def demo_command(if_empty: bool) -> None:
    """Load the demo accounts and discussions."""
    from forum.demo import ACCOUNTS, DEMO_PASSWORD, is_empty, load_demo
    from forum.models import Meeting, User

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
        meetings = db.session.scalar(select(func.count(Meeting.id)))
        click.echo(
            f"Demo content loaded: {report.topics} topics, {report.posts} posts, "
            f"{meetings} meetings."
        )
    emails = [account.email for account in ACCOUNTS]
    present = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    if present:
        click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for account in ACCOUNTS:
            if account.email in present:
                click.echo(f"  {account.email:<22} {account.role}")


def source_checkout() -> Path:
    """The directory the ``forum`` package sits in: the checkout's root when run from source."""
    return Path(__file__).resolve().parent.parent.parent


def load_generator(root: Path) -> ModuleType:
    """Import the benchmark generator from ``root``/bench/generator, or fail with one line."""
    # The generator is benchmark tooling, kept out of the wheel; an installed forum has only
    # site-packages above its package, and no bench/ there.
    if not (root / "bench" / "generator" / "__init__.py").is_file():
        raise click.ClickException(
            "flask generate needs a source checkout of the forum (bench/generator is not "
            "part of the installed package)."
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench import generator

    return generator


@click.command("generate")
@click.option("--topics", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--posts-per-topic", type=click.IntRange(1), default=10, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@with_appcontext
@database_needed
def generate_command(topics: int, posts_per_topic: int, seed: int) -> None:
    """Fill the database with realistic Danish benchmark content."""
    generate = load_generator(source_checkout()).generate

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
