"""The e-mail outbox: queued with the change, sent by SMTP or to the log, retried on failure."""

from __future__ import annotations

import logging
import smtplib

import pytest

from forum import mail
from forum.models import MailMessage


class FakeSMTP:
    """Stands in for smtplib.SMTP and remembers what it was asked to send."""

    sent: list = []
    fail = False

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port = host, port

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("gone")
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):  # type: ignore[no-untyped-def]
    FakeSMTP.sent = []
    FakeSMTP.fail = False
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.dk", MAIL_SENDER="Forum <forum@example.dk>")
    return FakeSMTP


def test_development_mail_goes_to_the_log(session, caplog) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Brødtekst med æøå")
    with caplog.at_level(logging.WARNING, logger="forum.mail"):
        assert mail.send_pending(session) == (1, 0)
    assert "Brødtekst med æøå" in caplog.text
    assert session.query(MailMessage).one().sent_at is not None


def test_smtp_sends_each_message_once(session, smtp) -> None:  # type: ignore[no-untyped-def]
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    assert mail.send_pending(session) == (1, 0)
    assert mail.send_pending(session) == (0, 0)
    assert len(smtp.sent) == 1
    assert smtp.sent[0]["To"] == "a@kommune.dk"
    assert smtp.sent[0]["From"] == "Forum <forum@example.dk>"


def test_failures_are_retried_then_given_up(session, smtp) -> None:  # type: ignore[no-untyped-def]
    smtp.fail = True
    mail.queue_mail(session, "a@kommune.dk", "Emne", "Tekst")
    for _ in range(mail.MAX_ATTEMPTS):
        assert mail.send_pending(session) == (0, 1)
    assert mail.send_pending(session) == (0, 0)  # given up: no endless retries
    message = session.query(MailMessage).one()
    assert message.attempts == mail.MAX_ATTEMPTS
    assert "gone" in message.last_error
    assert message.sent_at is None
