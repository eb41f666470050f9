"""Files in search: each page (slide, sheet) of a readable file is a document of its own kind,
found with the Danish analyzer, grouped per file, placed where its meeting or post is, and
gone from search as soon as the file or what it is attached to is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from whoosh.query import Term

from forum import permissions
from forum import topics as topic_domain
from forum.models import Attachment, AttachmentPart, SearchFailure, TextStatus, Topic
from forum.search import filedocs
from forum.timeutil import utcnow
from tests import factories
from tests.test_meetings import plan

SLIDES = [
    "Velkommen til netværksmødet",
    "Dagsorden og præsentationsrunde",
    "Nøgletalskatalog for anbringelser: udgifter pr. barn",
    "Spørgsmål og afrunding",
]


def add_file(  # type: ignore[no-untyped-def]
    session,
    uploader,
    *,
    meeting=None,
    post=None,
    name="oplaeg-efteraar-2026.pptx",
    pages=SLIDES,
    unit="slide",
    status=TextStatus.OK,
) -> Attachment:
    """A stored file as an upload leaves it (the upload path itself is tested elsewhere)."""
    kind = name.rsplit(".", 1)[-1]
    attachment = Attachment(
        digest="0" * 64,
        size=12_345,
        kind=kind,
        mime="application/octet-stream",
        filename=name,
        uploader_id=uploader.id,
        meeting_id=meeting.id if meeting is not None else None,
        post_id=post.id if post is not None else None,
        text_status=status,
        pages=len(pages),
    )
    session.add(attachment)
    session.flush()
    session.add_all(
        AttachmentPart(attachment_id=attachment.id, number=n, unit=unit, text=text)
        for n, text in enumerate(pages, start=1)
    )
    session.commit()
    return attachment


@pytest.fixture
def meeting(session, facilitator):  # type: ignore[no-untyped-def]
    from forum import places

    found = plan(session, facilitator, region=places.region_by_slug(session, "syddanmark"))
    session.commit()
    return found


def test_a_phrase_on_slide_three_is_found_on_that_slide(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    attachment = add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    results = searcher("nøgletalskatalog")
    assert results.total == 1
    [hit] = results.hits
    assert hit.file is not None and hit.file.attachment.id == attachment.id
    assert hit.file.number == 3 and hit.post is None and hit.topic.id == meeting.topic_id
    assert str(hit.title) == "Bilag: oplaeg-efteraar-2026.pptx, dias 3"
    assert "<mark>Nøgletalskatalog</mark>" in str(hit.snippet)
    # The Danish analyzer: an inflected form finds it too; a phrase only where it stands.
    assert searcher("anbringelserne").hits[0].file.number == 3
    assert searcher('"udgifter pr. barn"').hits[0].file.number == 3
    assert not searcher('"barn pr. udgifter"').hits


def test_a_file_shows_once_at_its_best_page(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(
        session,
        facilitator,
        meeting=meeting,
        name="referat.pdf",
        unit="page",
        pages=["Plejefamilier nævnt en gang", "Plejefamilier, plejefamilier og plejefamilier"],
    )
    searcher.sync()
    results = searcher("plejefamilier")
    assert results.total == 1 and results.posts == 2
    [hit] = results.hits
    assert hit.file.number == 2 and hit.other_matches == 1
    assert str(hit.title) == "Bilag: referat.pdf, side 2"


def test_the_file_name_is_its_title(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(
        session,
        facilitator,
        meeting=meeting,
        name="handbog-for-sagsbehandlere.docx",
        unit="document",
        pages=["Kapitel 1. Om at arbejde sammen."],
    )
    searcher.sync()
    [hit] = searcher("handbog").hits  # the name's words, as written in it
    assert str(hit.title).startswith("Bilag: <mark>")
    assert hit.file.label == "hele dokumentet"


def test_type_bilag_selects_files_and_the_facet_counts_them(
    searcher, session, member, facilitator, meeting
):  # type: ignore[no-untyped-def]
    factories.topic(
        session, member, title="Nøgletalskatalog i vores kommune", body="Hvem bruger det?"
    )
    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    both = searcher("nøgletalskatalog")
    assert both.total == 2
    kinds = {v.value: (v.label, v.count) for f in both.facets if f.name == "kind" for v in f.values}
    assert kinds["bilag"] == ("Bilag", 1)
    only_files = searcher("nøgletalskatalog type:bilag")
    assert [hit.file is not None for hit in only_files.hits] == [True]
    no_files = searcher("nøgletalskatalog -type:bilag")
    assert [hit.file for hit in no_files.hits] == [None]
    assert searcher("type:bilag").total == 1  # every file, no words needed
    assert searcher("type:filer").total == 1


def test_a_meeting_file_is_placed_in_its_meeting_region(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    assert searcher("nøgletalskatalog region:syddanmark").total == 1
    assert searcher("nøgletalskatalog region:midtjylland").total == 0
    assert searcher("nøgletalskatalog tema:netvaerksanbringelser").total == 1
    assert searcher(f"nøgletalskatalog @{facilitator.username}").total == 1


def test_a_post_file_belongs_to_its_topic(searcher, session, member):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, member, region="nordjylland", theme="familiepleje")
    post = factories.post(session, topic, 1)
    add_file(
        session,
        member,
        post=post,
        name="skabelon.docx",
        unit="document",
        pages=["Skabelon til handleplan for plejefamilier"],
    )
    searcher.sync()
    [hit] = searcher("handleplan").hits
    assert hit.topic.id == topic.id and hit.post.id == post.id
    assert searcher("handleplan region:nordjylland").total == 1


def test_unreadable_files_are_not_in_search(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(session, facilitator, meeting=meeting, status=TextStatus.EMPTY)
    searcher.sync()
    assert searcher("nøgletalskatalog").total == 0


def test_a_deleted_file_is_gone_at_once_and_back_when_restored(
    searcher, session, facilitator, meeting
):  # type: ignore[no-untyped-def]
    attachment = add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    attachment.deleted_at = utcnow()
    session.commit()
    # Before the index has caught up: pending, so left out.
    assert searcher("nøgletalskatalog").total == 0
    searcher.sync()
    assert searcher("nøgletalskatalog").total == 0
    with searcher.index.reading() as reading:
        assert not list(reading.docs_for_query(Term("file", str(attachment.id))))
    attachment.deleted_at = None
    session.commit()
    searcher.sync()
    assert searcher("nøgletalskatalog").total == 1


def test_a_deleted_meeting_takes_its_files_with_it(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    meeting.deleted_at = utcnow()
    session.commit()
    searcher.sync()
    assert searcher("nøgletalskatalog").total == 0


@pytest.mark.parametrize("what", ["post", "topic"])
def test_a_deleted_post_or_topic_takes_its_files_with_it(searcher, session, member, what):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, member, replies=1)
    reply = factories.post(session, topic, 2)
    add_file(session, member, post=reply, pages=["Brobygning mellem skole og hjem"])
    searcher.sync()
    assert searcher("brobygning").total == 1
    gone = reply if what == "post" else session.get(Topic, topic.id)
    gone.deleted_at = utcnow()
    session.commit()
    assert searcher("brobygning").total == 0  # pending: masked before the sync
    searcher.sync()
    assert searcher("brobygning").total == 0
    gone.deleted_at = None
    session.commit()
    searcher.sync()
    assert searcher("brobygning").total == 1


def test_moving_a_meeting_moves_its_files(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    from forum import places

    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    meeting.region_id = places.region_by_slug(session, "hovedstaden").id
    session.commit()
    searcher.sync()
    assert searcher("nøgletalskatalog region:hovedstaden").total == 1
    assert searcher("nøgletalskatalog region:syddanmark").total == 0


def test_rebuild_indexes_files(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    add_file(session, facilitator, meeting=meeting)
    add_file(session, facilitator, meeting=meeting, name="skannet.pdf", status=TextStatus.EMPTY)
    result = searcher.rebuild()
    assert result.files == 1
    assert searcher("nøgletalskatalog").hits[0].file.number == 3


def test_one_broken_file_is_set_aside_and_the_others_indexed(
    searcher, session, facilitator, meeting, monkeypatch
):  # type: ignore[no-untyped-def]
    bad = add_file(session, facilitator, meeting=meeting, name="bad.pptx")
    add_file(session, facilitator, meeting=meeting, name="good.pptx", pages=["Kvalitetsmodel"])
    real = filedocs.documents

    def documents(row, pages):  # type: ignore[no-untyped-def]
        if row.id == bad.id:
            raise ValueError("a bug met a strange file")
        return real(row, pages)

    monkeypatch.setattr(filedocs, "documents", documents)
    result = searcher.sync()
    assert result.failed_files == {bad.id: "ValueError: a bug met a strange file"}
    assert searcher("kvalitetsmodel").total == 1
    assert searcher("nøgletalskatalog").total == 0
    failure = session.scalar(select(SearchFailure).where(SearchFailure.kind == "attachment"))
    assert failure is not None and failure.object_id == bad.id
    monkeypatch.setattr(filedocs, "documents", real)
    bad.filename = "bad-again.pptx"  # any change: indexed now, the failure forgotten
    session.commit()
    searcher.sync()
    assert searcher("nøgletalskatalog").total == 1
    assert session.scalar(select(SearchFailure).where(SearchFailure.kind == "attachment")) is None


def test_the_index_holds_exactly_the_files_every_member_may_see(
    session, member, facilitator, meeting
):  # type: ignore[no-untyped-def]
    """filedocs.is_live is the policy's rule for files, for an ordinary member."""
    topic = factories.topic(session, member, replies=1)
    on_meeting = add_file(session, facilitator, meeting=meeting)
    on_post = add_file(session, member, post=factories.post(session, topic, 2))
    now = utcnow()
    states = [
        lambda: None,
        lambda: setattr(on_meeting, "deleted_at", now),
        lambda: setattr(meeting, "deleted_at", now),
        lambda: setattr(meeting, "cancelled_at", now),
        lambda: setattr(on_post, "deleted_at", now),
        lambda: setattr(on_post.post, "deleted_at", now),
        lambda: setattr(on_post.post.topic, "deleted_at", now),
    ]
    for change in states:
        change()
        session.commit()
        rows = {r.id: r for r in session.execute(filedocs.rows_query())}
        for attachment in (on_meeting, on_post):
            session.refresh(attachment)
            assert filedocs.is_live(rows[attachment.id]) == permissions.can(
                member, permissions.VIEW, attachment
            )
        for thing in (on_meeting, on_post, meeting, on_post.post, on_post.post.topic):
            thing.deleted_at = None
        meeting.cancelled_at = None
        session.commit()


def test_a_huge_page_is_indexed_and_shown_within_bounds(searcher, session, facilitator, meeting):  # type: ignore[no-untyped-def]
    huge = ("barnets perspektiv " * 60_000) + "sjældentord"
    add_file(session, facilitator, meeting=meeting, name="stor.pdf", unit="page", pages=[huge])
    searcher.sync()
    [hit] = searcher("perspektiv").hits
    assert len(str(hit.snippet)) < 2_000
    # The word past the highlighter's limit is found, though its passage is not shown.
    assert searcher("sjældentord").total == 1


def test_related_topics_leave_files_out(searcher, session, member, facilitator, meeting):  # type: ignore[no-untyped-def]
    from forum.search.related import related

    topic = factories.topic(
        session,
        member,
        title="Nøgletalskatalog og udgifter",
        body="Nøgletalskatalog for anbringelser: udgifter pr. barn",
    )
    factories.topic(
        session,
        member,
        title="Udgifter til anbringelser",
        body="Nøgletalskatalog for anbringelser og udgifter",
    )
    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    found = related(session, searcher.index, member, session.get(Topic, topic.id))
    # A file's pages are grouped under "f<id>", not a topic id: never taken for a topic.
    assert found and found[0].title == "Udgifter til anbringelser"


def test_newest_first_mixes_posts_and_files_by_time(
    searcher, session, member, facilitator, meeting
):  # type: ignore[no-untyped-def]
    old = factories.topic(
        session,
        member,
        title="Nøgletalskatalog før",
        body="Tidligt",
        created_at=utcnow() - timedelta(days=30),
    )
    add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    hits = searcher("nøgletalskatalog", sort="newest").hits
    assert [hit.file is not None for hit in hits] == [True, False]
    assert hits[1].topic.id == old.id


def test_editing_a_post_keeps_its_files_searchable(searcher, session, member):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    add_file(session, member, post=post, pages=["Brobygning mellem skole og hjem"])
    searcher.sync()
    topic_domain.edit_post(session, member, post, body="Ny tekst om samarbejde")
    session.commit()
    searcher.sync()
    assert searcher("brobygning").total == 1


# -- the indexer's edges (a second reviewer's findings) ---------------------------------------


def _pages_in_index(searcher, attachment_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with searcher.index.reading() as reading:
        docs = reading.docs_for_query(Term("file", str(attachment_id)))
        return sorted(reading.stored_fields(doc)["doc_id"] for doc in docs)


def test_a_file_touched_in_several_batches_of_one_sync_is_written_once(  # type: ignore[no-untyped-def]
    searcher, session, member, facilitator, meeting, monkeypatch
):
    from forum.search import indexer

    attachment = add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    monkeypatch.setattr(indexer, "BATCH", 2)
    attachment.filename = "nyt-navn.pptx"
    session.commit()
    factories.topic(session, member)
    factories.topic(session, member)
    attachment.filename = "endnu-et-navn.pptx"
    session.commit()
    searcher.sync()
    assert _pages_in_index(searcher, attachment.id) == [
        f"f{attachment.id}-{n}" for n in (1, 2, 3, 4)
    ]
    assert searcher("nøgletalskatalog").posts == 1


@pytest.mark.parametrize("what", ["file", "meeting"])
def test_a_long_backlog_still_masks_deleted_files_and_meetings(  # type: ignore[no-untyped-def]
    searcher, session, facilitator, meeting, monkeypatch, what
):
    from forum.search import pending

    attachment = add_file(session, facilitator, meeting=meeting)
    searcher.sync()
    monkeypatch.setattr(pending, "MASK_LIMIT", 0)  # as with more than 5,000 pending changes
    (attachment if what == "file" else meeting).deleted_at = utcnow()
    session.commit()
    found = searcher("nøgletalskatalog")
    assert (found.total, found.posts, found.facets) == (0, 0, [])


def test_a_file_failing_partway_leaves_none_of_its_pages(  # type: ignore[no-untyped-def]
    searcher, session, facilitator, meeting, monkeypatch
):
    attachment = add_file(session, facilitator, meeting=meeting)
    real = filedocs.documents

    def documents(row, pages):  # type: ignore[no-untyped-def]
        docs = real(row, pages)
        docs[2]["created"] = "not a time"  # page 3 cannot be written; 1 and 2 were
        return docs

    monkeypatch.setattr(filedocs, "documents", documents)
    result = searcher.sync()
    assert set(result.failed_files) == {attachment.id}
    assert _pages_in_index(searcher, attachment.id) == []
    result = searcher.rebuild()  # a rebuild too
    assert _pages_in_index(searcher, attachment.id) == []


def test_the_search_page_makes_the_same_statements_for_one_file_hit_or_ten(  # type: ignore[no-untyped-def]
    searcher, session, client, auth, member, facilitator, meeting, count_queries
):
    add_file(session, facilitator, meeting=meeting, name="et.pptx")
    searcher.sync()
    auth.login(member)
    client.get("/search?q=nøgletalskatalog")  # warm: the places, the session
    with count_queries() as one:
        assert client.get("/search?q=nøgletalskatalog").status_code == 200
    topic = factories.topic(session, member)
    for n in range(9):
        add_file(session, facilitator, meeting=meeting, name=f"fil-{n}.pptx")
    add_file(session, member, post=factories.post(session, topic, 1), name="paa-indlaeg.pptx")
    searcher.sync()
    with count_queries() as ten:
        page = client.get("/search?q=nøgletalskatalog").get_data(True)
    assert page.count("search-hit-file") == 10
    assert ten.count == one.count


def test_a_page_of_megabytes_costs_a_hit_no_more_than_its_snippet(  # type: ignore[no-untyped-def]
    searcher, session, facilitator, meeting
):
    from forum.search import query

    huge = "Plejefamilier " + "x" * 3_000_000
    attachment = add_file(session, facilitator, meeting=meeting, pages=[huge], unit="page")
    _, parts = query._files(session, [(attachment.id, 1)])
    assert len(parts[(attachment.id, 1)].text) == query.MAX_HIGHLIGHT_CHARS


def test_the_vocabulary_of_a_rebuild_leaves_deleted_files_out(  # type: ignore[no-untyped-def]
    searcher, session, facilitator, meeting
):
    add_file(session, facilitator, meeting=meeting, pages=["Kvalitetsrammemodellen"])
    gone = add_file(session, facilitator, meeting=meeting, pages=["Hemmeligordbogen"])
    gone.deleted_at = utcnow()
    session.commit()
    searcher.rebuild()
    words = (searcher.index.directory / "vocabulary.txt").read_text("utf-8").split()
    assert "kvalitetsrammemodellen" in words and "hemmeligordbogen" not in words
