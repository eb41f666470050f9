"""Notifications: who the worker tells about a post, once, off the request."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum import following, notify, places, reading
from forum import topics as domain
from forum.extensions import db
from forum.models import Notification, NotificationKind, NotifyOutboxEntry, TopicKind, TopicMember
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


# -- the levels a member gets by writing (their choice under /indstillinger) ----------------------


def _level_row(session, user, topic):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(
        select(TopicMember).where(TopicMember.user_id == user.id, TopicMember.topic_id == topic.id)
    )


@pytest.mark.parametrize("started", following.STARTED_LEVELS)
@pytest.mark.parametrize("replied", following.REPLIED_LEVELS)
def test_the_levels_from_writing_follow_the_members_choice(session, people, started, replied):  # type: ignore[no-untyped-def]
    following.set_default_levels(session, people["asker"], started=started, replied=replied)
    following.set_default_levels(session, people["helper"], started=started, replied=replied)
    topic = start(session, people["asker"])
    assert following.topic_level(session, people["asker"], topic) == started
    domain.reply(session, people["helper"], topic, "Vi har gode erfaringer med det.")
    session.commit()
    assert following.topic_level(session, people["helper"], topic) == replied
    # The asker's own reply never lowers what they have.
    domain.reply(session, people["asker"], topic, "Tak for svaret.")
    session.commit()
    assert following.topic_level(session, people["asker"], topic) == max(started, replied)


def test_a_member_with_normal_for_replies_does_not_track_what_they_reply_to(session, people):  # type: ignore[no-untyped-def]
    people["helper"].replied_topic_level = reading.NORMAL
    topic = start(session, people["asker"])
    domain.reply(session, people["helper"], topic, "Vi har gode erfaringer med det.")
    domain.reply(session, people["outsider"], topic, "Det har vi også.")
    session.commit()
    row = _level_row(session, people["helper"], topic)
    assert (row.level, row.level_reason, row.last_read_post_number) == (reading.NORMAL, "", 2)
    assert reading.unread_posts(session, people["helper"], [topic.id]) == {}  # not tracked
    assert reading.unread_posts(session, people["outsider"], [topic.id]) == {}  # read to 3
    domain.reply(session, people["asker"], topic, "Tak begge to.")
    session.commit()
    assert reading.unread_posts(session, people["outsider"], [topic.id]) == {topic.id: (1, 4)}


def test_watching_what_one_replies_to_tells_of_each_new_post(session, people):  # type: ignore[no-untyped-def]
    people["outsider"].replied_topic_level = reading.WATCHING
    topic = start(session, people["asker"])
    domain.reply(session, people["outsider"], topic, "Hvordan gør I det?")
    session.commit()
    domain.reply(session, people["facilitator"], topic, "Sådan her.")
    session.commit()
    assert told(session)[(people["outsider"].id, 3)] == NotificationKind.NEW_POST


def test_a_new_choice_is_for_topics_from_then_on(session, people):  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    following.set_default_levels(
        session, people["asker"], started=reading.NORMAL, replied=reading.NORMAL
    )
    following.set_default_levels(
        session, people["helper"], started=reading.NORMAL, replied=reading.NORMAL
    )
    domain.reply(session, people["helper"], topic, "Et svar mere.")
    session.commit()
    assert following.topic_level(session, people["asker"], topic) == reading.WATCHING
    assert following.topic_level(session, people["helper"], topic) == reading.TRACKING
    later = start(session, people["asker"], title="Et nyt emne om samvær")
    assert following.topic_level(session, people["asker"], later) == reading.NORMAL


def test_replying_raises_a_level_given_by_a_place_not_one_chosen(session, people):  # type: ignore[no-untyped-def]
    region = places.region_by_slug(session, "midtjylland")
    for name in ("helper", "outsider"):
        following.set_region_level(session, people[name], region, reading.TRACKING)
        people[name].replied_topic_level = reading.WATCHING
    topic = start(session, people["asker"])
    notify.run(session)  # the region's trackers track the new topic ("place")
    following.set_topic_level(session, people["outsider"], topic, reading.TRACKING)  # chosen
    assert following.topic_level(session, people["helper"], topic) == reading.TRACKING
    for name in ("helper", "outsider"):
        domain.reply(session, people[name], topic, f"Et svar fra {name}.")
    session.commit()
    assert following.topic_level(session, people["helper"], topic) == reading.WATCHING
    assert following.topic_level(session, people["outsider"], topic) == reading.TRACKING


@pytest.mark.parametrize("level", [reading.MUTED, 4, "følger", None])
def test_a_default_level_outside_the_choices_is_refused(session, people, level):  # type: ignore[no-untyped-def]
    from forum.errors import Invalid

    with pytest.raises(Invalid) as refused:
        following.set_default_levels(
            session, people["asker"], started=reading.WATCHING, replied=level
        )
    assert refused.value.field == "replied_topic_level"
    assert people["asker"].replied_topic_level == reading.TRACKING


# -- a pending e-mail, checked again when it is due ----------------------------------------------


def test_the_send_time_checks_take_the_same_statements_for_any_batch(  # type: ignore[no-untyped-def]
    session, people, count_queries
):
    """Mutes and "seen on the forum" are looked up for the whole batch, not per notification."""
    from forum import logins

    people["helper"].email_level = "never"
    region = places.region_by_slug(session, "midtjylland")
    counts = []
    for size in (2, 8):
        members = [factories.user(session, municipality="Aarhus") for _ in range(size)]
        start(session, people["asker"], title=f"Emne med {size} følgere")
        notify.run(session)  # "away": their e-mails wait
        for n, member in enumerate(members):
            if n % 2:
                logins.start(session, member, remember=False)  # on the forum since
            else:
                following.set_region_level(session, member, region, reading.MUTED)
        session.execute(
            update(Notification)
            .where(Notification.email_due_at.is_not(None))
            .values(email_due_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
        with count_queries() as counter:
            assert notify.queue_due_emails(session) == 0
        counts.append(counter.count)
        assert (
            session.scalar(
                select(func.count(Notification.id)).where(Notification.email_due_at.is_not(None))
            )
            == 0
        )
        for member in members:  # out of the next round (seen before its topic came)
            member.email_level = "never"
    assert counts[0] == counts[1]


# -- mentions in quotes and edits ------------------------------------------------------------


def test_a_mention_inside_a_quote_does_not_notify(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    told(session)
    helper, outsider = people["helper"].username, people["outsider"].username
    body = f"> **Bo skrev:**\n> Spørg @{outsider}\n>> og @{outsider} igen\n\nEnig, @{helper}."
    domain.reply(session, people["facilitator"], topic, body)
    session.commit()
    result = told(session)
    assert result[(people["helper"].id, 2)] == NotificationKind.MENTIONED
    assert (people["outsider"].id, 2) not in result


def edited(session, editor, post, body):  # type: ignore[no-untyped-def]
    """Edit the post and let the worker run: recipient -> (kind, actor) for that post."""
    domain.edit_post(session, editor, post, body=body)
    session.commit()
    notify.run(session)
    session.expire_all()
    return {
        n.user_id: (n.kind, n.actor_id)
        for n in session.scalars(select(Notification).where(Notification.post_id == post.id))
    }


def outbox_rows(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count(NotifyOutboxEntry.id))) or 0)


def test_an_edit_tells_the_members_it_newly_mentions_once(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper, outsider = people["helper"], people["outsider"]
    post = domain.reply(session, people["facilitator"], topic, "Et svar uden navne.")
    session.commit()
    told(session)
    rows = outbox_rows(session)
    body = f"Et svar til @{helper.username} og @{outsider.username}."
    result = edited(session, people["facilitator"], post, body)
    assert outbox_rows(session) == rows + 1  # the edit's own event
    facilitator_id = people["facilitator"].id
    assert result[helper.id] == (NotificationKind.MENTIONED, facilitator_id)
    assert result[outsider.id] == (NotificationKind.MENTIONED, facilitator_id)
    # Edited again (and the same event run again): nobody is told twice.
    edited(session, people["facilitator"], post, body + " Rettet.")
    session.execute(NotifyOutboxEntry.__table__.update().values(done_at=None, attempts=0))
    session.commit()
    notify.run(session)
    counts = session.execute(
        select(Notification.user_id, func.count())
        .where(Notification.post_id == post.id)
        .group_by(Notification.user_id)
    ).all()
    assert all(count == 1 for _, count in counts)
    assert {user_id for user_id, _ in counts} == {people["asker"].id, helper.id, outsider.id}


def test_an_edit_does_not_tell_the_already_mentioned_again(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper, outsider = people["helper"], people["outsider"]
    post = domain.reply(session, people["facilitator"], topic, f"Spørg @{helper.username}.")
    session.commit()
    told(session)
    before = session.scalars(select(Notification).where(Notification.user_id == helper.id)).all()
    body = f"Spørg @{helper.username} eller @{outsider.username}."
    result = edited(session, people["facilitator"], post, body)
    assert result[outsider.id][0] == NotificationKind.MENTIONED
    after = session.scalars(select(Notification).where(Notification.user_id == helper.id)).all()
    assert [n.id for n in after] == [n.id for n in before]


def test_a_mention_removed_and_added_again_is_not_told_again(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper = people["helper"]
    post = domain.reply(session, people["facilitator"], topic, f"Spørg @{helper.username}.")
    session.commit()
    told(session)
    notify.mark_read(session, helper)
    session.commit()
    edited(session, people["facilitator"], post, "Spørg en anden.")
    result = edited(session, people["facilitator"], post, f"Spørg alligevel @{helper.username}.")
    assert result[helper.id][0] == NotificationKind.MENTIONED
    assert notify.unread_count(session, helper) == 0


def test_a_mention_is_told_though_a_later_edit_came_before_the_worker(session, people) -> None:  # type: ignore[no-untyped-def]
    """The worker reads the post as it is when it comes: an edit that names a member, then
    a second edit (a typo) before the worker ran, still tells her."""
    topic = start(session, people["asker"])
    helper = people["helper"]
    post = domain.reply(session, people["facilitator"], topic, "Spørg en kollega.")
    session.commit()
    told(session)
    domain.edit_post(session, people["facilitator"], post, body=f"Spørg @{helper.username}.")
    session.commit()
    domain.edit_post(session, people["facilitator"], post, body=f"Spørg @{helper.username}.")
    session.commit()
    assert told(session)[(helper.id, post.number)] == NotificationKind.MENTIONED


def test_edits_tell_at_most_so_many_members_of_mentions(session, people) -> None:  # type: ignore[no-untyped-def]
    """Names edited in and out, 20 at a time, cannot page the whole network: a post tells at
    most MAX_MENTIONS members of a mention, however often it is edited."""
    from forum.markup import MAX_MENTIONS

    topic = start(session, people["asker"])
    others = [
        factories.user(session, name=f"Kollega {n:02d}", municipality="Aarhus")
        for n in range(2 * MAX_MENTIONS)
    ]
    post = domain.reply(session, people["facilitator"], topic, "Et svar.")
    session.commit()
    told(session)
    for batch in (others[:MAX_MENTIONS], others[MAX_MENTIONS:]):
        body = "Til " + " ".join(f"@{user.username}" for user in batch)
        domain.edit_post(session, people["facilitator"], post, body=body)
        session.commit()
        told(session)
    mentioned = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.post_id == post.id, Notification.kind == NotificationKind.MENTIONED
        )
    )
    assert mentioned == MAX_MENTIONS


@pytest.mark.parametrize("place", ["topic", "region", "theme"])
def test_an_edit_does_not_tell_a_member_who_muted_the_topic(session, people, place) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper = people["helper"]
    if place == "topic":
        following.set_topic_level(session, helper, topic, reading.MUTED)
    elif place == "region":
        following.set_region_level(session, helper, topic.region, reading.MUTED)
    else:
        following.set_theme_level(session, helper, topic.theme, reading.MUTED)
    post = domain.reply(session, people["facilitator"], topic, "Et svar.")
    session.commit()
    told(session)
    assert helper.id not in edited(session, people["facilitator"], post, f"Til @{helper.username}")


def test_a_member_told_of_the_reply_is_not_also_told_of_a_mention_added(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    asker = people["asker"]
    post = domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    told(session)
    result = edited(session, people["helper"], post, f"Et svar til @{asker.username}.")
    assert result[asker.id][0] == NotificationKind.REPLIED  # as a reply that mentions her


def test_a_moderators_edit_is_told_as_theirs(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper, outsider, facilitator = people["helper"], people["outsider"], people["facilitator"]
    post = domain.reply(session, helper, topic, "Et svar.")
    session.commit()
    told(session)
    body = f"Et svar til @{outsider.username}, @{helper.username} og @{facilitator.username}."
    result = edited(session, facilitator, post, body)
    assert result[outsider.id] == (NotificationKind.MENTIONED, facilitator.id)
    assert helper.id not in result  # her own post
    assert facilitator.id not in result  # the editor


def test_an_edit_that_names_nobody_new_writes_no_event(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    helper = people["helper"]
    post = domain.reply(session, people["facilitator"], topic, f"Spørg @{helper.username}.")
    session.commit()
    told(session)
    rows = outbox_rows(session)
    for body in (
        f"Spørg @{helper.username} igen.",
        f"Spørg @{helper.username}.\n\n> @{people['outsider'].username} skrev noget",
        f"Spørg @{helper.username} og `@{people['outsider'].username}`.",
        "Ingen nævnt.",
    ):
        domain.edit_post(session, people["facilitator"], post, body=body)
    session.commit()
    assert outbox_rows(session) == rows


def test_an_edit_deleted_before_the_worker_came_tells_nobody(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    outsider, facilitator = people["outsider"], people["facilitator"]
    post = domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    told(session)
    domain.edit_post(session, people["helper"], post, body=f"Til @{outsider.username}.")
    domain.delete_post(session, facilitator, post)
    session.commit()
    assert (outsider.id, 2) not in told(session)


def test_after_an_edit_the_worker_tells_the_newly_mentioned(client, auth, session, people) -> None:  # type: ignore[no-untyped-def]
    topic = start(session, people["asker"])
    post = domain.reply(session, people["helper"], topic, "Et svar.")
    session.commit()
    told(session)
    post_id, outsider = post.id, people["outsider"]
    auth.login(people["helper"])
    response = client.post(
        f"/p/{post_id}/rediger",
        data={"body": f"Et svar til @{outsider.username}.", "revision": str(post.revision)},
    )
    assert response.status_code == 302
    session.expire_all()
    kinds = session.scalars(
        select(Notification.kind).where(
            Notification.post_id == post_id, Notification.user_id == outsider.id
        )
    ).all()
    assert kinds == [NotificationKind.MENTIONED]
