"""The e-mail outbox against a real SMTP server: claims, keys, secrets, retries, pruning."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text, update

from forum import emails, mail
from forum.extensions import db
from forum.models import MailMessage
from forum.timeutil import utcnow
from tests import factories
from tests.smtp import USERNAME, free_port

LINK = "http://localhost/password/reset/hemmelig-token-123"


def rows() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


# -- delivery --------------------------------------------------------------------------------


def test_development_mail_goes_to_the_log(session, caplog) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Brødtekst med æøå")
    with caplog.at_level(logging.WARNING, logger="forum.mail"):
        assert mail.send_pending(session) == (1, 0)
    assert "Brødtekst med æøå" in caplog.text
    assert rows()[0].sent_at is not None


def test_production_without_server_keeps_the_mail_and_logs_no_secret(app, session, caplog) -> None:  # type: ignore[no-untyped-def]
    app.config.update(ENV="production", MAIL_SERVER="")
    mail.queue_mail(session, "a@kommune.dk", "Emne", f"Klik {LINK}", key="k", secret=True)
    with caplog.at_level(logging.DEBUG, logger="forum"):
        assert mail.send_pending(session) == (0, 1)
    assert "hemmelig-token" not in caplog.text
    (message,) = rows()
    assert message.sent_at is None
    assert "MAIL_SERVER" in message.last_error


def test_smtp_server_receives_each_message_once(session, mailbox) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Møde i Århus", "Tekst med æøå")
    assert mail.send_pending(session) == (1, 0)
    assert mail.send_pending(session) == (0, 0)
    (received,) = mailbox.received
    assert received.rcpt_tos == ["a@kommune.dk"]
    assert received.message["To"] == "a@kommune.dk"
    assert received.message["From"] == mailbox.settings["MAIL_SENDER"]
    assert received.message["Subject"] == "Møde i Århus"
    assert received.message["Message-ID"].endswith("@test.example>")
    assert received.message.get_content().strip() == "Tekst med æøå"
    assert not received.tls


def test_html_body_becomes_an_alternative_part(session, mailbox) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", html_body="<p>Tekst</p>")
    mail.send_pending(session)
    (received,) = mailbox.received
    assert received.message.get_content_type() == "multipart/alternative"
    html = received.message.get_body(preferencelist=("html",))
    assert "<p>Tekst</p>" in html.get_content()


def test_starttls_and_login_before_sending(session, tls_mailbox) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    assert mail.send_pending(session) == (1, 0)
    (received,) = tls_mailbox.received
    assert received.tls  # the connection was upgraded before MAIL FROM
    assert received.authenticated
    assert received.login == USERNAME


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"MAIL_PASSWORD": "forkert"}, "535"),  # wrong password
        ({"MAIL_CA_FILE": ""}, "CERTIFICATE_VERIFY_FAILED"),  # certificate not trusted
        ({"MAIL_USE_TLS": False, "MAIL_USERNAME": ""}, "530"),  # the server demands STARTTLS
    ],
)
def test_tls_server_refusals_keep_the_mail(app, session, tls_mailbox, settings, error) -> None:  # type: ignore[no-untyped-def]
    app.config.update(settings)
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    assert mail.send_pending(session) == (0, 1)
    assert tls_mailbox.received == []
    (message,) = rows()
    assert message.sent_at is None
    assert error in message.last_error


def test_a_server_without_starttls_is_not_sent_to_in_clear(app, session, mailbox) -> None:  # type: ignore[no-untyped-def]
    app.config.update(MAIL_USE_TLS=True)
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    assert mail.send_pending(session) == (0, 1)
    assert mailbox.received == []
    assert "STARTTLS" in rows()[0].last_error


# -- secrets ---------------------------------------------------------------------------------


def test_secret_body_is_removed_once_sent(session, mailbox, caplog) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Ny adgangskode", f"Klik {LINK}", key="s", secret=True)
    mail.queue_mail(session, "b@kommune.dk", "Nyt", "Almindelig tekst", key="p")
    with caplog.at_level(logging.DEBUG, logger="forum"):
        assert mail.send_pending(session) == (2, 0)
    assert LINK in mailbox.to("a@kommune.dk")[0].get_content()
    secret, plain = rows()
    assert secret.body == mail.REDACTED_BODY
    assert secret.html_body is None
    assert plain.body == "Almindelig tekst"
    assert "hemmelig-token" not in caplog.text


def test_secret_of_a_given_up_message_is_removed(app, session) -> None:  # type: ignore[no-untyped-def]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    message = mail.queue_mail(session, "a@kommune.dk", "E", f"Klik {LINK}", key="s", secret=True)
    message.attempts = mail.MAX_ATTEMPTS - 1
    assert mail.send_pending(session) == (0, 1)
    (message,) = rows()
    assert message.attempts == mail.MAX_ATTEMPTS
    assert message.body == mail.REDACTED_BODY


def test_reset_mail_is_composed_in_the_members_language(app, session, mailbox) -> None:  # type: ignore[no-untyped-def]
    user = factories.user(session, name="Jane English")
    user.locale = "en"
    with app.test_request_context():
        message = emails.queue_password_reset(session, user)
    assert message.secret
    assert message.key.startswith(f"reset:{user.id}:")
    assert "/password/reset/" in message.body
    assert "Danish" not in message.subject and "Nulstil" not in message.subject


# -- keys and claims -------------------------------------------------------------------------


def test_the_same_key_is_queued_and_sent_once(session, mailbox) -> None:  # type: ignore[no-untyped-def]
    first = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key="invite:7")
    again = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst igen", key="invite:7")
    assert again.id == first.id
    assert mail.send_pending(session) == (1, 0)
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Efter afsendelse", key="invite:7")
    assert mail.send_pending(session) == (0, 0)
    assert len(mailbox.received) == 1
    assert session.scalar(select(func.count(MailMessage.id))) == 1


def test_a_live_claim_is_respected_and_a_stale_one_taken_over(session, mailbox) -> None:  # type: ignore[no-untyped-def]
    message = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    message.claimed_by, message.claimed_at = "another-sender", utcnow()
    assert mail.send_pending(session) == (0, 0)
    assert mailbox.received == []
    stale = utcnow() - mail.CLAIM_TIMEOUT - timedelta(seconds=1)
    session.execute(update(MailMessage).values(claimed_at=stale))
    assert mail.send_pending(session) == (1, 0)
    assert len(mailbox.received) == 1
    (message,) = rows()
    assert message.claimed_by is None
    assert message.sent_at is not None


def test_a_claim_takes_at_most_its_limit(session) -> None:  # type: ignore[no-untyped-def]
    """Each claim takes the next ``limit`` rows, so other senders find the rest."""
    for n in range(10):
        mail.queue_mail(session, "a@kommune.dk", f"Besked {n}", "Tekst")
    session.commit()
    first = mail.claim(session, "first", 4)
    second = mail.claim(session, "second", 4)
    assert [m.subject for m in first] == [f"Besked {n}" for n in range(4)]
    assert [m.subject for m in second] == [f"Besked {n}" for n in range(4, 8)]
    assert [m.subject for m in mail.claim(session, "third", 4)] == ["Besked 8", "Besked 9"]


def test_a_claim_skips_rows_another_sender_is_claiming(app, session) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: rows locked by a claim not yet committed are skipped, not waited for."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite has one writer at a time, and no FOR UPDATE")
    for n in range(6):
        mail.queue_mail(session, "a@kommune.dk", f"Besked {n}", "Tekst")
    session.commit()
    with db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '5s'"))  # fails, not hangs, if it waited
        locked = other.scalars(
            select(MailMessage.id).order_by(MailMessage.id).limit(2).with_for_update()
        ).all()
        claimed = mail.claim(session, "second", 4)
        other.rollback()
    assert len(locked) == 2
    assert [m.subject for m in claimed] == [f"Besked {n}" for n in range(2, 6)]


def test_two_senders_at_once_send_each_message_exactly_once(app, mailbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two senders, each with its own connection, over the same outbox (SQLite and PostgreSQL)."""
    monkeypatch.setattr(mail, "BATCH_SIZE", 4)
    subjects = [f"Besked {n}" for n in range(40)]
    for subject in subjects:
        mail.queue_mail(db.session, "a@kommune.dk", subject, "Tekst")
    db.session.commit()
    start = threading.Barrier(2)
    # Each sender, once it has sent its first message, waits (10 s at most) until the other
    # has sent one too: both send at the same time, or the barrier breaks and the test fails.
    both_sending = threading.Barrier(2, timeout=10)
    first_sent = threading.local()
    deliver = mail._deliver

    def deliver_then_meet(message):  # type: ignore[no-untyped-def]
        deliver(message)
        if not getattr(first_sent, "done", False):
            first_sent.done = True
            both_sending.wait()

    monkeypatch.setattr(mail, "_deliver", deliver_then_meet)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():  # its own session and connection
                start.wait(timeout=10)
                results.append(mail.send_pending(db.session, limit=100))
                db.session.remove()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        if not getattr(first_sent, "done", False):
            both_sending.abort()  # sent nothing: the other must not wait for it

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not both_sending.broken, "one sender sent nothing while the other was sending"
    received = sorted(r.message["Subject"] for r in mailbox.received)
    assert received == sorted(subjects)  # each once: none missing, none twice
    assert sorted(failed for _, failed in results) == [0, 0]
    assert sum(sent for sent, _ in results) == 40
    assert all(m.sent_at is not None and m.claimed_by is None for m in rows())


# -- retries ---------------------------------------------------------------------------------


def test_failures_back_off_then_give_up(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert mail.send_pending(session) == (0, 1)
        (message,) = rows()
        assert message.attempts == attempt
        assert message.claimed_by is None
        if attempt < mail.MAX_ATTEMPTS:
            # Not retried before the backoff is over.
            assert message.next_attempt_at >= utcnow() + mail.retry_delay(attempt) - timedelta(
                seconds=5
            )
            assert mail.send_pending(session) == (0, 0)
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
    assert mail.send_pending(session) == (0, 0)  # given up: no endless retries
    (message,) = rows()
    assert message.sent_at is None
    assert "ConnectionRefusedError" in message.last_error
    status = runner.invoke(args=["mail", "status"])
    assert status.exit_code == 1
    assert "Pending 0, sending 0, sent 0." in status.output
    assert f"#{message.id}" in status.output and "a@kommune.dk" in status.output


def test_retry_delays_grow() -> None:
    delays = [mail.retry_delay(n) for n in range(1, mail.MAX_ATTEMPTS)]
    assert delays == sorted(delays) and len(set(delays)) == len(delays)
    assert delays[0] == timedelta(minutes=1)


# -- pruning and status ----------------------------------------------------------------------


def test_prune_deletes_only_sent_mail_past_the_retention(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    app.config["MAIL_RETENTION_DAYS"] = 30
    now = utcnow()
    for key, sent_days_ago, attempts in [
        ("old-sent", 31, 1),
        ("recent-sent", 29, 1),
        ("old-unsent", None, 0),
        ("old-given-up", None, mail.MAX_ATTEMPTS),
    ]:
        message = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key=key)
        message.created_at = now - timedelta(days=40)
        message.attempts = attempts
        if sent_days_ago is not None:
            message.sent_at = now - timedelta(days=sent_days_ago)
    session.commit()
    result = runner.invoke(args=["mail", "prune"])
    assert result.exit_code == 0, result.output
    assert "Pruned 1 message(s) sent more than 30 days ago." in result.output
    assert [m.key for m in rows()] == ["recent-sent", "old-unsent", "old-given-up"]


def test_mail_send_prunes_too(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    message = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key="old")
    message.sent_at = utcnow() - timedelta(days=app.config["MAIL_RETENTION_DAYS"] + 1)
    session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Pruned 1 sent message(s)." in result.output
    assert rows() == []


def test_mail_status_counts(session, runner) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key="waiting")
    claimed = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key="claimed")
    claimed.claimed_by, claimed.claimed_at = "sender", utcnow()
    sent = mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst", key="sent")
    sent.sent_at = utcnow()
    session.commit()
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "Pending 1, sending 1, sent 1." in result.output


# -- schema ----------------------------------------------------------------------------------


def test_migrated_outbox_matches_the_model(app) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": False})
        differences = compare_metadata(context, db.metadata)

    def about_outbox(diff: object) -> bool:
        return "mail_outbox" in repr(diff)

    assert [d for d in differences if about_outbox(d)] == []
