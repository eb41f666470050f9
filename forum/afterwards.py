"""Small writes done after a response has gone, in an app context and session of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

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


class CloseAfterBody:
    """WSGI middleware: the response's close callbacks (the work after a response: outboxes,
    read markers) run as soon as the last chunk of the body has been handed to the server.

    WSGI servers call ``close()`` after the body, but Werkzeug's development server (``flask
    run``, ``make run``) first reads what is left of the request and skips ``close()`` when
    the browser has already reset the connection, so that work was silently lost now and
    then. Here it runs when the body's iteration ends; the server's own ``close()`` afterwards
    does nothing. Other servers (gunicorn) get the response untouched (file wrappers and
    all)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = self.app(environ, start_response)
        if not str(environ.get("SERVER_SOFTWARE", "")).startswith("Werkzeug/"):
            return body
        return _ClosingBody(body)


class _ClosingBody:
    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
