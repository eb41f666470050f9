"""Fixtures: an app on a real database (SQLite always, PostgreSQL when asked), clients, users.

Set FORUM_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
every database test a second time on PostgreSQL. The schema is built once per backend by the
real migrations; each test then starts from the reference data alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from forum.models import Role, User
from forum.reference import insert_reference_data
from tests import factories
from tests.smtp import SMTPServer

POSTGRES_URL = os.environ.get("FORUM_TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgresql),
]


def _settings(url: str, **extra: object) -> dict[str, object]:
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = url
    settings.update(extra)
    return settings


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with the migrated schema, once per backend and test session."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL run: set FORUM_TEST_DATABASE_URL to a PostgreSQL database")
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'forum.db'}"
    app = create_app(_settings(url))
    with app.app_context():
        # Start from nothing, then build exactly what `flask db upgrade` builds.
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()
    return url


def _reset(app: Flask) -> None:
    """Empty every table and put the reference data back."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(table.delete())
            connection.execute(text("PRAGMA foreign_keys=ON"))
        insert_reference_data(connection, db.metadata)


class RequestClient(FlaskClient):
    """Sends each request in its own app context, as a server would.

    The test's own session is committed first (a request is another connection), and the
    request gets a fresh session and ``g``: nothing cached by one request leaks into the next.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        db.session.commit()
        # Read the body before the response is closed, as a server would have sent it (a
        # streamed file's handle is gone after close).
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            # A server closes every response; work scheduled with call_on_close (queued
            # mail) runs then.
            response.close()
            return response


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application on a clean database (and an empty search index), in an app context."""
    app = create_app(
        _settings(
            database_url,
            SEARCH_INDEX_DIR=str(tmp_path / "search-index"),
            UPLOAD_DIR=str(tmp_path / "uploads"),
        )
    )
    app.test_client_class = RequestClient
    with app.app_context():
        _reset(app)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask):  # type: ignore[no-untyped-def]
    """The request-scoped SQLAlchemy session, for domain tests."""
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def member(app: Flask) -> User:
    """A participant in Norddjurs (Region Midtjylland)."""
    return factories.user(db.session, name="Mette Kjær", municipality="Norddjurs")


@pytest.fixture
def other_member(app: Flask) -> User:
    return factories.user(db.session, name="Søren Holm", municipality="Odense")


@pytest.fixture
def facilitator(app: Flask) -> User:
    return factories.user(
        db.session, name="Jonas Facilitator", role=Role.FACILITATOR, organisation="KL"
    )


@pytest.fixture
def admin(app: Flask) -> User:
    return factories.user(db.session, name="Anne Admin", role=Role.ADMIN, organisation="KL")


@pytest.fixture
def make_app(app, database_url):  # type: ignore[no-untyped-def]
    """Another app on the same (already reset) database, with some settings changed."""
    created = []

    def make(**extra):  # type: ignore[no-untyped-def]
        db.session.commit()
        extra.setdefault("SEARCH_INDEX_DIR", app.config["SEARCH_INDEX_DIR"])
        other = create_app(_settings(database_url, **extra))
        other.test_client_class = RequestClient
        created.append(other)
        return other

    yield make
    for other in created:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _smtp_plain() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _smtp_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SMTPServer]:
    server = SMTPServer(tls_directory=tmp_path_factory.mktemp("smtp-tls")).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(app: Flask, _smtp_plain: SMTPServer) -> SMTPServer:
    """A real local SMTP server (no TLS, no login) the app sends to; ``.received`` is its mail."""
    _smtp_plain.clear()
    app.config.update(_smtp_plain.settings)
    return _smtp_plain


@pytest.fixture
def tls_mailbox(app: Flask, _smtp_tls: SMTPServer) -> SMTPServer:
    """A real local SMTP server that demands STARTTLS and a login before it takes mail."""
    _smtp_tls.clear()
    app.config.update(_smtp_tls.settings)
    return _smtp_tls


class Auth:
    """Logs a test client in and out (flaskr's `auth` helper)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: User, password: str = factories.PASSWORD):  # type: ignore[no-untyped-def]
        db.session.commit()
        return self.client.post("/login", data={"email": user.email, "password": password})

    def logout(self):  # type: ignore[no-untyped-def]
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


class StatementCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Use as ``with count_queries() as counter: ...``; then ``counter.count``."""
    from contextlib import contextmanager

    @contextmanager
    def counting():  # type: ignore[no-untyped-def]
        counter = StatementCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say up front which optional parts of the suite run, and why not."""
    from tests.e2e.conftest import CHROMIUM

    lines = []
    if POSTGRES_URL:
        lines.append("database tests: SQLite and PostgreSQL (FORUM_TEST_DATABASE_URL)")
    else:
        lines.append(
            "database tests: SQLite only; the PostgreSQL copies skip "
            "(set FORUM_TEST_DATABASE_URL to run them)"
        )
    if os.path.exists(CHROMIUM):
        lines.append(f"browser tests: {CHROMIUM}")
    else:
        lines.append(
            f"browser tests: skipped, no Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    return lines
