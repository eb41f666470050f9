"""The loop that brings members back, in a real browser with a real SMTP server: follow a
region, be told of a new question, answer it with a mention, get the e-mail, mark the answer,
be told it was marked."""

from __future__ import annotations

import re
import time

from forum.extensions import db
from forum.models import MailMessage, Notification, NotifyOutboxEntry
from tests import factories
from tests.e2e.conftest import login


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button[type=submit]")
    page.wait_for_url("**/login")


def _bell(page) -> int:  # type: ignore[no-untyped-def]
    count = page.locator(".bell-count")
    return int(count.inner_text()) if count.count() else 0


def _wait_for_bell(page, at_least: int, timeout: float = 10.0) -> int:  # type: ignore[no-untyped-def]
    # The notifications are written by the worker step after the response that made them.
    deadline = time.monotonic() + timeout
    while True:
        page.reload()
        count = _bell(page)
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def _wait_for_mail(app, mailbox, recipient: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(mailbox.received):
            if recipient in received.rcpt_tos:
                return received.message
        time.sleep(0.2)
    with app.app_context():  # what the outboxes say, for the failure message
        outbox = db.session.execute(
            db.select(MailMessage.key, MailMessage.sent_at, MailMessage.attempts)
        ).all()
        events = db.session.execute(
            db.select(
                NotifyOutboxEntry.event, NotifyOutboxEntry.done_at, NotifyOutboxEntry.attempts
            )
        ).all()
        notes = db.session.execute(
            db.select(
                Notification.user_id,
                Notification.kind,
                Notification.read_at,
                Notification.emailed_at,
            )
        ).all()
    raise AssertionError(f"no e-mail to {recipient}: {outbox} {events} {notes}")


def test_follow_notify_reply_mention_mail_answer(browser, live_server, _smtp_plain) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    _smtp_plain.clear()
    app.config.update(_smtp_plain.settings)
    app.config.update(BASE_URL=base, NOTIFY_EMAIL_DELAY_SECONDS=0)
    with app.app_context():
        # A works in Region Syddanmark: following Midtjylland is her own choice.
        anne = factories.user(
            db.session, name="Anne Lund", email="anne@odense.example", municipality="Odense"
        )
        mette = factories.user(
            db.session, name="Mette Kjær", email="mette@norddjurs.example", municipality="Norddjurs"
        )
        db.session.commit()
        anne_email, mette_email, mette_name = anne.email, mette.email, mette.username

    page = browser.new_page()
    # 1. A follows Region Midtjylland from the region's page (a menu of small forms).
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(f"{base}/region/midtjylland")
    page.click(".follow-menu > summary")
    page.click(".follow-options button:has-text('Følger første indlæg')")
    page.wait_for_selector(".flash-success")
    assert "Følger første indlæg" in page.inner_text(".follow-menu > summary")
    _logout(page)

    # 2. B asks for sparring there.
    login(page, base, mette_email, factories.PASSWORD)
    page.click("text=Nyt emne >> nth=0")
    page.select_option("select[name=kind]", "sparring")
    page.select_option("select[name=region]", "midtjylland")
    page.select_option("select[name=theme]", "netvaerksanbringelser")
    page.fill("input[name=title]", "Hvordan holder I fast i netværket efter anbringelsen?")
    page.fill("textarea[name=body]", "Vi mister ofte kontakten til netværket efter et halvt år.")
    page.click("text=Opret emne")
    page.wait_for_selector("h1:has-text('holder I fast')")
    _logout(page)

    # 3. A sees the bell's count, opens the notification and replies, mentioning B.
    login(page, base, anne_email, factories.PASSWORD)
    assert _wait_for_bell(page, 1) == 1
    page.click("a.bell")
    page.wait_for_url(f"{base}/notifikationer")
    entry = page.locator(".notification.is-unread a.what").first
    assert "Mette Kjær startede et nyt emne" in entry.inner_text()
    entry.click()
    page.wait_for_selector("h1:has-text('holder I fast')")
    page.fill(
        "textarea[name=body]",
        f"@{mette_name} vi har gode erfaringer med en fast netværkskoordinator.",
    )
    page.click("text=Send svar")
    page.wait_for_selector("#p2")
    assert page.locator(f"#p2 a.mention[href='/u/{mette_name}']").count() == 1
    # Opening the topic read the notification: the bell is quiet again.
    page.goto(f"{base}/notifikationer")
    assert _bell(page) == 0
    _logout(page)

    # 4. B gets the e-mail at the SMTP server and follows its link.
    message = _wait_for_mail(app, _smtp_plain, mette_email)
    assert "Anne Lund" in message["Subject"]
    assert message["List-Unsubscribe"].startswith(f"<{base}/afmeld/")
    text = message.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(base)}/t/[^\s>]+", text)
    assert link, text
    login(page, base, mette_email, factories.PASSWORD)
    page.goto(link.group(0))
    page.wait_for_selector("#p2")
    assert "netværkskoordinator" in page.inner_text("#p2")
    # 5. B marks A's reply as the answer.
    page.click("#p2 .mark-answer")
    page.wait_for_selector(".answer-box")
    _logout(page)

    # 6. A is told that her reply was marked.
    login(page, base, anne_email, factories.PASSWORD)
    assert _wait_for_bell(page, 1) == 1
    page.goto(f"{base}/notifikationer")
    assert "Dit svar blev markeret som svaret der hjalp" in page.inner_text(".notification-list")
    page.close()
