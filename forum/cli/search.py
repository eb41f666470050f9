"""``flask search sync | rebuild | query | status``."""

from __future__ import annotations

import html
import json
import re

import click
from flask.cli import AppGroup

from forum.cli._helpers import database_needed
from forum.extensions import db

search_group = AppGroup("search", help="The full-text search index.")


@search_group.command("sync")
@database_needed
def sync_command() -> None:
    """Apply pending changes to the index (builds it if there is none)."""
    from forum.search import search_index

    index = search_index()
    if not index.is_usable():
        click.echo("No usable search index here: building it from the database.")
        _rebuild(index)
        return
    result = index.sync(db.session, wait=60.0)
    if result is None:
        raise click.ClickException("The search index is locked by another process; try again.")
    click.echo(
        f"Applied {result.rows} changes: {result.indexed} posts indexed, "
        f"{result.removed} removed; cursor {result.cursor}."
    )


@search_group.command("rebuild")
@database_needed
def rebuild_command() -> None:
    """Recreate the index from the database, then apply what changed meanwhile."""
    from forum.search import search_index

    _rebuild(search_index())


def _rebuild(index) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from forum import permissions
    from forum.models import Post, Topic

    total = db.session.scalar(
        select(func.count(Post.id))
        .join(Topic, Post.topic_id == Topic.id)
        .where(permissions.searchable_posts())
    )
    with click.progressbar(length=total or 0, label="Indexing posts") as bar:
        result = index.rebuild(db.session, progress=bar.update)
    rate = result.posts / result.seconds if result.seconds else 0.0
    click.echo(
        f"Indexed {result.posts} posts and {result.files} files in {result.seconds:.1f} s "
        f"({rate:.0f} posts/s); "
        f"index {result.size_bytes / 1e6:.1f} MB in {index.directory}."
    )


@search_group.command("query")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@database_needed
def query_command(text: str, as_json: bool, limit: int) -> None:
    """Search as any member would, and print the results."""
    from forum import permissions
    from forum.search import search_index
    from forum.search.query import results_json, search

    index = search_index()
    if not index.is_usable():
        raise click.ClickException("There is no search index yet; run `flask search rebuild`.")
    results = search(db.session, index, permissions.ANY_MEMBER, text, per_page=limit)
    if as_json:
        click.echo(json.dumps(results_json(results), ensure_ascii=False))
        return
    for notice in results.query.notices:
        click.echo(notice, err=True)
    click.echo(f"{results.total} topics ({results.posts} posts) for {text!r}")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    for hit in results.hits:
        where = f"post {hit.post.id}" if hit.file is None else f"file {hit.file.attachment.id}"
        click.echo(
            f"\n{hit.score:6.2f}  {_plain(hit.title)}  (topic {hit.topic.id}, {where}"
            f"{f', +{hit.other_matches} more' if hit.other_matches else ''})"
        )
        click.echo(f"        {_plain(hit.snippet)}")


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", str(markup)))


@search_group.command("status")
@database_needed
def status_command() -> None:
    """Show whether the index is usable and how far behind it is; exit 1 if it is not usable
    or documents were set aside."""
    from sqlalchemy import func, select

    from forum.models import SearchFailure, SearchOutboxEntry
    from forum.search import search_index
    from forum.search.engine import internals
    from forum.search.schema import SCHEMA_VERSION

    index = search_index()
    usable = index.is_usable()
    click.echo(f"Index usable: {'yes' if usable else 'no'} ({index.directory})")
    click.echo(f"Schema version: {SCHEMA_VERSION}")
    cursor = index.cursor() if usable else 0
    latest = db.session.scalar(select(func.max(SearchOutboxEntry.id))) or 0
    pending = db.session.scalar(
        select(func.count(SearchOutboxEntry.id)).where(SearchOutboxEntry.id > cursor)
    )
    click.echo(f"Cursor: {cursor} (latest change {latest}); pending changes: {pending}")
    failed = db.session.scalar(select(func.count(SearchFailure.id))) or 0
    click.echo(f"Failed documents: {failed}")
    for failure in db.session.scalars(
        select(SearchFailure).order_by(SearchFailure.failed_at.desc()).limit(5)
    ):
        click.echo(
            f"  {failure.kind} {failure.object_id} at {failure.failed_at:%Y-%m-%d %H:%M:%S} "
            f"({failure.attempts}x): {failure.error}"
        )
    fast, reason = internals.fast_path()
    click.echo(f"Fast path: {'on' if fast else 'off'}{'' if fast else f' ({reason})'}")
    if not usable:
        raise click.ClickException("No usable search index; run `flask search rebuild`.")
    if failed:
        raise click.ClickException(f"{failed} documents could not be indexed (see above).")
