"""Fixtures for search tests: an index in the test's temporary directory."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from forum import permissions
from forum.extensions import db
from forum.search import search_index
from forum.search.indexer import SearchIndex
from forum.search.query import Results, search


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
def searcher(app: Flask) -> Searcher:
    """An empty, usable index (``searcher.rebuild()`` after adding content in bulk)."""
    found = Searcher(app)
    found.rebuild()
    return found
