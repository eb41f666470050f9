"""Fixtures for search tests: an index in the test's temporary directory, and a generated forum
built once per test session and put back for each test that uses it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Table, bindparam, text, update

from bench.generator import generate
from forum import create_app, permissions
from forum.extensions import db
from forum.search import search_index
from forum.search.indexer import SearchIndex
from forum.search.query import Results, search
from tests.conftest import RequestClient, _reset, _settings


class Searcher:
    """Build/sync the index and ask it, the way the app does."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @property
    def index(self) -> SearchIndex:
        return search_index(self.app)

    def rebuild(self) -> Any:
        db.session.commit()
        return self.index.rebuild(db.session)

    def sync(self) -> Any:
        db.session.commit()
        return self.index.sync(db.session, wait=10.0)

    def __call__(self, text: str, user: Any = None, **kwargs: Any) -> Results:
        db.session.commit()
        return search(db.session, self.index, user or permissions.ANY_MEMBER, text, **kwargs)

    def titles(self, text: str, user: Any = None, **kwargs: Any) -> list[str]:
        return [hit.topic.title for hit in self(text, user, **kwargs).hits]


@pytest.fixture
def searcher(app: Flask) -> Iterator[Searcher]:
    """An empty, usable index (``searcher.rebuild()`` after adding content in bulk). Its
    searcher is closed afterwards, also when the test failed: an open one left to the garbage
    collector warns (unclosed files) in whichever test happens to run next."""
    found = Searcher(app)
    found.rebuild()
    yield found
    found.index.close()


@dataclass
class Snapshot:
    """Every table's rows and a copy of the search index, taken once; ``restore`` puts both
    back in a moment, so each test starts from the same forum whatever the last one wrote."""

    tables: list[tuple[Table, list[dict[str, Any]]]]
    index: Path

    @classmethod
    def take(cls, connection: Connection, index_dir: Path, into: Path) -> Snapshot:
        tables = [
            (table, [dict(row) for row in connection.execute(table.select()).mappings()])
            for table in db.metadata.sorted_tables
        ]
        shutil.copytree(index_dir, into)
        return cls(tables, into)

    def restore(self, connection: Connection, index_dir: Path) -> None:
        """Replace every row with the snapshot's, and ``index_dir`` with its index."""
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.copytree(self.index, index_dir)
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table, _ in self.tables)
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
            self._insert(connection, cycles_later=True)
            # Each id sequence goes on from its table's last id, as after the snapshot: the
            # index's cursor expects the next outbox id right after it (no gap to wait at).
            for table, _ in self.tables:
                for column in table.primary_key.columns:
                    connection.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:table, :column), "
                            f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, "
                            "false) WHERE pg_get_serial_sequence(:table, :column) IS NOT NULL"
                        ),
                        {"table": table.name, "column": column.name},
                    )
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table, _ in reversed(self.tables):
                connection.execute(table.delete())
            self._insert(connection, cycles_later=False)
            connection.execute(text("PRAGMA foreign_keys=ON"))

    def _insert(self, connection: Connection, *, cycles_later: bool) -> None:
        # A key that closes a cycle (a topic's accepted answer, a post) is filled in last,
        # once the rows it points to are there.
        later: list[tuple[Table, str, list[dict[str, Any]]]] = []
        for table, rows in self.tables:
            if not rows:
                continue
            cyclic = [fk.parent.name for fk in table.foreign_keys if fk.use_alter]
            if cycles_later and cyclic:
                connection.execute(
                    table.insert(), [{**row, **dict.fromkeys(cyclic)} for row in rows]
                )
                later += [(table, name, rows) for name in cyclic]
            else:
                connection.execute(table.insert(), rows)
        for table, name, rows in later:
            (key,) = table.primary_key.columns
            values = [{"_key": row[key.name], "_value": row[name]} for row in rows if row[name]]
            if values:
                connection.execute(
                    update(table)
                    .where(key == bindparam("_key"))
                    .values({name: bindparam("_value")}),
                    values,
                )


def app_on(snapshot: Snapshot, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on ``snapshot``'s rows and a copy of its index, in an app context."""
    index_dir = tmp_path / "search-index"
    app = create_app(_settings(database_url, SEARCH_INDEX_DIR=str(index_dir)))
    app.test_client_class = RequestClient
    with app.app_context():
        with db.engine.begin() as connection:
            snapshot.restore(connection, index_dir)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def generated_forum(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """1,200 generated posts (enough for the windowed reading, at least 512 documents) and
    their index: generated once per backend and test session, restored for each test."""
    index_dir = tmp_path_factory.mktemp("generated") / "search-index"
    app = create_app(_settings(database_url, SEARCH_INDEX_DIR=str(index_dir)))
    with app.app_context():
        _reset(app)
        generate(db.session, topics=120, posts_per_topic=10, seed=3)
        db.session.commit()
        search_index(app).rebuild(db.session)
        search_index(app).close()
        with db.engine.connect() as connection:
            snapshot = Snapshot.take(connection, index_dir, index_dir.with_name("snapshot"))
        db.session.remove()
        db.engine.dispose()
    return snapshot
