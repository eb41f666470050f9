"""E-mail through an outbox table: queued with the change, sent after the request or by CLI."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.models import MailMessage
from forum.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def queue_mail(session: Session, recipient: str, subject: str, body: str) -> MailMessage:
    """Add an e-mail to the outbox; it leaves once the transaction has committed."""
    message = MailMessage(recipient=recipient, subject=subject, body=body)
    session.add(message)
    session.flush()
    if has_request_context():
        g.mail_queued = True  # tells the after-request hook there is something to send
    # Outside a request (CLI), `flask mail send` sends it.
    return message


def _deliver(message: MailMessage) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        # Development: the log is the mailbox.
        log.warning(
            "E-mail (not sent, MAIL_SERVER is empty)\nTo: %s\nSubject: %s\n\n%s",
            message.recipient,
            message.subject,
            message.body,
        )
        return
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def send_pending(session: Session, limit: int = 100) -> tuple[int, int]:
    """Send queued mail; returns (sent, failed). Failures are retried up to MAX_ATTEMPTS."""
    pending = session.scalars(
        select(MailMessage)
        .where(MailMessage.sent_at.is_(None), MailMessage.attempts < MAX_ATTEMPTS)
        .order_by(MailMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message in pending:
        message.attempts += 1
        try:
            _deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = str(exc)[:500]
            failed += 1
            log.error("Mail to %s failed: %s", message.recipient, exc)
        else:
            message.sent_at = utcnow()
            sent += 1
    session.commit()
    return sent, failed
