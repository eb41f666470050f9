"""Notification e-mail, end to end: the worker queues it, the outbox delivers it to a real SMTP
server (STARTTLS and a login where it matters), in the member's language and setting."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from forum import emails, following, logins, mail, notify, places, unsubscribe
from forum import topics as domain
from forum.models import MailMessage, Notification, NotificationKind, TopicKind
from forum.timeutil import utcnow
from tests import factories
from tests.test_translations import compiled_catalogues  # noqa: F401  (the English test)

BASE = "https://forum.ledernet.example"
TITLE = "Hvordan arbejder I med netværksanbringelser?"


class Tags(HTMLParser):
    """Every start tag of an HTML document with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def hrefs(self) -> list[str]:
        return [attrs["href"] for tag, attrs in self.tags if tag == "a" and "href" in attrs]


@pytest.fixture(autouse=True)
def public_address(app):  # type: ignore[no-untyped-def]
    """Links must come from BASE_URL, never from a request's host (there is none here)."""
    app.config["BASE_URL"] = BASE


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    """An asker (Norddjurs) whose topic a helper (Aarhus) answers; the helper, who hears of
    the new topic in their region, wants no e-mail unless a test says so."""
    helper = factories.user(session, name="Bo Hjælper", municipality="Aarhus")
    helper.email_level = "never"
    return {
        "asker": factories.user(session, name="Anne Hansen", municipality="Norddjurs"),
        "helper": helper,
    }


def asked(session, asker, level: str = "always", locale: str = "da"):  # type: ignore[no-untyped-def]
    """The asker's topic, its fan-out done, with the asker's e-mail setting and language."""
    asker.email_level = level
    asker.locale = locale
    topic = domain.create_topic(
        session,
        asker,
        title=TITLE,
        body="Vi vil gerne høre jeres erfaringer.",
        kind=TopicKind.DISCUSSION,
        region=places.region_by_slug(session, "midtjylland"),
        theme=places.theme_by_slug(session, "netvaerksanbringelser"),
    )
    session.commit()
    notify.run(session)
    return topic


def answered(session, topic, helper, body: str = "Vi bruger familierådslagning."):  # type: ignore[no-untyped-def]
    """A reply by ``helper``; the worker has run once (as right after the response)."""
    post = domain.reply(session, helper, topic, body)
    session.commit()
    notify.run(session)
    return post


def notification_of(session, user) -> Notification:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(
        select(Notification).where(
            Notification.user_id == user.id, Notification.kind == NotificationKind.REPLIED
        )
    ).one()


def outbox_count(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count(MailMessage.id))) or 0)


class Clock:
    """The worker's clock, moved relative to the "away" delay (NOTIFY_EMAIL_DELAY_SECONDS)."""

    def __init__(self, delay: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.delay = delay
        self.monkeypatch = monkeypatch

    def past_delay(self, seconds: float) -> None:
        """From now on the worker's "now" is ``seconds`` after the delay (negative: before)."""
        moment = utcnow() + timedelta(seconds=self.delay + seconds)
        self.monkeypatch.setattr(notify, "utcnow", lambda: moment)


@pytest.fixture
def clock(app, monkeypatch) -> Clock:  # type: ignore[no-untyped-def]
    return Clock(int(app.config["NOTIFY_EMAIL_DELAY_SECONDS"]), monkeypatch)


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


# -- a reply, mailed at once -------------------------------------------------------------------


def test_a_reply_is_mailed_at_once_to_an_always_member(session, people, tls_mailbox) -> None:  # type: ignore[no-untyped-def]
    mentioned = factories.user(session, name="Carl Nævnt", municipality="Odense")
    topic = asked(session, people["asker"], "always")
    post = answered(
        session,
        topic,
        people["helper"],
        f"Vi bruger **familierådslagning**, spørg @{mentioned.username}.\n\n"
        "Se også [vores guide](/t/guide/1).",
    )
    assert mail.send_pending(session) == (1, 0)  # Carl ("away" by default) waits

    (message,) = tls_mailbox.to(people["asker"].email)
    received = next(r for r in tls_mailbox.received if r.message is message)
    assert received.tls and received.login  # STARTTLS and the relay's login before sending
    assert message["Subject"] == f"Bo Hjælper svarede på dit emne: {TITLE}"
    assert message.get_content_type() == "multipart/alternative"
    post_link = f"{BASE}/t/{topic.slug}/{topic.id}/{post.number}"

    text = text_part(message)
    assert "Hej Anne Hansen" in text
    assert "Vi bruger familierådslagning" in text and "**" not in text
    for link in (post_link, f"{BASE}/notifikationer", f"{BASE}/indstillinger", f"{BASE}/afmeld/"):
        assert link in text

    html = html_part(message)
    assert "<strong>familierådslagning</strong>" in html  # the post as the forum shows it
    tags = Tags(html)
    hrefs = tags.hrefs()
    assert hrefs and all(href.startswith(f"{BASE}/") for href in hrefs), hrefs
    assert post_link in hrefs
    assert f"{BASE}/u/{mentioned.username}" in hrefs  # the mention's link, made absolute
    assert f"{BASE}/t/guide/1" in hrefs
    assert {f"{BASE}/notifikationer", f"{BASE}/indstillinger"} <= set(hrefs)
    # The stylesheet lives in style= attributes now; only @media stays in <style>.
    button = next(attrs for tag, attrs in tags.tags if attrs.get("class") == "button")
    assert "background" in button["style"]
    assert all("style" in attrs for tag, attrs in tags.tags if tag in ("body", "h1", "p"))
    assert "{" not in html.split("<style>", 1)[-1].split("@media", 1)[0]

    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(f"{BASE}/afmeld/")
    assert unsubscribe_url in hrefs
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire as one line with the URL itself: not folded into encoded words.
    assert dict(message.raw_items())["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    token = unsubscribe_url.rsplit("/", 1)[1]
    assert unsubscribe.read(session, token) == (people["asker"], unsubscribe.NOTIFICATIONS)

    row = session.scalars(
        select(MailMessage).where(MailMessage.recipient == people["asker"].email)
    ).one()
    notification = notification_of(session, people["asker"])
    assert row.key == f"notify:{people['asker'].id}:{notification.id}"
    assert notification.emailed_at is not None and notification.email_due_at is None


def test_account_mail_has_no_unsubscribe_header(app, session, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        emails.queue_password_reset(session, people["asker"])
    mail.send_pending(session)
    (message,) = mailbox.to(people["asker"].email)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


@pytest.mark.usefixtures("compiled_catalogues")
def test_each_member_is_mailed_in_their_own_language(session, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    people["helper"].email_level = "always"  # hears of the new topic in their region
    topic = asked(session, people["asker"], "always", locale="en")
    answered(session, topic, people["helper"])
    mail.send_pending(session)
    (english,) = mailbox.to(people["asker"].email)
    assert english["Subject"] == f"Bo Hjælper replied to your topic: {TITLE}"
    assert "Hello Anne Hansen" in text_part(english)
    assert 'lang="en"' in html_part(english)
    (danish,) = mailbox.to(people["helper"].email)
    assert danish["Subject"] == f"Nyt emne i Region Midtjylland: {TITLE}"
    assert 'lang="da"' in html_part(danish)


# -- subjects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "count", "says"),
    [
        (NotificationKind.REPLIED, 1, "Bo Hjælper svarede på dit emne"),
        (NotificationKind.REPLIED_TO_POST, 1, "Bo Hjælper svarede på dit indlæg i"),
        (NotificationKind.QUOTED, 1, "Bo Hjælper citerede dig i"),
        (NotificationKind.MENTIONED, 1, "Bo Hjælper nævnte dig i"),
        (NotificationKind.ANSWER, 1, "Dit svar blev markeret som svaret der hjalp"),
        (NotificationKind.NEW_TOPIC, 1, "Nyt emne i Region Midtjylland"),
        (NotificationKind.NEW_POST, 1, "Nyt indlæg i"),
        (NotificationKind.REMINDER, 1, "Påmindelse"),
        (NotificationKind.THANKED, 1, "Bo Hjælper takkede for dit indlæg i"),
        (NotificationKind.THANKED, 2, "Bo Hjælper og 1 anden takkede for dit indlæg i"),
        (NotificationKind.THANKED, 4, "Bo Hjælper og 3 andre takkede for dit indlæg i"),
    ],
)
def test_each_kind_has_its_subject(session, people, kind, count, says) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(session, people["asker"], title=TITLE, replies=1)
    post = factories.post(session, topic, 2)
    notification = Notification(kind=kind, actor=people["helper"], count=count)
    assert emails.notification_subject(notification, post) == f"{says}: {TITLE}"


def test_a_subject_is_one_bounded_line(session, people) -> None:  # type: ignore[no-untyped-def]
    topic = factories.topic(
        session, people["asker"], title="Et emne " * 18, region="landsdaekkende"
    )
    post = factories.post(session, topic, 1)
    new_topic = Notification(kind=NotificationKind.NEW_TOPIC, actor=None)
    # Nationally, the theme is the place; a former member's post has no name.
    assert emails.notification_subject(new_topic, post).startswith(
        "Nyt emne i Netværksanbringelser: Et emne Et emne"
    )
    people["helper"].display_name = "Bo\nHjælper " + "x" * 200
    replied = Notification(kind=NotificationKind.REPLIED, actor=people["helper"])
    subject = emails.notification_subject(replied, post)
    assert len(subject) == emails.SUBJECT_LENGTH and subject.endswith("…")
    assert "\n" not in subject
    assert emails.notification_subject(Notification(kind=NotificationKind.REPLIED), post) == (
        f"Et medlem svarede på dit emne: {topic.title.strip()}"
    )


# -- "away": only what is still unread after the delay ------------------------------------------


def test_an_away_member_is_mailed_only_after_the_delay(session, people, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "away")
    answered(session, topic, people["helper"])
    clock.past_delay(-30)
    notify.run(session)
    mail.send_pending(session)
    assert mailbox.to(people["asker"].email) == []
    assert notification_of(session, people["asker"]).emailed_at is None
    clock.past_delay(1)
    assert notify.run(session).emails == 1
    mail.send_pending(session)
    (message,) = mailbox.to(people["asker"].email)
    assert message["Subject"] == f"Bo Hjælper svarede på dit emne: {TITLE}"
    assert f"på forummet i {clock.delay // 60} minutter efter" in text_part(message)


def test_an_away_member_who_read_it_meanwhile_gets_none(session, people, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "away")
    answered(session, topic, people["helper"])
    notification = notification_of(session, people["asker"])
    notify.mark_read(session, people["asker"], notification.id)
    session.commit()
    clock.past_delay(1)
    notify.run(session)
    mail.send_pending(session)
    assert mailbox.to(people["asker"].email) == []
    # Read is read, whoever asks: the e-mail function itself refuses it too.
    notification = notification_of(session, people["asker"])
    assert emails.queue_notification_mail(session, notification) is None
    assert notification.emailed_at is None


def _seen_on_the_forum(session, client, people, how: str) -> None:  # type: ignore[no-untyped-def]
    """The asker is on the forum after their notification came, without opening it."""
    member = people["asker"]
    if how == "logged in":
        session.commit()
        client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    elif how == "used the forum":
        # Their login in use: forum.logins moves last_seen_at as they go from page to page.
        login = logins.start(session, member, remember=False)
        login.last_seen_at = utcnow()
    else:  # posted elsewhere, within the first minutes (before any login's use is recorded)
        elsewhere = factories.topic(session, people["helper"], title="Et andet emne")
        domain.reply(session, member, elsewhere, "Anne skriver et andet sted imens.")
    session.commit()


@pytest.mark.parametrize("how", ["posted", "used the forum", "logged in"])
def test_an_away_member_on_the_forum_meanwhile_is_not_mailed(  # type: ignore[no-untyped-def]
    session, client, people, mailbox, clock, how
):
    topic = asked(session, people["asker"], "away")
    answered(session, topic, people["helper"])
    _seen_on_the_forum(session, client, people, how)
    clock.past_delay(1)
    assert notify.run(session).emails == 0
    mail.send_pending(session)
    assert mailbox.to(people["asker"].email) == []
    # It stays in the bell, unread, and is not mailed later either.
    notification = notification_of(session, people["asker"])
    assert (notification.read_at, notification.email_due_at) == (None, None)
    assert notification.emailed_at is None
    assert notify.unread_count(session, people["asker"]) == 1
    clock.past_delay(600)
    assert notify.run(session).emails == 0


def test_an_away_member_last_seen_before_the_notification_is_mailed(  # type: ignore[no-untyped-def]
    session, people, mailbox, clock
):
    """Asked, then left: a reply a minute later is mailed once the delay is over."""
    login = logins.start(session, people["asker"], remember=False)
    topic = asked(session, people["asker"], "away")
    login.last_seen_at = utcnow() - timedelta(seconds=1)  # the asking request, just before
    session.commit()
    answered(session, topic, people["helper"])
    clock.past_delay(1)
    assert notify.run(session).emails == 1
    mail.send_pending(session)
    assert len(mailbox.to(people["asker"].email)) == 1


def test_an_always_member_is_mailed_at_once_on_the_forum_or_not(  # type: ignore[no-untyped-def]
    session, client, people, mailbox
):
    topic = asked(session, people["asker"], "always")
    _seen_on_the_forum(session, client, people, "used the forum")
    answered(session, topic, people["helper"])
    mail.send_pending(session)
    assert len(mailbox.to(people["asker"].email)) == 1


@pytest.mark.parametrize("muted", ["theme", "region", "topic"])
def test_muting_before_the_e_mail_is_due_stops_it(session, people, mailbox, clock, muted) -> None:  # type: ignore[no-untyped-def]
    helper = people["helper"]
    helper.email_level = "away"  # hears of the new topic in their region
    topic = asked(session, people["asker"], "never")
    (notification,) = session.scalars(select(Notification).where(Notification.user_id == helper.id))
    assert notification.kind == NotificationKind.NEW_TOPIC and notification.email_due_at
    if muted == "theme":
        following.set_theme_level(session, helper, topic.theme, following.MUTED)
    elif muted == "region":
        following.set_region_level(session, helper, topic.region, following.MUTED)
    else:
        following.set_topic_level(session, helper, topic, following.MUTED)
    session.commit()
    clock.past_delay(1)
    assert notify.run(session).emails == 0
    mail.send_pending(session)
    assert mailbox.received == []
    session.expire_all()
    assert (notification.email_due_at, notification.emailed_at) == (None, None)


def test_a_mute_elsewhere_does_not_stop_the_e_mail(session, people, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    helper = people["helper"]
    helper.email_level = "away"
    asked(session, people["asker"], "never")
    following.set_theme_level(
        session, helper, places.theme_by_slug(session, "familiepleje"), following.MUTED
    )
    following.set_region_level(
        session, helper, places.region_by_slug(session, "hovedstaden"), following.MUTED
    )
    session.commit()
    clock.past_delay(1)
    assert notify.run(session).emails == 1
    mail.send_pending(session)
    (message,) = mailbox.to(helper.email)
    assert message["Subject"] == f"Nyt emne i Region Midtjylland: {TITLE}"


@pytest.mark.parametrize("what", ["post deleted", "member deactivated", "member chose never"])
def test_nothing_goes_that_should_no_longer_go(session, people, mailbox, clock, what) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "away")
    post = answered(session, topic, people["helper"])
    if what == "post deleted":
        domain.delete_post(session, people["helper"], post)
    elif what == "member deactivated":
        people["asker"].active = False
    else:
        people["asker"].email_level = "never"
    session.commit()
    clock.past_delay(1)
    assert notify.run(session).emails == 0
    mail.send_pending(session)
    assert mailbox.received == []


def test_a_never_member_is_not_mailed(session, people, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "never")
    answered(session, topic, people["helper"])
    clock.past_delay(1)
    notify.run(session)
    mail.send_pending(session)
    assert mailbox.to(people["asker"].email) == []
    notification = notification_of(session, people["asker"])
    assert (notification.email_due_at, notification.emailed_at) == (None, None)
    assert emails.queue_notification_mail(session, notification) is None


# -- once, and only what the post shows ---------------------------------------------------------


def test_running_the_worker_again_does_not_mail_twice(session, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "always")
    answered(session, topic, people["helper"])
    notify.run(session)
    # A worker that died after queueing but before marking the notification: it is due again.
    session.execute(
        update(Notification)
        .where(Notification.user_id == people["asker"].id)
        .values(emailed_at=None, email_due_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    notify.run(session)
    before = outbox_count(session)
    assert mail.send_pending(session)[1] == 0
    notify.run(session)
    assert mail.send_pending(session) == (0, 0)
    assert outbox_count(session) == before
    assert len(mailbox.to(people["asker"].email)) == 1


HOSTILE = (
    "<script>alert('x')</script>\n\n"
    "[klik her](javascript:alert(1)) og [data](data:text/html,<b>x</b>)\n\n"
    '<img src="x" onerror="alert(1)"> <a href="https://evil.example" onclick="steal()">a</a>\n\n'
    "![billede](http://tracker.example/pixel.gif)\n\n"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(HOSTILE, id="markup"),
        pytest.param(HOSTILE + "a" * 28_000, id="a-28000-letter-word"),
        pytest.param(HOSTILE + "ord " * 7000, id="one-word-7000-times"),
        pytest.param(HOSTILE + "[" * 400 + "x" + "]" * 400, id="400-brackets"),
        pytest.param(HOSTILE + "*" * 3000 + "x" + "*" * 3000, id="deep-emphasis"),
    ],
)
def test_hostile_post_text_stays_sanitised_and_bounded(session, people, mailbox, body) -> None:  # type: ignore[no-untyped-def]
    topic = asked(session, people["asker"], "always")
    answered(session, topic, people["helper"], body)
    mail.send_pending(session)
    (message,) = mailbox.to(people["asker"].email)
    html, text = html_part(message), text_part(message)
    tags = Tags(html)
    assert not [t for t, _attrs in tags.tags if t in ("script", "iframe", "object", "form")]
    for tag, attrs in tags.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            value = attrs.get(name, "")
            assert not value.lower().startswith(("javascript:", "data:")), (tag, attrs)
    assert not [a for t, a in tags.tags if t == "img" and "tracker.example" in a.get("src", "")]
    assert "&lt;script&gt;" in html or "alert" not in html  # shown as text, never as a tag
    # Bounded: the link leads to the whole post; the mail carries an excerpt of a long one.
    assert len(html) < emails.POST_HTML_LIMIT + 8_000
    assert len(text) < emails.EXCERPT_LENGTH + 1_500
