"""The index's fields: one document per visible post, one per page (slide, sheet) of each
searchable file, plus one ``meta`` document.

The meta document holds the indexer's cursor (the last outbox row applied) and the schema
version, so both change in the same commit as the documents they describe. Bump
``SCHEMA_VERSION`` whenever a field or the analyzer changes what it produces: an index of
another version is rebuilt, never read with the wrong assumptions.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from forum.search.analysis import DanishAnalyzer

# 5: files' pages; 4: compounds split into the Danish lexicon; 3: long words not split
SCHEMA_VERSION = 5

META_ID = "meta"
POST = "post"
FILE = "bilag"  # a page, slide or sheet of a file: its doc_id is FILE_ID.format(...)
FILE_ID = "f{attachment}-{number}"
FILE_GROUP = "f{attachment}"  # its ``topic`` column: a search shows one hit per file

# A title word counts this much more than a body word (titles are short and chosen).
TITLE_BOOST = 2.0

# Facet fields: a column each, so counting them never reads stored documents.
FACETS = ("region", "theme", "kind", "municipality", "year", "answered")


def make_schema() -> Schema:
    analyzer = DanishAnalyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),  # the post id, a FILE_ID, or META_ID
        doctype=ID(),  # POST, FILE or META_ID: "everything" without a text query
        # Topic id (a file's pages: FILE_GROUP): grouping and per-topic queries.
        topic=ID(stored=True, sortable=True),
        file=ID(),  # a file's pages: the attachment id (all its pages go at once)
        in_topic=ID(),  # a file's pages: the topic it belongs to (its post's, or its meeting's)
        parent=ID(),  # a file's pages: what it is attached to, "p<post id>" or "m<meeting id>"
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
        kind=ID(sortable=True),  # the topic's kind, or FILE
        answered=ID(sortable=True),  # "ja"/"nej" for sparring topics, "" otherwise
        year=ID(sortable=True),
        created=DATETIME(sortable=True),
        cursor=STORED(),  # meta document only
        ahead=STORED(),  # meta document only: outbox ids applied past the cursor
        version=STORED(),  # meta document only
    )
