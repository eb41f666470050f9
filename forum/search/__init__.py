"""Full-text search: a Danish-analysed Whoosh index, kept in step through the search outbox.

``analysis`` (the Danish analyzer), ``schema`` (fields), ``outbox`` (session events that record
changes), ``indexer`` (the one writer), ``query`` (asking: ``search()`` over ``language``,
``plan``, ``pending``, ``scan``, ``results``, ``snippets``, ``facets``, ``suggest``,
``related``), ``engine`` (Whoosh and the one module that knows its internals).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g

from forum.extensions import db
from forum.search.indexer import AFTER_REQUEST_RETRY, SearchIndex

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from forum.search import outbox
    from forum.search.engine import internals

    outbox.install()
    internals.fast_path()  # logs once when the fast path is off
    directory = app.config.get("SEARCH_INDEX_DIR") or Path(app.instance_path) / "search-index"
    app.extensions["forum_search"] = SearchIndex(directory)

    @app.after_request
    def sync_search_index(response: Any) -> Any:
        # After the response has gone, so the writer never waits for the index; if another
        # process holds the index's lock, that process applies this change too.
        if g.get("search_changed") and app.config["SEARCH_SYNC_AFTER_REQUEST"]:
            response.call_on_close(partial(_sync, app))
        return response


def search_index(app: Flask | None = None) -> SearchIndex:
    return (app or current_app).extensions["forum_search"]


def _sync(app: Flask) -> None:
    with app.app_context():
        try:
            search_index(app).sync(db.session, retry=AFTER_REQUEST_RETRY)
        except Exception:  # search must never break a page; `flask search sync` catches up
            log.exception("Updating the search index failed")
        finally:
            db.session.remove()
