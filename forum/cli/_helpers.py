"""What every command group shares: turning a missing schema into one clear line."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
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
