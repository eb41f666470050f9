"""Thanks, bookmarks and reminders (forum.reactions), without a request."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum import following, notify, reactions, reading
from forum.errors import Invalid, NotAllowed
from forum.extensions import db
from forum.models import Notification, NotificationKind, Post, User
from forum.models.reactions import Bookmark, PostThanks
from forum.timeutil import utcnow
from forum.topics import delete_post
from tests import factories

VALID_CPR = "120590-1234"  # a likely CPR number (tests/test_privacy.py)


@pytest.fixture
def reply(session, member, other_member):  # type: ignore[no-untyped-def]
    """Reply 2, by other_member, in member's topic."""
    topic = factories.topic(session, member, replies=1, repliers=[other_member])
    return factories.post(session, topic, 2)


def stored_count(session, post: Post) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Post.thanks_count).where(Post.id == post.id))


def thanks_rows(session, post: Post) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).where(PostThanks.post_id == post.id))


def notifications(session) -> list[Notification]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.id)))


# -- thanks ----------------------------------------------------------------------------------


def test_thanking_twice_counts_once(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    assert reactions.thank(session, member, reply) is True
    assert reactions.thank(session, member, reply) is False
    assert reply.thanks_count == 1
    assert stored_count(session, reply) == 1
    assert thanks_rows(session, reply) == 1


def test_own_post_cannot_be_thanked(session, other_member, reply) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed, match="dit eget indlæg"):
        reactions.thank(session, other_member, reply)
    assert stored_count(session, reply) == 0
    assert notifications(session) == []


def test_deleted_post_cannot_be_thanked(session, member, facilitator, reply) -> None:  # type: ignore[no-untyped-def]
    delete_post(session, facilitator, reply)
    for who in (member, facilitator):  # the facilitator still sees it
        with pytest.raises(NotAllowed):
            reactions.thank(session, who, reply)
    assert stored_count(session, reply) == 0


def test_unthank_takes_one_off_and_never_goes_below_zero(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    assert reactions.unthank(session, member, reply) is True
    assert stored_count(session, reply) == 0
    assert reactions.unthank(session, member, reply) is False
    assert stored_count(session, reply) == 0
    assert thanks_rows(session, reply) == 0


def test_toggle(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    assert reactions.toggle_thanks(session, member, reply) is True
    assert reactions.has_thanked(session, member, reply)
    assert reactions.toggle_thanks(session, member, reply) is False
    assert not reactions.has_thanked(session, member, reply)


def test_thanks_make_one_consolidated_notification(session, member, other_member, reply) -> None:  # type: ignore[no-untyped-def]
    anne = factories.user(session, name="Anne Andersen")
    reactions.thank(session, member, reply)
    (first,) = notifications(session)
    assert (first.user_id, first.kind, first.key, first.count, first.actor_id) == (
        other_member.id,
        NotificationKind.THANKED,
        f"thanks:{reply.id}",
        1,
        member.id,
    )
    assert (first.post_id, first.post_number, first.topic_id) == (reply.id, 2, reply.topic_id)
    assert first.email_due_at is None
    assert reactions.thanks_label(first) == "Mette Kjær sagde tak"
    # The author reads it; then a new thanks makes it unread and new again.
    first.read_at = utcnow()
    first.created_at = utcnow() - timedelta(days=2)
    session.commit()
    reactions.thank(session, anne, reply)
    (again,) = notifications(session)
    assert again.id == first.id
    assert (again.count, again.actor_id, again.read_at, again.email_due_at) == (
        2,
        anne.id,
        None,
        None,
    )
    assert again.created_at > utcnow() - timedelta(minutes=1)
    assert reactions.thanks_label(again) == "Anne Andersen og 1 anden sagde tak"
    for n in range(3):
        reactions.thank(session, factories.user(session, name=f"Kollega {n}"), reply)
    (latest,) = notifications(session)
    assert latest.count == 5
    assert reactions.thanks_label(latest) == "Kollega 2 og 4 andre sagde tak"


def test_a_deactivated_thanker_is_not_named(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    kirsten = factories.user(session, name="Kirsten Madsen")
    anne = factories.user(session, name="Anne Andersen")
    for thanker in (member, kirsten, anne):
        reactions.thank(session, thanker, reply)
    anne.active = kirsten.active = False
    session.commit()
    (row,) = notifications(session)
    assert reactions.thanks_label(row) == "Et medlem og 2 andre sagde tak"
    # Anne takes hers back: it names the latest other thanker who is still active (not
    # Kirsten, who thanked later but is deactivated).
    reactions.unthank(session, anne, reply)
    (row,) = notifications(session)
    assert row.actor_id == member.id
    assert reactions.thanks_label(row) == "Mette Kjær og 1 anden sagde tak"


def test_taking_thanks_back_counts_the_notification_down(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    anne = factories.user(session, name="Anne Andersen")
    reactions.thank(session, member, reply)
    reactions.thank(session, anne, reply)
    reactions.unthank(session, anne, reply)
    (row,) = notifications(session)
    # The text follows the post's thanks; the count is what it has told about.
    assert (row.count, row.actor_id) == (2, member.id)  # no longer names Anne
    assert reactions.thanks_label(row) == "Mette Kjær sagde tak"
    reactions.unthank(session, member, reply)
    (row,) = notifications(session)  # kept, with what it told about, but not shown
    assert row.count == 2
    author = reply.author
    assert notify.unread_count(session, author) == 0
    assert session.scalars(notify.page_query(author)).all() == []


def _read_long_ago(session, row: Notification) -> None:  # type: ignore[no-untyped-def]
    row.read_at = utcnow() - timedelta(days=2)
    row.created_at = utcnow() - timedelta(days=2)
    session.commit()


def test_thanking_again_does_not_notify_again(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    (row,) = notifications(session)
    _read_long_ago(session, row)
    read_at, created_at = row.read_at, row.created_at
    for _ in range(3):  # take back, give again: the bell stays dark
        reactions.unthank(session, member, reply)
        reactions.thank(session, member, reply)
    (row,) = notifications(session)
    assert (row.count, row.read_at, row.created_at) == (1, read_at, created_at)
    assert notify.unread_count(session, reply.author) == 0
    # A second member's thanks is more than it told about: unread and new again.
    anne = factories.user(session, name="Anne Andersen")
    reactions.thank(session, anne, reply)
    (row,) = notifications(session)
    assert (row.count, row.actor_id, row.read_at) == (2, anne.id, None)
    assert row.created_at > utcnow() - timedelta(minutes=1)
    assert reactions.thanks_label(row) == "Anne Andersen og 1 anden sagde tak"


def test_the_high_water_mark_never_goes_down(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    anne = factories.user(session, name="Anne Andersen")
    bo = factories.user(session, name="Bo Berg")
    reactions.thank(session, member, reply)
    reactions.thank(session, anne, reply)
    (row,) = notifications(session)
    _read_long_ago(session, row)
    reactions.unthank(session, member, reply)
    reactions.unthank(session, anne, reply)
    # Down to none and up to two again: still no more than it told about.
    reactions.thank(session, bo, reply)
    reactions.thank(session, member, reply)
    (row,) = notifications(session)
    assert row.count == 2 and row.read_at is not None
    assert row.actor_id == member.id  # the latest thanker, named quietly
    assert reactions.thanks_label(row) == "Mette Kjær og 1 anden sagde tak"
    reactions.thank(session, anne, reply)  # the third thanks: told
    (row,) = notifications(session)
    assert (row.count, row.actor_id, row.read_at) == (3, anne.id, None)


@pytest.mark.parametrize("place", ["topic", "region", "theme"])
def test_thanks_on_a_muted_topic_never_notify(session, member, reply, place) -> None:  # type: ignore[no-untyped-def]
    author, topic = reply.author, reply.topic
    if place == "topic":
        following.set_topic_level(session, author, topic, reading.MUTED)
    elif place == "region":
        following.set_region_level(session, author, topic.region, reading.MUTED)
    else:
        following.set_theme_level(session, author, topic.theme, reading.MUTED)
    assert reactions.thank(session, member, reply) is True
    assert stored_count(session, reply) == 1
    assert notifications(session) == []
    reactions.unthank(session, member, reply)
    assert notifications(session) == []


def test_thanks_notify_again_once_the_topic_is_no_longer_muted(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    author, topic = reply.author, reply.topic
    following.set_topic_level(session, author, topic, reading.MUTED)
    reactions.thank(session, member, reply)
    following.set_topic_level(session, author, topic, reading.NORMAL)
    reactions.thank(session, factories.user(session, name="Anne Andersen"), reply)
    (row,) = notifications(session)
    assert (row.count, row.read_at) == (2, None)
    assert reactions.thanks_label(row) == "Anne Andersen og 1 anden sagde tak"


def test_thankers_latest_first(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    anne = factories.user(session, name="Anne Andersen")
    reactions.thank(session, member, reply)
    session.execute(PostThanks.__table__.update().values(created_at=utcnow() - timedelta(hours=1)))
    reactions.thank(session, anne, reply)
    assert [u.id for u in reactions.thankers(session, reply)] == [anne.id, member.id]


def test_page_state_is_two_statements(session, member, other_member, count_queries) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member, replies=4)
    posts = [factories.post(session, topic, n) for n in range(1, 6)]
    reactions.thank(session, member, posts[1])
    reactions.thank(session, member, posts[3])
    saved = reactions.save_bookmark(session, member, posts[2])
    ids, saved_id = [p.id for p in posts], saved.id
    session.commit()
    session.refresh(member)  # loaded before counting, as a request's current user is
    with count_queries() as counter:
        thanked, bookmarks = reactions.page_state(session, member, ids)
    assert counter.count == 2
    assert thanked == {ids[1], ids[3]}
    assert list(bookmarks) == [ids[2]] and bookmarks[ids[2]].id == saved_id
    with count_queries() as counter:
        assert reactions.page_state(session, member, []) == (set(), {})
    assert counter.count == 0


# -- bookmarks -------------------------------------------------------------------------------


def test_bookmark_saved_changed_and_removed(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    saved = reactions.save_bookmark(session, member, reply, note=" Til teammødet ")
    assert (saved.note, saved.remind_at) == ("Til teammødet", None)
    quick = reactions.save_bookmark(session, member, reply, keep_existing=True)
    assert quick.id == saved.id and quick.note == "Til teammødet"
    later = datetime(2030, 1, 2, 8, 0)
    changed = reactions.save_bookmark(session, member, reply, note="", remind_at=later)
    assert changed.id == saved.id and (changed.note, changed.remind_at) == ("", later)
    assert session.scalar(select(func.count(Bookmark.id))) == 1
    assert reactions.remove_bookmark(session, member, reply.id) is True
    assert reactions.remove_bookmark(session, member, reply.id) is False
    assert session.scalar(select(func.count(Bookmark.id))) == 0


@pytest.mark.parametrize(
    ("note", "message"),
    [("x" * 201, "højst 200 tegn"), (f"Sagen om {VALID_CPR}", "CPR-nummer")],
)
def test_bad_note_is_refused(session, member, reply, note, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid, match=message) as caught:
        reactions.save_bookmark(session, member, reply, note=note)
    assert caught.value.field == "note"


def test_deleted_post_cannot_be_bookmarked(session, member, facilitator, reply) -> None:  # type: ignore[no-untyped-def]
    delete_post(session, facilitator, reply)
    with pytest.raises(NotAllowed):
        reactions.save_bookmark(session, member, reply)


# Wednesday 2 December 2026, 14:30 UTC = 15:30 in Copenhagen (winter time, UTC+1).
NOW = datetime(2026, 12, 2, 14, 30)


@pytest.mark.parametrize(
    ("choice", "day", "now", "expected"),
    [
        ("", None, NOW, None),
        ("tomorrow", None, NOW, datetime(2026, 12, 3, 8, 0)),  # 9:00 Danish time
        ("monday", None, NOW, datetime(2026, 12, 7, 8, 0)),
        ("monday", None, datetime(2026, 12, 7, 7, 0), datetime(2026, 12, 14, 8, 0)),  # not today
        ("week", None, NOW, datetime(2026, 12, 9, 14, 30)),
        ("date", date(2027, 6, 1), NOW, datetime(2027, 6, 1, 7, 0)),  # summer time, UTC+2
        # 23:30 UTC on 2 December is already 3 December in Copenhagen: tomorrow is the 4th.
        ("tomorrow", None, datetime(2026, 12, 2, 23, 30), datetime(2026, 12, 4, 8, 0)),
        # Across the change to summer time: the same wall-clock hour a week later.
        ("week", None, datetime(2027, 3, 25, 11, 0), datetime(2027, 4, 1, 10, 0)),
    ],
)
def test_reminder_times_are_danish_and_stored_in_utc(choice, day, now, expected, app) -> None:  # type: ignore[no-untyped-def]
    assert reactions.reminder_time(choice, day, now=now) == expected


@pytest.mark.parametrize(
    ("choice", "day", "field", "message"),
    [
        ("date", date(2026, 12, 1), "day", "fremtiden"),
        ("date", date(2026, 12, 2), "day", "fremtiden"),  # today's 9:00 has passed
        ("date", None, "day", "Vælg den dag"),
        ("date", date(2040, 1, 1), "day", "tre år"),
        ("next-year", None, "reminder", "Vælg en af påmindelserne"),
    ],
)
def test_bad_reminder_is_refused(choice, day, field, message, app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid, match=message) as caught:
        reactions.reminder_time(choice, day, now=NOW)
    assert caught.value.field == field


# -- reminders -------------------------------------------------------------------------------


def reminders(session) -> list[Notification]:  # type: ignore[no-untyped-def]
    return [n for n in notifications(session) if n.kind == NotificationKind.REMINDER]


def test_a_due_reminder_notifies_once(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    soon = utcnow() + timedelta(hours=1)
    saved = reactions.save_bookmark(session, member, reply, remind_at=soon)
    session.commit()
    assert reactions.send_due_reminders(session) == 0  # not due yet
    later = soon + timedelta(minutes=1)
    assert reactions.send_due_reminders(session, now=later) == 1
    assert reactions.send_due_reminders(session, now=later) == 0
    session.commit()
    (row,) = reminders(session)
    assert (row.user_id, row.post_id, row.post_number, row.topic_id) == (
        member.id,
        reply.id,
        2,
        reply.topic_id,
    )
    assert row.key == f"reminder:{saved.id}:{soon.isoformat()}"
    session.refresh(saved)
    assert saved.reminded_at == later


def test_a_reset_reminder_notifies_again(session, member, reply) -> None:  # type: ignore[no-untyped-def]
    first = utcnow() - timedelta(minutes=5)
    reactions.save_bookmark(session, member, reply, remind_at=first)
    assert reactions.send_due_reminders(session) == 1
    reactions.save_bookmark(session, member, reply, remind_at=first + timedelta(minutes=1))
    assert reactions.send_due_reminders(session) == 1
    assert len(reminders(session)) == 2
    # Saving again with the same time changes nothing: no third reminder.
    reactions.save_bookmark(session, member, reply, remind_at=first + timedelta(minutes=1))
    assert reactions.send_due_reminders(session) == 0


def test_a_deleted_posts_reminder_tells_nobody(session, member, facilitator, reply) -> None:  # type: ignore[no-untyped-def]
    saved = reactions.save_bookmark(
        session, member, reply, remind_at=utcnow() - timedelta(minutes=1)
    )
    delete_post(session, facilitator, reply)
    session.commit()
    assert reactions.send_due_reminders(session) == 0
    assert reminders(session) == []
    session.refresh(saved)
    assert saved.reminded_at is not None  # claimed, so it is not looked at again


def test_reminders_are_sent_in_batches(session, member, other_member) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member, replies=3)
    past = utcnow() - timedelta(minutes=1)
    for n in range(1, 5):
        reactions.save_bookmark(session, member, factories.post(session, topic, n), remind_at=past)
    assert reactions.send_due_reminders(session, limit=3) == 3
    assert reactions.send_due_reminders(session, limit=3) == 1
    assert len(reminders(session)) == 4


def test_two_workers_send_each_reminder_once(app, session, member, other_member) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member, replies=29)
    past = utcnow() - timedelta(minutes=1)
    for n in range(1, 31):
        reactions.save_bookmark(session, member, factories.post(session, topic, n), remind_at=past)
    session.commit()
    results: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            results.append(reactions.send_due_reminders(db.session, limit=1000))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and sum(results) == 30
    assert len(reminders(session)) == 30


def test_thanks_at_the_same_moment_each_count_once(app, session, reply) -> None:  # type: ignore[no-untyped-def]
    colleagues = [factories.user(session, name=f"Kollega {n}") for n in range(4)]
    ids, post_id = [c.id for c in colleagues], reply.id
    session.commit()
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def thank(user_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                user, post = db.session.get(User, user_id), db.session.get(Post, post_id)
                reactions.thank(db.session, user, post)
                db.session.commit()
            except BaseException as exc:  # reported below, in the test's own thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=thank, args=(user_id,)) for user_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert stored_count(session, reply) == 4
    (row,) = notifications(session)
    assert (row.count, row.read_at) == (4, None)
    assert row.actor_id in ids
