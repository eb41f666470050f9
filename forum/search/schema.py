"""The index's fields: one document per visible post, plus one ``meta`` document.

The meta document holds the indexer's cursor (the last outbox row applied) and the schema
version, so both change in the same commit as the documents they describe. Bump
``SCHEMA_VERSION`` whenever a field or the analyzer changes what it produces: an index of
another version is rebuilt, never read with the wrong assumptions.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from forum.search.analysis import DanishAnalyzer

SCHEMA_VERSION = 4  # 4: compounds split into the Danish lexicon; 3: long words not split

META_ID = "meta"
POST = "post"

# A title word counts this much more than a body word (titles are short and chosen).
TITLE_BOOST = 2.0

# Facet fields: a column each, so counting them never reads stored documents.
FACETS = ("region", "theme", "kind", "municipality", "year", "answered")


def make_schema() -> Schema:
    analyzer = DanishAnalyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),  # the post id, or META_ID
        doctype=ID(),  # POST or META_ID: "every post" without a text query
        topic=ID(stored=True, sortable=True),  # topic id: grouping and per-topic queries
        # Only the opening post carries the title: a title match counts once per topic.
        title=TEXT(analyzer=analyzer, field_boost=TITLE_BOOST),
        # Matching and ranking read word counts only. Whoosh keeps a posting's positions in
        # the same block as its count, and unpickling them was most of the time spent reading
        # a common word's postings (ten times the time of counts alone): positions live in a
        # field of their own, read only by "phrase" queries. Titles are short lists: they
        # keep theirs.
        body=TEXT(analyzer=analyzer, phrase=False),
        body_phrase=TEXT(analyzer=analyzer),  # the same text, with positions
        author=ID(),  # username, for @username
        author_name=TEXT(analyzer=analyzer),
        municipality=ID(sortable=True),  # slug of the writer's municipality ("" if none)
        region=ID(sortable=True),
        theme=ID(sortable=True),
        kind=ID(sortable=True),
        answered=ID(sortable=True),  # "ja"/"nej" for sparring topics, "" otherwise
        year=ID(sortable=True),
        created=DATETIME(sortable=True),
        cursor=STORED(),  # meta document only
        ahead=STORED(),  # meta document only: outbox ids applied past the cursor
        version=STORED(),  # meta document only
    )
