"""Domain tests for forum.topics: writing, editing, deleting, answers, moderation and lists."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from forum import places
from forum import topics as domain
from forum.errors import Invalid, NotAllowed, NotFound
from forum.extensions import db
from forum.models import PinScope, Post, PostRevision, Topic, TopicKind, User
from forum.timeutil import utcnow
from tests import factories

BASE = datetime(2025, 3, 1, 9, 0)


def _new_topic(session, author, **changes):  # type: ignore[no-untyped-def]
    """create_topic with sensible defaults; keyword arguments override them."""
    values = {
        "title": "Netværket før en anbringelse",
        "body": "Hvordan mobiliserer I barnets netværk?",
        "kind": TopicKind.SPARRING,
        "region": places.region_by_slug(session, "midtjylland"),
        "theme": places.theme_by_slug(session, "netvaerksanbringelser"),
    }
    values.update(changes)
    return domain.create_topic(session, author, **values)


def _ids(session, stmt) -> list[int]:  # type: ignore[no-untyped-def]
    return [topic.id for topic in session.scalars(stmt).unique()]


# -- create_topic ----------------------------------------------------------------------------


def test_create_topic(session, member):
    topic = _new_topic(session, member, title="  Netværket   før en anbringelse ")

    assert topic.id is not None
    assert topic.title == "Netværket før en anbringelse"
    assert topic.slug == "netvaerket-foer-en-anbringelse"
    assert topic.kind == TopicKind.SPARRING
    assert topic.region.slug == "midtjylland"
    assert topic.theme.slug == "netvaerksanbringelser"
    assert topic.reply_count == 0
    assert topic.post_number_max == 1
    assert topic.last_posted_at == topic.created_at
    first = factories.post(session, topic, 1)
    assert first.author_id == member.id
    assert first.body == "Hvordan mobiliserer I barnets netværk?"
    assert "<p>" in first.html


@pytest.mark.parametrize(
    ("title", "body", "field", "message"),
    [
        ("Hej", "En tekst", "title", "mindst 5 tegn"),
        ("    ", "En tekst", "title", "mindst 5 tegn"),
        ("x" * 151, "En tekst", "title", "højst være 150 tegn (den er 151)"),
        ("En god titel", "", "body", "Skriv en tekst i indlægget"),
        ("En god titel", "  \n\t ", "body", "Skriv en tekst i indlægget"),
        ("En god titel", "x" * 30001, "body", "højst være 30000 tegn (det er 30001)"),
        ("Drengen 120590-1234 flytter", "En tekst", "title", "CPR-nummer (120590-**** i linje 1)"),
        ("En god titel", "Første linje\nBarnet har 120590-1234", "body", "i linje 2"),
    ],
    ids=[
        "short-title",
        "blank-title",
        "long-title",
        "empty-body",
        "blank-body",
        "long-body",
        "cpr-title",
        "cpr-body",
    ],
)
def test_create_topic_validation(session, member, title, body, field, message):
    with pytest.raises(Invalid) as info:
        _new_topic(session, member, title=title, body=body)

    assert info.value.field == field
    assert message in str(info.value.message)
    assert session.scalar(select(Topic)) is None


def test_cpr_message_is_danish_and_masks_the_number(session, member):
    with pytest.raises(Invalid) as info:
        _new_topic(session, member, body="CPR 120590-1234")

    message = str(info.value.message)
    assert "personoplysninger om børn og familier" in message
    assert "120590-1234" not in message


def test_title_at_the_limit_is_accepted(session, member):
    topic = _new_topic(session, member, title="x" * 150)
    assert len(topic.title) == 150


def test_create_topic_unknown_kind(session, member):
    with pytest.raises(Invalid) as info:
        _new_topic(session, member, kind="poll")
    assert info.value.field == "kind"


def test_unknown_theme_slug_is_a_field_error(session):
    with pytest.raises(Invalid) as info:
        places.theme_by_slug(session, "findes-ikke", field="theme")
    assert info.value.field == "theme"
    assert "Vælg et tema" in str(info.value.message)


def test_create_topic_inactive_theme(session, member):
    theme = places.theme_by_slug(session, "adoption")
    theme.is_active = False

    with pytest.raises(Invalid) as info:
        _new_topic(session, member, theme=theme)

    assert info.value.field == "theme"
    assert "ikke længere i brug" in str(info.value.message)


def test_material_only_for_facilitators(session, member, facilitator):
    with pytest.raises(Invalid) as info:
        _new_topic(session, member, kind=TopicKind.MATERIAL)
    assert info.value.field == "kind"
    assert "Kun facilitatorer" in str(info.value.message)

    topic = _new_topic(session, facilitator, kind=TopicKind.MATERIAL)
    assert topic.kind == TopicKind.MATERIAL


# -- reply -----------------------------------------------------------------------------------


def test_reply_numbers_and_counts(session, member, other_member):
    topic = factories.topic(session, member, created_at=BASE)

    first = domain.reply(
        session, other_member, topic, "Vi gør sådan.", created_at=BASE.replace(hour=10)
    )
    second = domain.reply(
        session, member, topic, "Tak for svaret.", created_at=BASE.replace(hour=11)
    )

    assert (first.number, second.number) == (2, 3)
    assert topic.reply_count == 2
    assert topic.post_number_max == 3
    assert topic.last_posted_at == BASE.replace(hour=11)


def test_reply_never_moves_last_activity_back(session, member):
    topic = factories.topic(session, member, created_at=BASE)
    domain.reply(session, member, topic, "Senere svar", created_at=BASE + timedelta(days=2))
    domain.reply(
        session, member, topic, "Importeret ældre svar", created_at=BASE + timedelta(days=1)
    )
    assert topic.last_posted_at == BASE + timedelta(days=2)


def test_reply_numbers_are_not_reused_after_delete(session, member):
    topic = factories.topic(session, member, replies=2)
    domain.delete_post(session, member, factories.post(session, topic, 3))

    new = domain.reply(session, member, topic, "Et nyt svar")

    assert new.number == 4
    assert topic.reply_count == 2


def test_reply_validates_body(session, member):
    topic = factories.topic(session, member)
    with pytest.raises(Invalid) as info:
        domain.reply(session, member, topic, "Barnet 120590-1234")
    assert info.value.field == "body"


def test_reply_to_locked_topic(session, member, facilitator):
    topic = factories.topic(session, member)
    domain.set_locked(session, facilitator, topic, True)

    with pytest.raises(Invalid) as info:
        domain.reply(session, member, topic, "Må jeg svare?")
    assert info.value.field == "body"
    assert "låst" in str(info.value.message)
    assert topic.reply_count == 0

    post = domain.reply(session, facilitator, topic, "Facilitatoren svarer alligevel.")
    assert post.number == 2


@pytest.mark.parametrize("role", ["member", "facilitator"])
def test_reply_to_deleted_topic(session, member, facilitator, role):
    topic = factories.topic(session, member)
    domain.delete_post(session, member, factories.post(session, topic, 1))
    replier = member if role == "member" else facilitator

    with pytest.raises(Invalid) as info:
        domain.reply(session, replier, topic, "For sent")
    assert "slettet" in str(info.value.message)


# -- edit_post -------------------------------------------------------------------------------


def test_edit_keeps_revision(session, member):
    topic = factories.topic(session, member, title="Den oprindelige titel", body="Gammel tekst")
    first = factories.post(session, topic, 1)

    domain.edit_post(session, member, first, body="Ny tekst", title="En ny titel", base_revision=1)

    assert first.body == "Ny tekst"
    assert "Ny tekst" in first.html
    assert first.revision == 2
    assert first.edited_by_id == member.id
    assert first.edited_at is not None
    assert topic.title == "En ny titel"
    assert topic.slug == "en-ny-titel"
    [old] = domain.revisions(session, first)
    assert (old.revision, old.body, old.title) == (1, "Gammel tekst", "Den oprindelige titel")
    assert old.written_by_id == member.id
    assert old.written_at == first.created_at


def test_edit_counts_revisions(session, member, facilitator):
    topic = factories.topic(session, member, replies=1)
    post = factories.post(session, topic, 2)

    domain.edit_post(session, member, post, body="Anden version", title="Ignoreret titel")
    domain.edit_post(session, facilitator, post, body="Tredje version", base_revision=2)

    assert post.revision == 3
    assert post.edited_by_id == facilitator.id
    assert not topic.title.startswith("Ignoreret")
    history = domain.revisions(session, post)
    assert [r.revision for r in history] == [2, 1]
    assert history[0].body == "Anden version"
    assert history[0].written_by_id == member.id
    assert history[1].body == "Svar nummer 1: sådan gør vi hos os."
    assert history[1].title is None


def test_stale_edit_is_refused(session, member, facilitator):
    topic = factories.topic(session, member, body="Første")
    post = factories.post(session, topic, 1)
    domain.edit_post(session, facilitator, post, body="Facilitatorens rettelse", base_revision=1)

    with pytest.raises(Invalid) as info:
        domain.edit_post(session, member, post, body="Min rettelse", base_revision=1)

    assert info.value.field == "body"
    assert "ændret, mens du skrev" in str(info.value.message)
    assert post.body == "Facilitatorens rettelse"
    assert post.revision == 2


def test_unchanged_edit_adds_no_revision(session, member):
    topic = factories.topic(session, member, body="Samme tekst")
    post = factories.post(session, topic, 1)

    domain.edit_post(session, member, post, body="  Samme tekst \n", title=topic.title)

    assert post.revision == 1
    assert post.edited_at is None
    assert session.scalar(select(PostRevision)) is None


def test_edit_validates(session, member):
    post = factories.post(session, factories.topic(session, member), 1)
    with pytest.raises(Invalid) as info:
        domain.edit_post(session, member, post, body="Se 120590-1234")
    assert info.value.field == "body"
    with pytest.raises(Invalid) as info:
        domain.edit_post(session, member, post, body="Fint", title="Kort")
    assert info.value.field == "title"
    assert post.revision == 1


def test_others_cannot_edit(session, member, other_member):
    post = factories.post(session, factories.topic(session, member), 1)
    with pytest.raises(NotAllowed):
        domain.edit_post(session, other_member, post, body="Overtaget")
    assert post.body != "Overtaget"


def test_author_cannot_edit_in_locked_topic_but_facilitator_can(session, member, facilitator):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    domain.set_locked(session, facilitator, topic, True)

    with pytest.raises(NotAllowed):
        domain.edit_post(session, member, post, body="Efter låsning")
    domain.edit_post(session, facilitator, post, body="Rettet af facilitator")
    assert post.body == "Rettet af facilitator"


# -- delete and restore ----------------------------------------------------------------------


def _topic_with_dated_replies(session, author, n):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, author, created_at=BASE)
    for i in range(1, n + 1):
        domain.append_post(
            session, author, topic, f"Svar {i}", created_at=BASE + timedelta(hours=i)
        )
    return topic


def test_delete_reply_is_soft_and_recounts(session, member, facilitator):
    topic = _topic_with_dated_replies(session, member, 3)
    last = factories.post(session, topic, 4)

    domain.delete_post(session, member, last)

    assert last.deleted_at is not None
    assert last.deleted_by_id == member.id
    assert session.get(Post, last.id) is not None  # still stored
    assert topic.reply_count == 2
    assert topic.last_posted_at == BASE + timedelta(hours=2)
    assert not topic.is_deleted

    domain.restore_post(session, facilitator, last)

    assert last.deleted_at is None
    assert last.deleted_by_id is None
    assert topic.reply_count == 3
    assert topic.last_posted_at == BASE + timedelta(hours=3)


def test_delete_first_post_deletes_topic(session, member, facilitator):
    topic = _topic_with_dated_replies(session, member, 1)
    with pytest.raises(NotAllowed):  # it has a reply: only a moderator may take it away
        domain.delete_post(session, member, factories.post(session, topic, 1))

    domain.delete_post(session, facilitator, factories.post(session, topic, 1))

    assert topic.is_deleted
    assert topic.deleted_by_id == facilitator.id
    assert _ids(session, domain.topics_query(member)) == []

    domain.restore_post(session, facilitator, factories.post(session, topic, 1))

    assert not topic.is_deleted
    assert topic.deleted_by_id is None
    assert topic.reply_count == 1
    assert _ids(session, domain.topics_query(member)) == [topic.id]


def test_delete_only_post_keeps_created_at_as_activity(session, member):
    topic = factories.topic(session, member, created_at=BASE)
    domain.delete_post(session, member, factories.post(session, topic, 1))
    assert topic.reply_count == 0
    assert topic.last_posted_at == BASE


def test_delete_permissions(session, member, other_member, facilitator):
    topic = factories.topic(session, member, replies=1)
    post = factories.post(session, topic, 2)

    with pytest.raises(NotAllowed):
        domain.delete_post(session, other_member, post)
    domain.delete_post(session, facilitator, post)
    with pytest.raises(NotAllowed):  # already deleted
        domain.delete_post(session, facilitator, post)
    with pytest.raises(NotAllowed):  # only moderators restore
        domain.restore_post(session, member, post)
    assert post.is_deleted


def test_restore_needs_a_deleted_post(session, member, facilitator):
    post = factories.post(session, factories.topic(session, member), 1)
    with pytest.raises(NotAllowed):
        domain.restore_post(session, facilitator, post)


def test_deleting_the_answer_clears_it(session, member, other_member):
    topic = factories.topic(session, member, kind=TopicKind.SPARRING)
    answer = domain.reply(session, other_member, topic, "Prøv familierådslagning.")
    domain.mark_answer(session, member, topic, answer)
    assert topic.answer_post_id == answer.id

    domain.delete_post(session, other_member, answer)

    assert topic.answer_post_id is None
    assert not topic.is_answered


# -- mark_answer -----------------------------------------------------------------------------


def test_mark_answer_by_author_and_toggle_off(session, member, other_member):
    topic = factories.topic(
        session, member, kind=TopicKind.SPARRING, replies=2, repliers=[other_member]
    )
    answer = factories.post(session, topic, 3)

    domain.mark_answer(session, member, topic, answer)
    assert topic.answer_post_id == answer.id
    assert topic.is_answered

    domain.mark_answer(session, member, topic, None)
    assert topic.answer_post_id is None


def test_mark_answer_by_facilitator(session, member, other_member, facilitator):
    topic = factories.topic(
        session, member, kind=TopicKind.SPARRING, replies=1, repliers=[other_member]
    )
    domain.mark_answer(session, facilitator, topic, factories.post(session, topic, 2))
    assert topic.answer_post_id == factories.post(session, topic, 2).id


@pytest.mark.parametrize("who", ["member", "facilitator"])
def test_asker_own_reply_is_never_the_answer(session, member, facilitator, who):
    topic = factories.topic(session, member, kind=TopicKind.SPARRING, replies=1)
    own = factories.post(session, topic, 2)  # the asker's follow-up
    with pytest.raises(NotAllowed):
        domain.mark_answer(session, {"member": member, "facilitator": facilitator}[who], topic, own)
    assert topic.answer_post_id is None


def test_mark_answer_refused_for_others(session, member, other_member):
    topic = factories.topic(session, member, kind=TopicKind.SPARRING, replies=1)
    with pytest.raises(NotAllowed):
        domain.mark_answer(session, other_member, topic, factories.post(session, topic, 2))
    assert topic.answer_post_id is None


@pytest.mark.parametrize("kind", [TopicKind.DISCUSSION, TopicKind.EXPERIENCE])
def test_mark_answer_only_for_sparring(session, member, facilitator, kind):
    topic = factories.topic(session, member, kind=kind, replies=1)
    with pytest.raises(NotAllowed):
        domain.mark_answer(session, facilitator, topic, factories.post(session, topic, 2))
    assert topic.answer_post_id is None


@pytest.mark.parametrize("which", ["first", "other-topic", "deleted"])
def test_mark_answer_refuses_unsuitable_posts(session, member, which):
    topic = factories.topic(session, member, kind=TopicKind.SPARRING, replies=1)
    if which == "first":
        post = factories.post(session, topic, 1)
    elif which == "other-topic":
        other = factories.topic(session, member, kind=TopicKind.SPARRING, replies=1)
        post = factories.post(session, other, 2)
    else:
        post = factories.post(session, topic, 2)
        domain.delete_post(session, member, post)

    with pytest.raises(Invalid):
        domain.mark_answer(session, member, topic, post)
    assert topic.answer_post_id is None


# -- moderation ------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", PinScope.ALL)
def test_pin_scopes(session, member, facilitator, scope):
    topic = factories.topic(session, member)
    until = utcnow() + timedelta(days=3)

    domain.pin_topic(session, facilitator, topic, scope, until)

    assert topic.pin_scope == scope
    assert topic.pinned_until == until
    assert topic.is_pinned()


def test_pin_without_end_and_unpin(session, member, facilitator):
    topic = factories.topic(session, member)
    domain.pin_topic(session, facilitator, topic, PinScope.REGION)
    assert topic.is_pinned()
    assert topic.pinned_until is None

    domain.unpin_topic(session, facilitator, topic)

    assert topic.pin_scope is None
    assert topic.pinned_until is None
    assert not topic.is_pinned()


@pytest.mark.parametrize(
    ("scope", "until", "field"),
    [
        ("everywhere", None, "scope"),
        (PinScope.GLOBAL, timedelta(minutes=-1), "until"),
        (PinScope.REGION, timedelta(days=-30), "until"),
    ],
)
def test_pin_validation(session, member, facilitator, scope, until, field):
    topic = factories.topic(session, member)
    with pytest.raises(Invalid) as info:
        domain.pin_topic(session, facilitator, topic, scope, utcnow() + until if until else None)
    assert info.value.field == field
    assert topic.pin_scope is None


@pytest.mark.parametrize(
    "action",
    [
        lambda s, u, t: domain.pin_topic(s, u, t, PinScope.GLOBAL),
        lambda s, u, t: domain.unpin_topic(s, u, t),
        lambda s, u, t: domain.set_locked(s, u, t, True),
        lambda s, u, t: domain.move_topic(s, u, t, t.region, t.theme),
        lambda s, u, t: domain.change_kind(s, u, t, TopicKind.EXPERIENCE),
    ],
    ids=["pin", "unpin", "lock", "move", "kind"],
)
def test_moderation_refused_for_members(session, member, action):
    topic = factories.topic(session, member)
    with pytest.raises(NotAllowed):
        action(session, member, topic)
    assert topic.pin_scope is None
    assert not topic.is_locked
    assert topic.kind == TopicKind.DISCUSSION


def test_lock_and_unlock(session, member, facilitator):
    topic = factories.topic(session, member)
    domain.set_locked(session, facilitator, topic, True)
    assert topic.is_locked
    domain.set_locked(session, facilitator, topic, False)
    assert not topic.is_locked
    assert domain.reply(session, member, topic, "Nu kan jeg svare igen.").number == 2


def test_move(session, member, facilitator):
    topic = factories.topic(session, member, region="midtjylland", theme="familiepleje")
    domain.move_topic(
        session,
        facilitator,
        topic,
        places.region_by_slug(session, "landsdaekkende"),
        places.theme_by_slug(session, "barnets-lov"),
    )
    assert topic.region.slug == "landsdaekkende"
    assert topic.theme.slug == "barnets-lov"
    region = places.region_by_slug(session, "midtjylland")
    assert _ids(session, domain.topics_query(member, region=region)) == []


def test_change_kind_leaving_sparring_clears_answer(session, member, other_member, facilitator):
    topic = factories.topic(
        session, member, kind=TopicKind.SPARRING, replies=1, repliers=[other_member]
    )
    domain.mark_answer(session, member, topic, factories.post(session, topic, 2))

    domain.change_kind(session, facilitator, topic, TopicKind.SPARRING)
    assert topic.is_answered

    domain.change_kind(session, facilitator, topic, TopicKind.DISCUSSION)
    assert topic.kind == TopicKind.DISCUSSION
    assert topic.answer_post_id is None

    with pytest.raises(Invalid) as info:
        domain.change_kind(session, facilitator, topic, "poll")
    assert info.value.field == "kind"


# -- lists -----------------------------------------------------------------------------------


def _dated_topics(session, author, n, **kwargs):  # type: ignore[no-untyped-def]
    """n topics, the later ones more recently active."""
    return [
        factories.topic(session, author, created_at=BASE + timedelta(days=i), **kwargs)
        for i in range(n)
    ]


def test_topics_query_orders_by_last_activity(session, member):
    old, middle, new = _dated_topics(session, member, 3)
    domain.append_post(
        session, member, old, "Nyt liv i tråden", created_at=BASE + timedelta(days=9)
    )

    assert _ids(session, domain.topics_query(member)) == [old.id, new.id, middle.id]


def test_topics_query_ties_broken_by_newest_id(session, member):
    same = [factories.topic(session, member, created_at=BASE) for _ in range(3)]
    assert _ids(session, domain.topics_query(member)) == [t.id for t in reversed(same)]


def _pinned_fixture(session, member):  # type: ignore[no-untyped-def]
    """Topics in midtjylland/familiepleje, each pinned in one way, plus a fresh unpinned one."""
    g, r, t, expired, plain = _dated_topics(
        session, member, 5, region="midtjylland", theme="familiepleje"
    )
    g.pin_scope = PinScope.GLOBAL
    r.pin_scope = PinScope.REGION
    t.pin_scope = PinScope.THEME
    expired.pin_scope = PinScope.GLOBAL
    expired.pinned_until = utcnow() - timedelta(hours=1)
    session.flush()
    return g, r, t, expired, plain


def test_front_page_puts_only_global_pins_first(session, member):
    g, r, t, expired, plain = _pinned_fixture(session, member)
    assert _ids(session, domain.topics_query(member)) == [g.id, plain.id, expired.id, t.id, r.id]


def test_region_list_puts_global_and_region_pins_first(session, member):
    g, r, t, expired, plain = _pinned_fixture(session, member)
    region = places.region_by_slug(session, "midtjylland")
    assert _ids(session, domain.topics_query(member, region=region)) == [
        r.id,
        g.id,
        plain.id,
        expired.id,
        t.id,
    ]


def test_theme_list_puts_global_and_theme_pins_first(session, member):
    g, r, t, expired, plain = _pinned_fixture(session, member)
    theme = places.theme_by_slug(session, "familiepleje")
    assert _ids(session, domain.topics_query(member, theme=theme)) == [
        t.id,
        g.id,
        plain.id,
        expired.id,
        r.id,
    ]


def test_region_and_theme_list_puts_every_pin_first(session, member):
    g, r, t, expired, plain = _pinned_fixture(session, member)
    region = places.region_by_slug(session, "midtjylland")
    theme = places.theme_by_slug(session, "familiepleje")
    assert _ids(session, domain.topics_query(member, region=region, theme=theme)) == [
        t.id,
        r.id,
        g.id,
        plain.id,
        expired.id,
    ]


def test_profile_list_ignores_pins(session, member, other_member):
    g, r, t, expired, plain = _pinned_fixture(session, member)
    factories.topic(session, other_member)
    assert _ids(session, domain.topics_query(member, author=member)) == [
        plain.id,
        expired.id,
        t.id,
        r.id,
        g.id,
    ]


def test_topics_query_filters(session, member):
    a = factories.topic(session, member, region="midtjylland", theme="familiepleje")
    b = factories.topic(session, member, region="midtjylland", theme="adoption")
    c = factories.topic(session, member, region="syddanmark", theme="familiepleje")
    d = factories.topic(session, member, region="syddanmark", theme="adoption", kind="sparring")
    midt = places.region_by_slug(session, "midtjylland")
    pleje = places.theme_by_slug(session, "familiepleje")

    assert set(_ids(session, domain.topics_query(member, region=midt))) == {a.id, b.id}
    assert set(_ids(session, domain.topics_query(member, theme=pleje))) == {a.id, c.id}
    assert _ids(session, domain.topics_query(member, region=midt, theme=pleje)) == [a.id]
    assert _ids(session, domain.topics_query(member, kind=TopicKind.SPARRING)) == [d.id]


@pytest.mark.parametrize("viewer", ["member", "facilitator"])
def test_deleted_topics_are_hidden_from_lists(session, member, facilitator, viewer):
    kept = factories.topic(session, member)
    gone = factories.topic(session, member)
    domain.delete_post(session, member, factories.post(session, gone, 1))
    user = member if viewer == "member" else facilitator

    assert _ids(session, domain.topics_query(user)) == [kept.id]
    assert _ids(session, domain.topics_query(user, author=member)) == [kept.id]


def test_get_topic_of_deleted_topic(session, member, facilitator):
    topic = factories.topic(session, member)
    domain.delete_post(session, member, factories.post(session, topic, 1))

    with pytest.raises(NotFound):
        domain.get_topic(session, member, topic.id)
    assert domain.get_topic(session, facilitator, topic.id) is topic


def test_posts_query_hides_deleted_posts_from_members(session, member, facilitator):
    topic = factories.topic(session, member, replies=3)
    domain.delete_post(session, member, factories.post(session, topic, 3))

    def numbers(user):  # type: ignore[no-untyped-def]
        return [p.number for p in session.scalars(domain.posts_query(user, topic))]

    assert numbers(member) == [1, 2, 4]
    assert numbers(facilitator) == [1, 2, 3, 4]


def test_page_of_post(session, member, facilitator):
    topic = factories.topic(session, member, replies=24)  # posts 1..25

    def page(user, number, per_page=20):  # type: ignore[no-untyped-def]
        return domain.page_of_post(session, user, factories.post(session, topic, number), per_page)

    assert page(member, 1) == 1
    assert page(member, 20) == 1
    assert page(member, 21) == 2
    assert page(member, 25) == 2
    assert page(member, 7, per_page=3) == 3

    domain.delete_post(session, member, factories.post(session, topic, 3))

    # Members do not see the deleted post, so everything after it moves up one place.
    assert page(member, 21) == 1
    assert page(member, 22) == 2
    assert page(facilitator, 21) == 2


def test_replies_from_two_sessions_at_once_get_their_own_numbers(app, member, other_member):
    """Both members loaded the topic before either saved: no number is given twice."""
    topic_id = factories.topic(db.session, member).id
    db.session.commit()
    with app.app_context():
        first_session = db.session()  # the real Session, not the context-bound proxy
        first_topic = first_session.get(Topic, topic_id)
        first_author = first_session.get(User, member.id)
        with app.app_context():
            second_session = db.session()
            second_topic = second_session.get(Topic, topic_id)
            second_author = second_session.get(User, other_member.id)
            assert second_topic.post_number_max == 1
            first = domain.append_post(first_session, first_author, first_topic, "Første svar.")
            first_session.commit()
            second = domain.append_post(second_session, second_author, second_topic, "Andet svar.")
            second_session.commit()
            assert (first.number, second.number) == (2, 3)
    db.session.expire_all()
    topic = db.session.get(Topic, topic_id)
    assert topic.reply_count == 2
    assert topic.post_number_max == 3


def test_every_problem_in_a_new_topic_is_reported_at_once(session, member):
    with pytest.raises(Invalid) as caught:
        domain.create_topic(
            session,
            member,
            title="Barn 120590-1234",
            body="",
            kind=TopicKind.SPARRING,
            region=places.region_by_slug(session, "midtjylland"),
            theme=places.theme_by_slug(session, "familiepleje"),
        )
    problems = [caught.value, *caught.value.also]
    assert [p.field for p in problems] == ["title", "body"]
    assert "CPR-nummer" in str(problems[0].message)
