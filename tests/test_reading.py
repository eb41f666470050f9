"""Read state: the marker only moves forward, levels from writing, unread and new."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from forum import places, reading
from forum import topics as domain
from forum.lists import reading_page
from forum.models import TopicMember
from forum.timeutil import utcnow
from tests import factories


def _row(session, user, topic) -> TopicMember | None:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(
        select(TopicMember).where(TopicMember.user_id == user.id, TopicMember.topic_id == topic.id)
    )


def _counts(session, user) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """How many topics /unread and /new list for ``user``."""
    return tuple(  # type: ignore[return-value]
        reading_page(session, user, which=which, page=1, per_page=30).total
        for which in ("unread", "new")
    )


def _started(session, author):  # type: ignore[no-untyped-def]
    return domain.create_topic(
        session,
        author,
        title="Hvordan sikrer I kontinuitet i sagsbehandlingen?",
        body="Vi skifter rådgivere ofte.",
        kind="sparring",
        region=places.region_by_slug(session, "midtjylland"),
        theme=places.theme_by_slug(session, "familiepleje"),
    )


def test_the_author_watches_a_topic_they_started(session, member):
    topic = _started(session, member)
    row = _row(session, member, topic)
    assert (row.level, row.level_reason, row.last_read_post_number) == (
        reading.WATCHING,
        "created",
        1,
    )


def test_a_reply_tracks_the_topic_but_never_lowers_a_level(session, member, other_member, admin):
    topic = _started(session, member)
    domain.reply(session, other_member, topic, "Vi har faste teams.")
    assert _row(session, other_member, topic).level == reading.TRACKING
    domain.reply(session, member, topic, "Tak for svaret.")
    assert _row(session, member, topic).level == reading.WATCHING  # still watching
    session.add(TopicMember(user_id=admin.id, topic_id=topic.id, level=reading.MUTED))
    session.flush()
    domain.reply(session, admin, topic, "Et svar fra en, der har slået emnet fra.")
    row = _row(session, admin, topic)
    assert row.level == reading.MUTED
    assert row.last_read_post_number == 4


def test_the_read_marker_only_moves_forward(app, session, member):
    topic = factories.topic(session, member, replies=9)
    session.commit()
    for up_to in (5, 3, 10, 2):
        reading.record_read(app, member.id, topic.id, up_to)
    assert _row(session, member, topic).last_read_post_number == 10


def test_unread_counts_only_for_tracked_and_watched_topics(session, member, other_member):
    topic = _started(session, member)
    for n in range(3):
        domain.reply(session, other_member, topic, f"Svar {n}")
    unread = reading.unread_posts(session, member, [topic.id])
    watched = reading.row_state(topic, _row(session, member, topic), None, unread.get(topic.id))
    assert (watched.unread, watched.first_unread, watched.is_new) == (3, 2, False)
    _row(session, member, topic).level = reading.NORMAL
    session.flush()
    assert reading.unread_posts(session, member, [topic.id]) == {}


def test_deleted_posts_are_neither_counted_nor_linked_to(session, member, other_member, admin):
    topic = _started(session, member)
    for n in range(3):
        domain.reply(session, other_member, topic, f"Svar {n}")
    domain.delete_post(session, admin, factories.post(session, topic, 2))
    assert reading.unread_posts(session, member, [topic.id]) == {topic.id: (2, 3)}
    for n in (3, 4):
        domain.delete_post(session, admin, factories.post(session, topic, n))
    assert reading.unread_posts(session, member, [topic.id]) == {}
    assert _counts(session, member)[0] == 0
    # A moderator sees deleted posts (as stubs), so they count for them.
    assert reading.unread_posts(session, admin, [topic.id]) == {}  # admin follows nothing


def test_new_means_created_since_the_cut_off_and_never_opened(session, member, other_member):
    member.first_login_at = utcnow() - timedelta(days=3)
    old = factories.topic(session, other_member, created_at=utcnow() - timedelta(days=4))
    fresh = factories.topic(session, other_member)
    cutoff = reading.new_cutoff(member)
    assert not reading.row_state(old, None, cutoff).is_new
    assert reading.row_state(fresh, None, cutoff).is_new
    opened = TopicMember(topic_id=fresh.id, last_read_post_number=1, level=reading.NORMAL)
    assert not reading.row_state(fresh, opened, cutoff).is_new


def test_the_cut_off_is_the_latest_of_first_login_fourteen_days_and_mark_all_read(session, member):
    now = utcnow()
    member.first_login_at = now - timedelta(days=30)
    assert abs(reading.new_cutoff(member, now) - (now - timedelta(days=14))) < timedelta(seconds=1)
    member.first_login_at = now - timedelta(days=2)
    assert reading.new_cutoff(member, now) == member.first_login_at
    member.marked_read_at = now - timedelta(hours=1)
    assert reading.new_cutoff(member, now) == member.marked_read_at


def test_mark_all_read_clears_unread_and_new(session, member, other_member):
    topic = _started(session, member)
    domain.reply(session, other_member, topic, "Et svar")
    factories.topic(session, other_member)
    member.first_login_at = utcnow() - timedelta(days=1)
    assert _counts(session, member) == (1, 1)
    reading.mark_all_read(session, member)
    assert _counts(session, member) == (0, 0)
    assert _row(session, member, topic).last_read_post_number == 2
