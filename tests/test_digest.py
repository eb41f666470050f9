"""The digest e-mail: what it holds, whom it reaches, once per period, and its command."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum import digest, following, mail, notify, places, reading
from forum import topics as domain
from forum.extensions import db
from forum.models import LoginSession, MailMessage, Role, TopicKind, User
from forum.timeutil import utcnow
from tests import factories

# A Thursday morning in Copenhagen (07:00 CET): ISO week 49 of 2026.
NOW = datetime(2026, 12, 3, 6, 0)
LONG_AGO = NOW - timedelta(days=60)


def member(session, name: str, municipality: str = "Norddjurs", **values) -> User:  # type: ignore[no-untyped-def]
    """A member who has not been on the forum for a long time."""
    user = factories.user(session, name=name, municipality=municipality)
    user.last_seen_at = LONG_AGO
    for key, value in values.items():
        setattr(user, key, value)
    session.flush()
    return user


def topic(session, author, *, days: float, replies: int = 0, repliers=None, **kwargs):  # type: ignore[no-untyped-def]
    """A topic started ``days`` before NOW; its replies come an hour after it."""
    created = NOW - timedelta(days=days)
    made = factories.topic(session, author, created_at=created, **kwargs)
    for n in range(replies):
        who = (repliers or [author])[n % len(repliers or [author])]
        domain.append_post(
            session, who, made, f"Svar {n + 1}.", created_at=created + timedelta(hours=1)
        )
    return made


def material(session, author, *, days: float, **kwargs):  # type: ignore[no-untyped-def]
    """A material topic (facilitators post them) started ``days`` before NOW."""
    return topic(session, author, days=days, kind=TopicKind.MATERIAL, **kwargs)


def titles(items) -> list[str]:  # type: ignore[no-untyped-def]
    return [getattr(item, "topic", item).title for item in items]


def run(session, period: str = "weekly", now: datetime = NOW, **kwargs) -> digest.DigestSummary:  # type: ignore[no-untyped-def]
    session.commit()
    return digest.send_digests(session, period, now=now, **kwargs)


def queued(session) -> dict[str, MailMessage]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {m.recipient: m for m in session.scalars(select(MailMessage).order_by(MailMessage.id))}


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    """A reader in Norddjurs (Region Midtjylland), a writer in Aarhus, one on Fyn, a facilitator."""
    return {
        "reader": member(session, "Mette Læser"),
        "writer": member(session, "Bo Skribent", "Aarhus"),
        "fyn": member(session, "Carl Fyn", "Odense"),
        "facilitator": factories.user(
            session, name="Dorte Facilitator", role=Role.FACILITATOR, organisation="KL"
        ),
    }


# -- what a digest holds ---------------------------------------------------------------------


def test_sections_hold_what_the_member_follows(session, people) -> None:  # type: ignore[no-untyped-def]
    reader, writer, fyn = people["reader"], people["writer"], people["fyn"]
    topic(session, writer, days=2, title="Nyt emne i Midtjylland")
    topic(session, reader, days=2, title="Læserens eget emne")
    busy = topic(session, writer, days=20, title="Travlt gammelt emne")
    for n in range(3):
        domain.append_post(session, fyn, busy, f"Svar {n}.", created_at=NOW - timedelta(days=1))
    quiet = topic(session, writer, days=20, title="Stille gammelt emne")
    domain.append_post(session, fyn, quiet, "Et svar.", created_at=NOW - timedelta(days=1))
    topic(session, writer, days=20, title="Gammelt emne uden nyt", replies=2)
    watched = topic(session, fyn, days=30, region="syddanmark", title="Fulgt emne på Fyn")
    following.set_topic_level(session, reader, watched, reading.WATCHING)
    domain.append_post(session, fyn, watched, "Nyt på Fyn.", created_at=NOW - timedelta(hours=5))
    topic(session, fyn, days=1, region="syddanmark", title="Emne på Fyn", replies=4)
    topic(session, writer, days=3, kind=TopicKind.SPARRING, title="Hvem kan hjælpe?")
    topic(session, reader, days=3, kind=TopicKind.SPARRING, title="Læserens eget spørgsmål")
    topic(
        session, fyn, days=3, kind=TopicKind.SPARRING, region="syddanmark", title="Fyns spørgsmål"
    )
    topic(session, writer, days=45, kind=TopicKind.SPARRING, title="For gammelt spørgsmål")
    facilitator = people["facilitator"]
    material(session, facilitator, days=1, region="landsdaekkende", title="Slides fra mødet")
    material(session, facilitator, days=1, region="hovedstaden", title="Fra Hovedstaden")
    material(session, facilitator, days=9, region="landsdaekkende", title="Fra sidste måned")
    for n in range(3):
        notify.add(session, user_id=reader.id, kind="mentioned", key=f"test:{n}")
    notify.mark_read(session, reader, None)
    notify.add(session, user_id=reader.id, kind="mentioned", key="test:new")
    notify.add(session, user_id=reader.id, kind="mentioned", key="test:newer")
    session.commit()

    result = digest.digest_for(session, reader, "weekly", now=NOW)

    assert titles(result.new_topics) == ["Nyt emne i Midtjylland"]
    # Most new replies first; among equals the latest activity first.
    assert titles(result.active_topics) == [
        "Travlt gammelt emne",
        "Fulgt emne på Fyn",
        "Stille gammelt emne",
    ]
    assert [a.replies for a in result.active_topics] == [3, 1, 1]
    assert titles(result.open_questions) == ["Hvem kan hjælpe?"]
    assert titles(result.materials) == ["Slides fra mødet"]  # national, or followed
    assert result.unread == notify.unread_count(session, reader) == 2
    assert not result.is_empty


@pytest.mark.parametrize(
    ("place", "level", "follows"),
    [
        ("region", reading.TRACKING, True),
        ("region", reading.WATCHING, True),
        ("region", following.WATCHING_FIRST_POST, True),
        ("region", reading.NORMAL, False),
        ("theme", following.WATCHING_FIRST_POST, True),
        ("theme", reading.TRACKING, True),
        ("theme", reading.NORMAL, False),
    ],
)
def test_levels_decide_what_a_member_follows_elsewhere(
    session, people, place, level, follows
) -> None:  # type: ignore[no-untyped-def]
    # Carl lives on Fyn; the topics are in Midtjylland, in the theme "familiepleje".
    new = topic(session, people["writer"], days=1, theme="familiepleje", title="Om familiepleje")
    old = topic(session, people["writer"], days=20, theme="familiepleje", title="Ældre emne")
    domain.append_post(session, people["writer"], old, "Nyt svar.", created_at=NOW)
    if place == "region":
        region = places.region_by_slug(session, "midtjylland")
        following.set_region_level(session, people["fyn"], region, level)
    else:
        theme = places.theme_by_slug(session, "familiepleje")
        following.set_theme_level(session, people["fyn"], theme, level)
    session.commit()
    result = digest.digest_for(session, people["fyn"], "weekly", now=NOW)
    assert titles(result.new_topics) == ([new.title] if follows else [])
    assert titles(result.active_topics) == ([old.title] if follows else [])


def test_most_active_is_ordered_by_new_replies_and_bounded(session, people) -> None:  # type: ignore[no-untyped-def]
    for n in range(digest.MAX_ITEMS + 3):
        old = topic(session, people["writer"], days=20, title=f"Emne {n:02d}")
        for i in range(n % 5):
            domain.append_post(
                session, people["fyn"], old, f"Svar {i}.", created_at=NOW - timedelta(hours=n)
            )
    for n in range(digest.MAX_ITEMS + 2):
        topic(session, people["writer"], days=1 + n / 10, title=f"Nyt {n:02d}")
    session.commit()
    result = digest.digest_for(session, people["reader"], "weekly", now=NOW)
    counts = [a.replies for a in result.active_topics]
    assert counts == sorted(counts, reverse=True) and counts[0] == 4
    assert len(result.active_topics) == digest.MAX_ITEMS
    assert len(result.new_topics) == digest.MAX_ITEMS
    assert titles(result.new_topics)[0] == "Nyt 00"  # the newest first


@pytest.mark.parametrize("what", ["region", "theme", "topic"])
def test_nothing_muted_shows(session, people, what) -> None:  # type: ignore[no-untyped-def]
    reader, writer = people["reader"], people["writer"]
    new = topic(session, writer, days=1, title="Nyt emne")
    question = topic(session, writer, days=1, kind=TopicKind.SPARRING, title="Et spørgsmål")
    busy = topic(session, writer, days=20, title="Travlt emne")
    domain.append_post(session, writer, busy, "Svar.", created_at=NOW - timedelta(hours=2))
    material_ = material(session, people["facilitator"], days=1, title="Materiale")
    if what == "region":
        region = places.region_by_slug(session, "midtjylland")
        following.set_region_level(session, reader, region, reading.MUTED)
    elif what == "theme":
        theme = places.theme_by_slug(session, "netvaerksanbringelser")
        following.set_theme_level(session, reader, theme, reading.MUTED)
    else:
        for muted in (new, question, busy, material_):
            following.set_topic_level(session, reader, muted, reading.MUTED)
    session.commit()
    result = digest.digest_for(session, reader, "weekly", now=NOW)
    assert result.is_empty
    assert not (result.new_topics or result.active_topics or result.open_questions)
    assert not result.materials
    summary = run(session)
    assert summary.skipped[digest.EMPTY] >= 1
    assert reader.email not in queued(session)


def test_deleted_topics_and_replies_are_left_out(session, people) -> None:  # type: ignore[no-untyped-def]
    writer, facilitator = people["writer"], people["facilitator"]
    gone = topic(session, writer, days=1, title="Slettet emne")
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    question = topic(session, writer, days=1, kind=TopicKind.SPARRING, title="Slettet spørgsmål")
    domain.delete_post(session, facilitator, factories.post(session, question, 1))
    busy = topic(session, writer, days=20, title="Emne med et slettet svar")
    kept = domain.append_post(session, writer, busy, "Et svar.", created_at=NOW - timedelta(1))
    removed = domain.append_post(session, writer, busy, "Fjernet.", created_at=NOW - timedelta(1))
    domain.delete_post(session, facilitator, removed)
    assert kept.number == 2
    region = places.region_by_slug(session, "midtjylland")
    following.set_region_level(session, facilitator, region, reading.WATCHING)
    session.commit()
    # A moderator's digest is a list like any other: deleted content does not show in it.
    for reader in (people["reader"], facilitator):
        result = digest.digest_for(session, reader, "weekly", now=NOW)
        assert result.new_topics == [] and result.open_questions == []
        assert [(a.topic.title, a.replies) for a in result.active_topics] == [
            ("Emne med et slettet svar", 1)
        ]


def test_an_answered_question_is_no_longer_waiting(session, people) -> None:  # type: ignore[no-untyped-def]
    writer = people["writer"]
    question = topic(session, writer, days=2, kind=TopicKind.SPARRING, title="Besvaret")
    answer = domain.append_post(session, people["fyn"], question, "Sådan.", created_at=NOW)
    domain.mark_answer(session, writer, question, answer)
    session.commit()
    result = digest.digest_for(session, people["reader"], "weekly", now=NOW)
    assert result.open_questions == []
    assert titles(result.new_topics) == ["Besvaret"]  # still a new topic in their region


def test_a_question_that_was_already_waiting_does_not_make_a_digest_alone(session, people) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["writer"], days=10, kind=TopicKind.SPARRING, title="Venter stadig")
    session.commit()
    result = digest.digest_for(session, people["reader"], "weekly", now=NOW)
    assert titles(result.open_questions) == ["Venter stadig"]
    assert result.is_empty  # it was in last week's digest already


# -- whom it reaches ---------------------------------------------------------------------------


def test_a_member_active_since_the_period_began_is_skipped(session, people) -> None:  # type: ignore[no-untyped-def]
    reader, writer = people["reader"], people["writer"]
    topic(session, writer, days=2, title="Nyt emne")
    reader.last_seen_at = NOW - timedelta(days=3)
    # Seen before their last digest, which was less than a week ago: their digest goes.
    writer.last_seen_at = NOW - timedelta(days=5)
    writer.last_digest_at = NOW - timedelta(days=4)
    topic(session, people["fyn"], days=1, title="Nyt fra Aarhus' region")
    summary = run(session)
    mails = queued(session)
    assert reader.email not in mails
    assert writer.email in mails
    assert summary.skipped[digest.ACTIVE] == 1


def test_a_member_back_on_a_remembered_login_is_active(session, people) -> None:  # type: ignore[no-untyped-def]
    # Logged in long ago, but their login was used two days ago ("Husk mig"): not away.
    reader = people["reader"]
    topic(session, people["writer"], days=1, title="Nyt emne")
    session.add(
        LoginSession(
            user_id=reader.id,
            token_hash="x" * 64,
            remember=True,
            created_at=LONG_AGO,
            last_seen_at=NOW - timedelta(days=2),
            expires_at=NOW + timedelta(days=10),
        )
    )
    session.flush()
    run(session)
    assert reader.email not in queued(session)


def test_an_empty_digest_is_not_sent(session, people) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["writer"], days=30, title="For gammelt")
    summary = run(session)
    assert summary.sent == 0
    assert summary.skipped[digest.EMPTY] == 4
    assert queued(session) == {}


def test_unsubscribed_and_deactivated_members_get_nothing(session, people) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["fyn"], days=1, title="Nyt emne")
    people["reader"].digest_period = "never"
    people["writer"].active = False
    summary = run(session)
    mails = queued(session)
    assert people["reader"].email not in mails and people["writer"].email not in mails
    assert summary.skipped[digest.UNSUBSCRIBED] == 1
    assert summary.considered == 3  # reader (unsubscribed), fyn, the facilitator


def test_running_twice_sends_once_and_next_week_again(session, people) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["fyn"], days=1, title="Nyt i Midtjylland")
    first = run(session)
    assert first.sent == 2  # reader and writer; the author and the facilitator have no news
    second = run(session, now=NOW + timedelta(hours=3))
    assert second.sent == 0 and second.skipped[digest.ALREADY_SENT] == 2
    mails = queued(session)
    assert set(mails) == {people["reader"].email, people["writer"].email}
    key = mails[people["reader"].email].key
    assert key == f"digest:{people['reader'].id}:weekly:2026-W49"
    session.expire_all()
    assert people["reader"].last_digest_at == NOW
    # Next week, with something new since the first digest: a second one.
    topic(session, people["fyn"], days=-2, title="Endnu et nyt emne")
    third = run(session, now=NOW + timedelta(days=7))
    assert third.sent == 2
    assert session.scalar(select(func.count(MailMessage.id))) == 4


def test_two_runs_at_once_send_each_member_one_digest(app, session, people) -> None:  # type: ignore[no-untyped-def]
    for n in range(30):
        member(session, f"Deltager {n}", "Aarhus")
    topic(session, people["fyn"], days=1, title="Nyt i Midtjylland")
    session.commit()
    results = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            results.append(digest.send_digests(db.session, "weekly", now=NOW, batch_size=7))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert sum(r.failed for r in results) == 0
    assert sum(r.sent for r in results) == 32  # everyone in Midtjylland but its author
    keys = session.scalars(select(MailMessage.key)).all()
    assert len(keys) == len(set(keys)) == 32


def test_daily_and_weekly_members_get_their_own_period(session, people) -> None:  # type: ignore[no-untyped-def]
    reader, writer = people["reader"], people["writer"]
    writer.digest_period = "daily"
    topic(session, people["fyn"], days=3, title="Tre dage gammelt")
    daily = run(session, "daily")
    assert daily.considered == 1 and daily.skipped[digest.EMPTY] == 1  # only the writer
    topic(session, people["fyn"], days=0.5, title="Fra i nat")
    daily = run(session, "daily", now=NOW + timedelta(minutes=1))
    mails = queued(session)
    assert set(mails) == {writer.email}
    message = mails[writer.email]
    assert message.key == f"digest:{writer.id}:daily:2026-12-03"
    assert message.subject == "Nyt i Ledernetværket i dag"
    assert "Fra i nat" in message.body and "Tre dage gammelt" not in message.body
    weekly = run(session, "weekly")
    assert weekly.considered == 3  # reader, fyn, facilitator
    message = queued(session)[reader.email]
    assert message.subject == "Nyt i Ledernetværket denne uge"
    assert "Fra i nat" in message.body and "Tre dage gammelt" in message.body


@pytest.mark.parametrize(
    ("period", "moment", "label"),
    [
        ("weekly", datetime(2026, 12, 6, 22, 59), "2026-W49"),  # Sunday 23:59 in Copenhagen
        ("weekly", datetime(2026, 12, 6, 23, 0), "2026-W50"),  # Monday 00:00
        ("weekly", datetime(2027, 1, 1, 12, 0), "2026-W53"),  # ISO year, not calendar year
        ("daily", datetime(2026, 12, 3, 22, 59), "2026-12-03"),
        ("daily", datetime(2026, 12, 3, 23, 0), "2026-12-04"),
        ("daily", datetime(2026, 7, 1, 22, 0), "2026-07-02"),  # summer time: UTC+2
    ],
)
def test_period_labels_follow_danish_clocks(period, moment, label) -> None:  # type: ignore[no-untyped-def]
    assert digest.period_label(period, moment) == label
    # The label's first moment (what a claim compares with) is in it; the moment before is not.
    start = digest.label_start(period, moment)
    assert start <= moment
    assert digest.period_label(period, start) == label
    assert digest.period_label(period, start - timedelta(microseconds=1)) != label


def test_an_english_member_gets_it_in_english(session, people) -> None:  # type: ignore[no-untyped-def]
    people["reader"].locale = "en"
    danish = member(session, "Dansk Læser")
    topic(session, people["writer"], days=1, title="Nyt emne")
    run(session)
    mails = queued(session)
    english = mails[people["reader"].email]
    assert english.subject == "New in the Leader Network this week"
    assert "New topics" in english.body and "Nye emner" not in english.body
    assert "New topics" in english.html_body
    assert mails[danish.email].subject == "Nyt i Ledernetværket denne uge"
    assert "Nye emner" in mails[danish.email].body


# -- the e-mail --------------------------------------------------------------------------------


def test_the_digest_arrives_with_links_and_list_unsubscribe(app, session, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    reader = people["reader"]
    new = topic(session, people["writer"], days=1, title="Nyt & <vigtigt> emne")
    notify.add(session, user_id=reader.id, kind="mentioned", key="test:1")
    run(session)
    assert mail.send_pending(session) == (1, 0)  # the author has no news
    (message,) = mailbox.to(reader.email)
    assert message["Subject"] == "Nyt i Ledernetværket denne uge"
    base = app.config["BASE_URL"]
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{base}/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"{base}/t/{new.slug}/{new.id}"
    for body in (text, html):
        assert link in body
        assert f"{base}/notifikationer" in body
        assert f"{base}/indstillinger" in body
        assert unsubscribe[1:-1] in body
    assert "Nyt & <vigtigt> emne" in text
    assert "Nyt &amp; &lt;vigtigt&gt; emne" in html and "<vigtigt>" not in html
    assert "Du har 1 ulæst notifikation" in text
    assert 'style="' in html  # the layout's CSS, inlined


def test_statements_per_member_do_not_grow_with_the_content(session, people, count_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):
        member(session, f"Læser {n}", "Aarhus")
    counts = []
    for week, amount in enumerate((2, 25)):
        now = NOW + timedelta(days=7 * week)
        for n in range(amount):
            made = topic(session, people["fyn"], days=-7 * week + 1, title=f"Uge {week} nr. {n}")
            domain.append_post(session, people["fyn"], made, "Svar.", created_at=now)
            following.set_topic_level(session, people["reader"], made, reading.WATCHING)
        session.commit()
        with count_queries() as counter:
            summary = run(session, now=now, batch_size=3)
        assert summary.sent == 6 and summary.failed == 0  # all in Midtjylland but the author
        counts.append(counter.count)
    assert counts[0] == counts[1]
    # Six members more cost a few statements each: two to queue a digest (queue_mail), and
    # two more batches of ten statements (batch_size=3): 32, or about five a member.
    for n in range(6):
        member(session, f"Flere {n}", "Aarhus")
    now = NOW + timedelta(days=14)
    for n in range(25):
        topic(session, people["fyn"], days=-13, title=f"Uge 2 nr. {n}")
    with count_queries() as counter:
        summary = run(session, now=now, batch_size=3)
    assert summary.sent == 12
    assert counter.count - counts[1] <= 6 * 2 + 2 * 10


def test_one_bad_member_is_counted_and_the_others_go_on(
    session, people, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["fyn"], days=1, title="Nyt emne")
    real = digest.render
    bad = people["reader"]

    def render(user, *args):  # type: ignore[no-untyped-def]
        if user.id == bad.id:
            raise RuntimeError("hostile member")
        return real(user, *args)

    monkeypatch.setattr(digest, "render", render)
    summary = run(session)
    assert (summary.sent, summary.failed) == (1, 1)  # the writer's, and the reader's failed
    assert "hostile member" in caplog.text
    assert bad.email not in queued(session)
    session.expire_all()
    assert bad.last_digest_at is None  # the next run tries again


# -- the command -------------------------------------------------------------------------------


def test_digest_command_reports_and_exits(session, people, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    people["writer"].last_seen_at = utcnow()
    people["fyn"].digest_period = "never"
    topic(session, people["facilitator"], days=1, title="Nyt emne")  # for the reader
    session.commit()
    now = "2026-12-03T07:00:00+01:00"
    result = runner.invoke(args=["digest", "--period", "weekly", "--now", now])
    assert result.exit_code == 0, result.output
    assert (
        "Members 4, digests queued 1, skipped 3 (active since their last digest 1, empty 1, "
        "already sent 0, unsubscribed 1), failed 0." in result.output
    )
    result = runner.invoke(args=["digest", "--period", "weekly", "--now", now])
    assert result.exit_code == 0 and "digests queued 0" in result.output
    assert "already sent 1" in result.output

    result = runner.invoke(args=["digest", "--period", "weekly", "--now", "i morgen"])
    assert result.exit_code == 2 and "--now" in result.output
    result = runner.invoke(args=["digest", "--period", "monthly"])
    assert result.exit_code == 2

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("broken template")

    monkeypatch.setattr(digest, "render", broken)
    topic(session, people["facilitator"], days=-6, title="Nyt i næste uge")
    session.commit()
    result = runner.invoke(args=["digest", "--period", "weekly", "--now", "2026-12-10T06:00"])
    assert result.exit_code == 1
    assert "failed 1" in result.output and "1 digest(s) failed" in result.output


def test_a_digest_the_outbox_refuses_gives_its_claim_back(session, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    topic(session, people["fyn"], days=1, title="Nyt emne")
    real = digest.queue_mail
    bad = people["reader"]

    def queue_mail(session, recipient, *args, **kwargs):  # type: ignore[no-untyped-def]
        if recipient == bad.email:
            session.execute(select(func.count()).select_from(User).where(func.bogus()))
        return real(session, recipient, *args, **kwargs)

    monkeypatch.setattr(digest, "queue_mail", queue_mail)
    summary = run(session)
    assert (summary.sent, summary.failed) == (1, 1)
    session.expire_all()
    assert bad.last_digest_at is None and people["writer"].last_digest_at == NOW
    monkeypatch.setattr(digest, "queue_mail", real)
    assert run(session).sent == 1  # the reader's, this time


def test_a_new_meeting_is_in_the_digest_of_its_region(session, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    from datetime import time as clock

    from forum.meetings import MeetingInput, create_meeting

    meeting = create_meeting(
        session,
        people["facilitator"],
        MeetingInput(
            title="Netværksmøde i Midtjylland om efterværn",
            kind="netvaerksmoede",
            region=places.region_by_slug(session, "midtjylland"),
            themes=[places.theme_by_slug(session, "voksenliv")],
            day=(NOW + timedelta(days=30)).date(),
            starts=clock(9, 30),
            ends=clock(15, 0),
            place="Viborg Rådhus",
        ),
    )
    meeting.topic.created_at = meeting.topic.last_posted_at = NOW - timedelta(days=1)
    reader = digest.digest_for(session, people["reader"], "weekly", now=NOW)
    assert titles(reader.meetings) == ["Netværksmøde i Midtjylland om efterværn"]
    assert titles(reader.materials) == []  # shown once, as the meeting it is
    assert digest.digest_for(session, people["fyn"], "weekly", now=NOW).meetings == []
    run(session)
    assert mail.send_pending(session)[0] >= 1
    (message,) = mailbox.to(people["reader"].email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Nye møder" in text
    assert f"/moeder/{meeting.id}-{meeting.slug}" in text
    assert not mailbox.to(people["fyn"].email)  # nothing else new for them: no digest


# -- new materials: files on meetings and posts --------------------------------------------------


def past_meeting(session, facilitator, title: str, region: str = "midtjylland"):  # type: ignore[no-untyped-def]
    """A meeting held three weeks ago, planned long ago (so it is no news itself)."""
    from datetime import time as clock

    from forum.meetings import MeetingInput, create_meeting

    meeting = create_meeting(
        session,
        facilitator,
        MeetingInput(
            title=title,
            kind="netvaerksmoede",
            region=places.region_by_slug(session, region),
            themes=[places.theme_by_slug(session, "netvaerksanbringelser")],
            day=(NOW - timedelta(days=21)).date(),
            starts=clock(9, 30),
            ends=clock(15, 0),
            place="Viborg Rådhus",
        ),
    )
    meeting.topic.created_at = meeting.topic.last_posted_at = LONG_AGO
    session.flush()
    return meeting


def upload(session, uploader, name: str, *, days: float, meeting=None, post=None, **changes):  # type: ignore[no-untyped-def]
    """A file row uploaded ``days`` before NOW (the digest reads no bytes)."""
    from forum.models import Attachment

    attachment = Attachment(
        digest=name.encode().hex().ljust(64, "0")[:64], size=830_000, kind="pdf",
        mime="application/pdf", filename=name, uploader=uploader, meeting=meeting, post=post,
        created_at=NOW - timedelta(days=days), **changes,
    )  # fmt: skip
    session.add(attachment)
    session.flush()
    return attachment


def names(files) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.filename for f in files]


def test_new_files_are_in_the_digest_where_the_member_follows(app, session, people) -> None:  # type: ignore[no-untyped-def]
    reader, fyn, facilitator = people["reader"], people["fyn"], people["facilitator"]
    midt = past_meeting(session, facilitator, "Netværksmøde i Midtjylland")
    national = past_meeting(session, facilitator, "Landskonferencen", region="landsdaekkende")
    south = past_meeting(session, facilitator, "Netværksmøde i Syddanmark", region="syddanmark")
    upload(session, facilitator, "referat-midt.pdf", days=1, meeting=midt)
    upload(session, facilitator, "program.pdf", days=2, meeting=national)
    upload(session, facilitator, "referat-syd.pdf", days=1, meeting=south)
    upload(session, facilitator, "gammel.pdf", days=9, meeting=midt)  # before the period
    upload(session, facilitator, "slettet.pdf", days=1, meeting=midt, deleted_at=NOW)
    gone = past_meeting(session, facilitator, "Slettet møde")
    upload(session, facilitator, "fra-slettet-moede.pdf", days=1, meeting=gone)
    gone.deleted_at = NOW - timedelta(days=1)
    upload(session, reader, "laeserens-egen.pdf", days=1, meeting=midt)  # not news to them
    session.commit()

    result = digest.digest_for(session, reader, "weekly", now=NOW)
    assert names(result.files) == ["referat-midt.pdf", "program.pdf"]  # newest first
    base = app.config["BASE_URL"]
    assert result.files[0].url == f"{base}/moeder/{midt.id}-{midt.slug}#materialer"
    assert result.files[0].where == "Netværksmøde i Midtjylland"
    assert result.more_files == 0 and not result.is_empty
    assert names(digest.digest_for(session, fyn, "weekly", now=NOW).files) == [
        "referat-syd.pdf",  # their region's
        "program.pdf",  # national
    ]
    # Since the last digest, not the whole week.
    reader.last_digest_at = NOW - timedelta(days=1, hours=12)
    assert names(digest.digest_for(session, reader, "weekly", now=NOW).files) == [
        "referat-midt.pdf"
    ]
    # The uploader is not told of their own files.
    assert "program.pdf" not in names(
        digest.digest_for(session, facilitator, "weekly", now=NOW).files
    )


def test_a_digest_with_only_new_materials_is_sent(app, session, people) -> None:  # type: ignore[no-untyped-def]
    facilitator = people["facilitator"]
    meeting = past_meeting(session, facilitator, "Netværksmøde om efterværn")
    file = upload(session, facilitator, "oplaeg & <noter>.pdf", days=1, meeting=meeting)
    run(session)
    message = queued(session)[people["reader"].email]
    page = f"{app.config['BASE_URL']}/moeder/{meeting.id}-{meeting.slug}#materialer"
    for body in (message.body, message.html_body):
        assert "Nye materialer" in body and page in body
        assert "830 kB" in body and "Netværksmøde om efterværn" in body
        assert f"{app.config['BASE_URL']}/materialer" not in body  # no "and more" for one file
    assert "oplaeg & <noter>.pdf" in message.body
    assert "oplaeg &amp; &lt;noter&gt;.pdf" in message.html_body
    assert f"/filer/{file.id}/" not in message.body  # the link leads to the meeting page


def test_new_materials_are_bounded_with_a_link_to_the_rest(app, session, people) -> None:  # type: ignore[no-untyped-def]
    facilitator = people["facilitator"]
    meeting = past_meeting(session, facilitator, "Netværksmøde med mange filer")
    for n in range(digest.MAX_ITEMS + 3):
        upload(session, facilitator, f"bilag-{n:02d}.pdf", days=1 + n / 100, meeting=meeting)
    result = digest.digest_for(session, people["reader"], "weekly", now=NOW)
    assert len(result.files) == digest.MAX_ITEMS and result.more_files == 3
    assert names(result.files)[0] == "bilag-00.pdf"
    run(session)
    message = queued(session)[people["reader"].email]
    materials = f"{app.config['BASE_URL']}/materialer"
    assert f"og 3 flere: {materials}" in message.body
    assert re.search(rf'<a href="{re.escape(materials)}"[^>]*>og 3 flere</a>', message.html_body)


@pytest.mark.parametrize("what", ["region", "theme", "topic"])
def test_no_files_from_what_is_muted(session, people, what) -> None:  # type: ignore[no-untyped-def]
    reader, facilitator = people["reader"], people["facilitator"]
    meeting = past_meeting(session, facilitator, "Netværksmøde i Midtjylland")
    upload(session, facilitator, "referat.pdf", days=1, meeting=meeting)
    if what == "region":
        region = places.region_by_slug(session, "midtjylland")
        following.set_region_level(session, reader, region, reading.MUTED)
    elif what == "theme":
        theme = places.theme_by_slug(session, "netvaerksanbringelser")
        following.set_theme_level(session, reader, theme, reading.MUTED)
    else:  # the meeting's discussion topic (old: outside the period's topics)
        following.set_topic_level(session, reader, meeting.topic, reading.MUTED)
    session.commit()
    result = digest.digest_for(session, reader, "weekly", now=NOW)
    assert result.files == [] and result.is_empty


def test_a_watched_topic_elsewhere_brings_its_meetings_files(session, people) -> None:  # type: ignore[no-untyped-def]
    reader, facilitator = people["reader"], people["facilitator"]
    meeting = past_meeting(session, facilitator, "Netværksmøde på Fyn", region="syddanmark")
    upload(session, facilitator, "referat-fyn.pdf", days=1, meeting=meeting)
    assert digest.digest_for(session, reader, "weekly", now=NOW).files == []
    following.set_topic_level(session, reader, meeting.topic, reading.WATCHING)
    session.commit()
    assert names(digest.digest_for(session, reader, "weekly", now=NOW).files) == ["referat-fyn.pdf"]


def test_files_on_posts_link_to_their_post(app, session, people) -> None:  # type: ignore[no-untyped-def]
    reader, writer, facilitator = people["reader"], people["writer"], people["facilitator"]
    thread = topic(session, writer, days=20, title="Skabeloner til børnesamtaler")
    reply = domain.append_post(
        session, writer, thread, "Her er vores.", created_at=NOW - timedelta(1)
    )
    upload(session, writer, "skabelon.docx", days=1, post=reply)
    removed = domain.append_post(session, writer, thread, "Fjernet.", created_at=NOW - timedelta(1))
    upload(session, writer, "i-slettet-indlaeg.pdf", days=1, post=removed)
    domain.delete_post(session, facilitator, removed)
    gone = topic(session, writer, days=2, title="Slettet emne")
    upload(session, writer, "i-slettet-emne.pdf", days=1, post=factories.post(session, gone, 1))
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    session.commit()
    result = digest.digest_for(session, reader, "weekly", now=NOW)
    assert names(result.files) == ["skabelon.docx"]
    base = app.config["BASE_URL"]
    number = reply.number
    assert result.files[0].url == f"{base}/t/{thread.slug}/{thread.id}/{number}#p{number}"
    assert result.files[0].where == "Skabeloner til børnesamtaler"


def test_files_cost_no_statements_per_member(session, people, count_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):
        member(session, f"Læser {n}", "Aarhus")
    facilitator = people["facilitator"]
    counts = []
    for week, amount in enumerate((1, 12)):
        now = NOW + timedelta(days=7 * week)
        for n in range(amount):
            meeting = past_meeting(session, facilitator, f"Uge {week} møde {n}")
            upload(session, facilitator, f"uge-{week}-{n}.pdf", days=-7 * week + 1, meeting=meeting)
            following.set_topic_level(session, people["reader"], meeting.topic, reading.WATCHING)
        session.commit()
        with count_queries() as counter:
            summary = run(session, now=now, batch_size=3)
        assert summary.sent == 6 and summary.failed == 0  # everyone in Midtjylland
        counts.append(counter.count)
    assert counts[0] == counts[1]
