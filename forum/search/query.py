"""The query API: ``search()`` as a member, over the index.

The parts, one concept a module: ``language`` reads what was typed, ``plan`` turns it into
what the engine is asked, ``pending`` leaves out what the index has not caught up with,
``scan`` reads the matches (scores, topics, facet counts), ``results`` holds what comes back,
``snippets`` marks the matching words, ``facets`` labels the counts, ``suggest`` offers a
corrected query, ``related`` finds topics like a topic. ``engine`` is Whoosh underneath.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from forum import permissions
from forum.extract import Part, part_label
from forum.markup import text_of_html
from forum.models import Attachment, AttachmentPart, Meeting, Post, Topic, User
from forum.search import analysis, filedocs
from forum.search.facets import facets
from forum.search.indexer import SearchIndex
from forum.search.language import ParsedQuery, Places, parse, refine
from forum.search.pending import pending_mask
from forum.search.plan import build
from forum.search.related import related
from forum.search.results import (
    MAX_PAGE,
    PER_PAGE,
    SORTS,
    Facet,
    FacetValue,
    FileHit,
    Hit,
    Results,
    results_json,
)
from forum.search.scan import matching_posts, scan
from forum.search.snippets import MAX_HIGHLIGHT_CHARS, highlight_title, snippet
from forum.search.suggest import suggest

__all__ = [
    "MAX_PAGE",
    "PER_PAGE",
    "Facet",
    "FacetValue",
    "FileHit",
    "Hit",
    "Places",
    "Results",
    "build",
    "parse",
    "refine",
    "related",
    "results_json",
    "search",
]


def search(
    session: Session,
    index: SearchIndex,
    user: Any,
    text: str,
    *,
    page: int = 1,
    sort: str = "relevance",
    per_page: int = PER_PAGE,
    places: Places | None = None,
) -> Results:
    """Search as ``user``: only what the permission policy lets them see is found or counted."""
    places = places or Places.load(session)
    parsed = parse(text, places)
    results = Results(query=parsed, page=max(1, min(page, MAX_PAGE)), per_page=per_page)
    results.sort = sort if sort in SORTS else "relevance"
    if not permissions.can(user, permissions.SEARCH):
        return results
    q = build(parsed)
    if q is None:
        return results
    if not index.is_usable():
        results.unavailable = True
        return results
    # One searcher for the whole search: the cursor, the scan, the hits and the snippets all
    # read the same commit of the index, whatever other processes commit meanwhile.
    with index.reading() as searcher:
        return _search(session, searcher, index, user, parsed, results, places)


def _search(
    session: Session,
    searcher: Any,
    index: SearchIndex,
    user: Any,
    parsed: ParsedQuery,
    results: Results,
    places: Places,
) -> Results:
    q = build(parsed)
    assert q is not None
    per_page = results.per_page
    mask = pending_mask(session, index.cursor(searcher), index.ahead(searcher))
    if mask is not None:
        q.leave_out.append(mask)
    excluded = q.excluded(searcher)
    # Newest first must be exact (the newest posts can be anywhere in the index), so it reads
    # every match; it needs no scores, which makes reading them all affordable.
    newest = results.sort == "newest"
    budget, scored = (math.inf, False) if newest else (None, True)
    match = scan(searcher, q, excluded, budget=budget, scored=scored)
    if not match.topics and len(parsed.terms()) > 1:
        broader = build(parsed, any_word=True)
        assert broader is not None
        match = scan(searcher, broader, excluded, budget=budget, scored=scored)
        if match.topics:
            q, results.some_words = broader, True
    results.total, results.posts, results.estimated = match.total, match.posts, match.estimated
    results.facets = facets(match, parsed, places)
    if results.total < 3 and parsed.words:
        results.suggestion = suggest(searcher, index.vocabulary(), parsed, places, mask)
    if not results.total:
        return results

    ordered = match.newest() if newest else match.ranked()
    results.reachable = len(ordered)
    start = (results.page - 1) * per_page
    page_hits = ordered[start : start + per_page]
    counts = match.topics
    if match.estimated:  # the windows read saw only some of these topics' posts
        counts = matching_posts(searcher, q, match, [topic for topic, _, _ in page_hits])
    results.hits = _load_hits(session, searcher, index, user, parsed, page_hits, counts)
    return results


def _load_hits(
    session: Session,
    searcher: Any,
    index: SearchIndex,
    user: Any,
    parsed: ParsedQuery,
    page_hits: list[tuple[str, int, float]],
    topic_counts: Counter[str],
) -> list[Hit]:
    found = [
        (topic, searcher.stored_fields(doc)["doc_id"], score) for topic, doc, score in page_hits
    ]
    files = {doc_id: filedocs.parse_doc_id(doc_id) for _, doc_id, _ in found}
    posts = _posts(session, [int(d) for d, part in files.items() if part is None])
    attachments, parts = _files(session, [part for part in files.values() if part is not None])
    terms = parsed.highlight_terms()
    hits = []
    with analysis.using(index.vocabulary()):
        for topic, doc_id, score in found:
            part = files[doc_id]
            if part is None:
                post = posts.get(int(doc_id))
                # The index only holds what every member may see; this is the second lock.
                if post is None or not permissions.can(user, permissions.VIEW, post):
                    continue
                hits.append(
                    Hit(
                        topic=post.topic,
                        post=post,
                        score=score,
                        other_matches=topic_counts[topic] - 1,
                        title=highlight_title(post.topic.title, terms),
                        snippet=snippet(text_of_html(post.html), terms),
                    )
                )
                continue
            attachment, page = attachments.get(part[0]), parts.get(part)
            if attachment is None or page is None:
                continue
            if not permissions.can(user, permissions.VIEW, attachment):
                continue
            hits.append(_file_hit(attachment, page, score, topic_counts[topic] - 1, terms))
    return hits


def _posts(session: Session, ids: list[int]) -> dict[int, Post]:
    if not ids:
        return {}
    return {
        post.id: post
        for post in session.scalars(
            select(Post)
            .where(Post.id.in_(ids))
            .options(
                joinedload(Post.topic).options(joinedload(Topic.region), joinedload(Topic.theme)),
                joinedload(Post.author).joinedload(User.municipality),
            )
        ).unique()
    }


def _files(
    session: Session, wanted: list[tuple[int, int]]
) -> tuple[dict[int, Attachment], dict[tuple[int, int], Any]]:
    """The files of a page of hits and the pages shown: two statements, whatever the count."""
    if not wanted:
        return {}, {}
    topic = (joinedload(Topic.region), joinedload(Topic.theme))
    attachments = {
        attachment.id: attachment
        for attachment in session.scalars(
            select(Attachment)
            .where(Attachment.id.in_({attachment_id for attachment_id, _ in wanted}))
            .options(
                joinedload(Attachment.meeting).joinedload(Meeting.topic).options(*topic),
                joinedload(Attachment.post).joinedload(Post.topic).options(*topic),
                joinedload(Attachment.uploader).joinedload(User.municipality),
            )
        ).unique()
    }
    parts = {
        (part.attachment_id, part.number): part
        for part in session.execute(
            # What a snippet can show of a page (a page may hold megabytes of text). Pairs as
            # OR of primary-key look-ups: a row-value IN makes SQLite scan the table.
            select(
                AttachmentPart.attachment_id,
                AttachmentPart.number,
                AttachmentPart.unit,
                func.substr(AttachmentPart.text, 1, MAX_HIGHLIGHT_CHARS).label("text"),
            ).where(
                or_(
                    *(
                        and_(AttachmentPart.attachment_id == a, AttachmentPart.number == n)
                        for a, n in sorted(set(wanted))
                    )
                )
            )
        )
    }
    return attachments, parts


def _file_hit(attachment: Attachment, page: Any, score: float, others: int, terms: set[str]) -> Hit:
    label = part_label(Part(number=page.number, unit=page.unit, text=""))
    topic = attachment.meeting.topic if attachment.meeting is not None else attachment.post.topic
    name = highlight_title(attachment.filename, terms)
    if page.unit == "document":
        title = Markup(_("Bilag: %(name)s")) % {"name": name}
    else:
        title = Markup(_("Bilag: %(name)s, %(where)s")) % {"name": name, "where": label}
    return Hit(
        topic=topic,
        post=attachment.post,
        score=score,
        other_matches=others,
        title=title,
        snippet=snippet(page.text, terms),
        file=FileHit(attachment=attachment, number=page.number, label=label),
    )
