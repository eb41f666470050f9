"""Small writes done after a response has gone, in an app context and session of their own."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from forum.extensions import db


def small_write(app: Flask, write: Callable[[Session], object], what: str) -> None:
    """Run ``write`` and commit, in a fresh app context: whatever the view left in its own
    session is never flushed. A failure (a busy database) is rolled back and logged, never
    raised: the next request writes again."""
    with app.app_context():
        try:
            write(db.session)
            db.session.commit()
        except Exception:
            db.session.rollback()
            app.logger.warning("could not record %s", what)
        finally:
            db.session.remove()
