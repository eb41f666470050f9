"""Notifications: who the worker tells about a post, once, off the request."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import following, notify, places, reading
from forum import topics as domain
from forum.extensions import db
from forum.models import Notification, NotificationKind, NotifyOutboxEntry, TopicKind
from forum.timeutil import utcnow
from tests import factories


def start(session, author, **kwargs):  # type: ignore[no-untyped-def]
    values = {
        "title": "Hvordan arbejder I med netværksanbringelser?",
        "body": "Vi vil gerne høre jeres erfaringer.",
        "kind": TopicKind.DISCUSSION,
        "region": places.region_by_slug(session, kwargs.pop("region", "midtjylland")),
        "theme": places.theme_by_slug(session, kwargs.pop("theme", "netvaerksanbringelser")),
    }
    values.update(kwargs)
    topic = domain.create_topic(session, author, **values)
    session.commit()
    return topic


def told(session) -> dict[tuple[int, int], str]:  # type: ignore[no-untyped-def]
    """(recipient, post number) -> kind, after the worker ran."""
    notify.run(session)
    session.expire_all()
    return {
        (n.user_id, n.post_number): n.kind
        for n in session.scalars(select(Notification).order_by(Notification.id))
    }


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    """Asker and helper in Region Midtjylland, an outsider in Syddanmark, a facilitator."""
    return {
        "asker": factories.user(session, name="Anne Asker", municipality="Norddjurs"),
        "helper": factories.user(session, name="Bo Hjælper", municipality="Aarhus"),
        "outsider": factories.user(session, name="Carl Fyn", municipality="Odense"),
        "facilitator": factories.user(
            session, name="Dorte Facilitator", role="facilitator", organisation="KL"
        ),
    }


def test_a_new_topic_tells_the_members_of_its_region_by_default(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    assert told(session) == {(people["helper"].id, 1): NotificationKind.NEW_TOPIC}
    (row,) = session.scalars(select(Notification))
    assert (row.topic_id, row.actor_id) == (topic.id, people["asker"].id)


def test_place_levels_decide_who_hears_of_a_new_topic(session, people) -> None:  # type: ignore[no-untyped-def]
    region = places.region_by_slug(session, "midtjylland")
    theme = places.theme_by_slug(session, "netvaerksanbringelser")
    following.set_region_level(session, people["helper"], region, reading.NORMAL)
    following.set_theme_level(session, people["outsider"], theme, following.WATCHING_FIRST_POST)
    following.set_region_level(session, people["facilitator"], region, reading.WATCHING)
    topic = start(session, people["asker"])
    assert told(session) == {
        (people["outsider"].id, 1): NotificationKind.NEW_TOPIC,
        (people["facilitator"].id, 1): NotificationKind.NEW_TOPIC,
    }
    # Watching the region watches its new topics: every reply then notifies.
    assert following.topic_level(session, people["facilitator"], topic) == reading.WATCHING
    assert following.topic_level(session, people["outsider"], topic) == reading.NORMAL
    domain.reply(session, people["helper"], topic, "Vi bruger familierådslagning.")
    session.commit()
    assert told(session)[(people["facilitator"].id, 2)] == NotificationKind.NEW_POST


def test_muting_a_theme_wins_over_following_the_region(session, people) -> None:  # type: ignore[no-untyped-def]
    theme = places.theme_by_slug(session, "netvaerksanbringelser")
    following.set_theme_level(session, people["helper"], theme, reading.MUTED)
    start(session, people["asker"])
    assert told(session) == {}


def test_a_reply_tells_the_asker_and_the_watchers_once_each(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    following.set_topic_level(session, people["outsider"], topic, reading.WATCHING)
    following.set_topic_level(session, people["facilitator"], topic, reading.TRACKING)
    domain.reply(session, people["helper"], topic, "Vi har gode erfaringer med det.")
    session.commit()
    result = told(session)
    assert result[(people["asker"].id, 2)] == NotificationKind.REPLIED
    assert result[(people["outsider"].id, 2)] == NotificationKind.NEW_POST
    assert (people["facilitator"].id, 2) not in result  # tracking: unread counts only
    assert (people["helper"].id, 2) not in result  # never of one's own post


def test_a_reply_to_a_post_and_a_quote_tell_that_posts_author(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    domain.reply(session, people["helper"], topic, "Vi bruger netværksmøder.")
    session.commit()
    domain.reply(session, people["outsider"], topic, "Hvor ofte holder I dem?", reply_to=2)
    session.commit()
    quote = "> **Bo Hjælper skrev:**\n> Vi bruger netværksmøder.\n\nDet gør vi også."
    domain.reply(session, people["facilitator"], topic, quote, reply_to=2)
    session.commit()
    result = told(session)
    assert result[(people["helper"].id, 3)] == NotificationKind.REPLIED_TO_POST
    assert result[(people["helper"].id, 4)] == NotificationKind.QUOTED
    assert result[(people["asker"].id, 3)] == NotificationKind.REPLIED


def test_a_muted_topic_never_notifies(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    following.set_topic_level(session, people["asker"], topic, reading.MUTED)
    domain.reply(session, people["helper"], topic, "Et svar.", reply_to=1)
    session.commit()
    assert (people["asker"].id, 2) not in told(session)


def test_marking_an_answer_tells_its_author(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"], kind=TopicKind.SPARRING)
    post = domain.reply(session, people["helper"], topic, "Prøv familierådslagning.")
    session.commit()
    told(session)
    domain.mark_answer(session, people["asker"], topic, post)
    session.commit()
    assert told(session)[(people["helper"].id, 2)] == NotificationKind.ANSWER
    # Unmarked and marked again: still one notification.
    domain.mark_answer(session, people["asker"], topic, None)
    domain.mark_answer(session, people["asker"], topic, post)
    session.commit()
    told(session)
    answers = session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == NotificationKind.ANSWER)
    )
    assert answers == 1


def test_nobody_is_told_of_a_post_deleted_before_the_worker_came(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    told(session)
    post = domain.reply(session, people["helper"], topic, "Et svar der fortrydes.")
    domain.delete_post(session, people["helper"], post)
    session.commit()
    assert (people["asker"].id, 2) not in told(session)


def test_deleted_content_takes_its_notifications_with_it(client, auth, session, people) -> None:  # type: ignore[no-untyped-def]
    """A moderator deletes a post for the personal data in it: its notification leaves the
    page, the bell and the digest's count (for everyone), and a restore brings it back."""
    from forum import digest

    topic = start(session, people["asker"], title="Familien Jensen i Norddjurs")
    reply = domain.reply(session, people["outsider"], topic, "Hej @anne-asker, et svar.")
    session.commit()
    told(session)
    helper, asker = people["helper"], people["asker"]
    assert notify.unread_count(session, helper) == 1  # the new topic
    assert notify.unread_count(session, asker) == 1  # the reply (and the mention in it)

    def shown_to(user):  # type: ignore[no-untyped-def]
        auth.login(user)
        page = client.get("/notifikationer").get_data(True)
        auth.logout()
        return page

    domain.delete_post(session, people["facilitator"], reply)
    session.commit()
    assert notify.unread_count(session, asker) == 0
    assert "Carl Fyn" not in shown_to(asker)
    opening = factories.post(session, topic, 1)
    domain.delete_post(session, people["facilitator"], opening)  # the whole topic
    session.commit()
    for user in (helper, asker, people["facilitator"]):
        assert notify.unread_count(session, user) == 0
        assert digest._unread_counts(session, [user.id]) == {}
        assert "Familien Jensen" not in shown_to(user)
    domain.restore_post(session, people["facilitator"], opening)
    domain.restore_post(session, people["facilitator"], reply)
    session.commit()
    assert notify.unread_count(session, helper) == 1
    assert digest._unread_counts(session, [asker.id]) == {asker.id: 1}
    assert "Familien Jensen" in shown_to(helper)


def test_deactivated_members_are_not_told(session, people) -> None:  # type: ignore[no-untyped-def]
    people["helper"].active = False
    start(session, people["asker"])
    assert told(session) == {}


def test_e_mail_is_due_by_the_members_setting(app, session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    following.set_topic_level(session, people["outsider"], topic, reading.WATCHING)
    following.set_topic_level(session, people["facilitator"], topic, reading.WATCHING)
    people["asker"].email_level = "always"
    people["outsider"].email_level = "away"
    people["facilitator"].email_level = "never"
    before = utcnow()
    domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    notify.run(session)  # queues the "always" e-mail at once
    due = {
        n.user_id: (n.email_due_at, n.emailed_at)
        for n in session.scalars(select(Notification).where(Notification.post_number == 2))
    }
    delay = timedelta(seconds=app.config["NOTIFY_EMAIL_DELAY_SECONDS"])
    assert due[people["asker"].id][0] is None and due[people["asker"].id][1] >= before
    assert due[people["outsider"].id][0] >= before + delay
    assert due[people["facilitator"].id] == (None, None)


def test_running_twice_notifies_once(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    first = notify.run(session)
    second = notify.run(session)
    assert (first.events, second.events) == (2, 0)
    assert session.scalar(select(func.count(Notification.id))) == 2


def test_two_workers_at_once_never_notify_twice(app, session, people) -> None:  # type: ignore[no-untyped-def]
    region = places.region_by_slug(session, "midtjylland")
    watchers = [factories.user(session, municipality="Aarhus") for _ in range(12)]
    for watcher in watchers:
        following.set_region_level(session, watcher, region, reading.WATCHING)
    topic = start(session, people["asker"])
    for n in range(30):
        domain.reply(session, people["helper"], topic, f"Svar nummer {n}.")
    session.commit()
    results = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            results.append(notify.run(db.session, limit=1000))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.events for r in results) == 31
    assert sum(r.failed for r in results) == 0
    session.expire_all()
    keys = session.execute(select(Notification.user_id, Notification.key)).all()
    assert len(keys) == len(set(keys))
    # helper (Aarhus, default first posts) hears of the topic; 12 watchers of everything;
    # the asker of each of the 30 replies.
    assert len(keys) == 1 + 12 * 31 + 30


def test_a_bad_event_is_set_aside_and_the_rest_go_on(session, people, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    bad = domain.reply(session, people["helper"], topic, "Dette svar får arbejderen til at fejle.")
    domain.reply(session, people["outsider"], topic, "Et helt almindeligt svar.")
    session.commit()
    real = notify.fan_out

    def fan_out(session, event, post_id, actor_id):  # type: ignore[no-untyped-def]
        if post_id == bad.id:
            raise RuntimeError("hostile post")
        return real(session, event, post_id, actor_id)

    monkeypatch.setattr(notify, "fan_out", fan_out)
    for _ in range(notify.MAX_ATTEMPTS + 1):
        summary = notify.run(session)
    assert "hostile post" in caplog.text
    status = notify.outbox_status(session)
    assert status.pending == 0
    assert [entry.post_id for entry in status.given_up] == [bad.id]
    assert "RuntimeError: hostile post" in status.given_up[0].last_error
    assert summary.events == 0  # nothing left to do, and the bad row is no longer tried
    assert session.scalar(select(func.count(Notification.id)).where(Notification.post_number == 3))


def test_the_reply_request_writes_one_outbox_row_whatever_the_followers(
    make_app, session, people, count_queries
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(NOTIFY_AFTER_REQUEST=False)
    topic = start(session, people["asker"])
    client = app.test_client()
    with app.app_context():
        pass
    db.session.commit()
    client.post("/login", data={"email": people["helper"].email, "password": factories.PASSWORD})
    region = places.region_by_slug(session, "midtjylland")
    counts = []
    for followers in (2, 40):
        for _ in range(followers):
            watcher = factories.user(session, municipality="Aarhus")
            following.set_region_level(session, watcher, region, reading.WATCHING)
        session.commit()
        with count_queries() as counter:
            response = client.post(f"/t/{topic.id}/svar", data={"body": "Et svar til alle."})
        assert response.status_code == 302
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert session.scalar(select(func.count(Notification.id))) == 0
    pending = session.scalar(
        select(func.count(NotifyOutboxEntry.id)).where(NotifyOutboxEntry.done_at.is_(None))
    )
    assert pending == 3  # the topic and two replies, waiting for the worker


def test_after_the_response_the_worker_notifies(client, auth, session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    auth.login(people["helper"])
    client.post(f"/t/{topic.id}/svar", data={"body": "Et svar efter svaret."})
    session.expire_all()
    kinds = set(session.scalars(select(Notification.kind).where(Notification.post_number == 2)))
    assert kinds == {NotificationKind.REPLIED}


def test_notify_cli_reports_and_fails_on_given_up_events(app, runner, session, people) -> None:  # type: ignore[no-untyped-def]
    start(session, people["asker"])
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Events 1, notifications 1" in result.output
    result = runner.invoke(args=["notify", "status"])
    assert result.exit_code == 0 and "Pending events 0" in result.output
    entry = NotifyOutboxEntry(event="post", post_id=1, attempts=notify.MAX_ATTEMPTS)
    entry.last_error = "RuntimeError: boom"
    session.add(entry)
    session.commit()
    result = runner.invoke(args=["notify", "status"])
    assert result.exit_code == 1 and "boom" in result.output
