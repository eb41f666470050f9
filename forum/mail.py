"""E-mail through an outbox table: queued with the change, sent after the request or by CLI.

Every sender (the after-request hook on any app node, ``flask mail send`` from cron) claims
its rows in a short transaction and sends outside it, so two senders never send one e-mail
twice. A claim older than CLAIM_TIMEOUT belongs to a sender that died and is taken over.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app, g, has_request_context
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from forum.extensions import upsert_insert
from forum.models import MailMessage
from forum.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Longer than a batch can take to send (BATCH_SIZE x SMTP_TIMEOUT), so a live sender's claim is
# never taken over.
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH_SIZE = 20
SMTP_TIMEOUT = 20
# What the body of a secret e-mail (a reset or invitation link) becomes once sent or given up.
REDACTED_BODY = "[indhold fjernet efter afsendelse]"


class _UnfoldedHeader(UnstructuredHeader):
    """A header written as given, on one line. The standard folding cuts a long value that has
    no spaces (a URL) into RFC 2047 encoded words, which no mail client reads as a URL."""

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UnfoldedHeader)
# The standard policy, but for List-Unsubscribe (an ASCII URL of at most 500 characters, well
# inside the 998 a line may have).
_POLICY = default_policy.clone(header_factory=_HEADERS)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed attempt: 1, 4, 16, 64 minutes."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))


def queue_mail(
    session: Session,
    recipient: str,
    subject: str,
    body: str,
    *,
    key: str | None = None,
    secret: bool = False,
    html_body: str | None = None,
    unsubscribe_url: str | None = None,
) -> MailMessage:
    """Add an e-mail to the outbox; it leaves once the transaction has committed.

    ``key`` names the event the e-mail is for; a second e-mail with the same key is not added
    (the existing row is returned). ``secret`` marks a body with a working link: it is removed
    once sent. ``unsubscribe_url`` (notification and digest mail, never account mail) becomes
    the one-click ``List-Unsubscribe`` header (RFC 8058).
    """
    values = {
        "key": key or f"once:{uuid.uuid4().hex}",
        "recipient": recipient,
        "subject": subject,
        "body": body,
        "html_body": html_body,
        "secret": secret,
        "unsubscribe_url": unsubscribe_url,
    }
    insert = upsert_insert(session)
    # ON CONFLICT DO NOTHING: a doubled enqueue (a double click, a retried job) neither fails
    # the request nor sends twice, even when both run at the same moment.
    session.execute(
        insert(MailMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    message = session.scalars(select(MailMessage).where(MailMessage.key == values["key"])).one()
    if has_request_context():
        g.mail_queued = True  # tells the after-request hook there is something to send
    # Outside a request (CLI), `flask mail send` sends it.
    return message


@dataclass(frozen=True)
class _Outgoing:
    """A claimed message, read out so that sending needs no open transaction."""

    id: int
    recipient: str
    subject: str
    body: str
    html_body: str | None
    secret: bool
    attempts: int
    unsubscribe_url: str | None


def _claimable(now: datetime) -> tuple:
    return (
        MailMessage.sent_at.is_(None),
        MailMessage.attempts < MAX_ATTEMPTS,
        or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now),
        or_(MailMessage.claimed_at.is_(None), MailMessage.claimed_at < now - CLAIM_TIMEOUT),
    )


def claim(session: Session, claimant: str, limit: int) -> list[_Outgoing]:
    """Claim up to ``limit`` sendable messages for ``claimant`` and commit the claim."""
    now = utcnow()
    # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
    # MATERIALIZED makes the pick run once: as `id IN (SELECT ... LIMIT n FOR UPDATE SKIP
    # LOCKED)` the planner chose a nested-loop semi join that re-ran the subquery for every
    # candidate row, so one sender claimed every sendable row, whatever the limit, and a
    # second sender found nothing left. SQLite renders no FOR UPDATE; its one writer at a time
    # makes the UPDATE atomic, and the conditions are checked again on the row being updated.
    picked = (
        select(MailMessage.id)
        .where(*_claimable(now))
        .order_by(MailMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = session.execute(
        update(MailMessage)
        .where(MailMessage.id.in_(select(picked.c.id)), *_claimable(now))
        # The attempt counts at the claim: a message that kills its sender is still given up.
        .values(claimed_by=claimant, claimed_at=now, attempts=MailMessage.attempts + 1)
        .returning(
            MailMessage.id,
            MailMessage.recipient,
            MailMessage.subject,
            MailMessage.body,
            MailMessage.html_body,
            MailMessage.secret,
            MailMessage.attempts,
            MailMessage.unsubscribe_url,
        )
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return [_Outgoing(*row) for row in sorted(rows)]  # RETURNING has no order of its own


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The one-click unsubscribe headers (RFC 2369, RFC 8058) for an e-mail: the mail client
    POSTs ``List-Unsubscribe=One-Click`` to ``url``, with no login and no form."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _build(message: _Outgoing) -> EmailMessage:
    config = current_app.config
    email = EmailMessage(policy=_POLICY)
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(config["MAIL_SENDER"])[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    if message.unsubscribe_url:
        for name, value in unsubscribe_headers(message.unsubscribe_url).items():
            email[name] = value
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


def _deliver(message: _Outgoing) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        if config["ENV"] == "production":
            # Never let a production secret end up in a log: keep the mail until it can leave.
            raise RuntimeError("FORUM_MAIL_SERVER is not set")
        # Development: the log is the mailbox.
        log.warning(
            "E-mail (not sent, MAIL_SERVER is empty)\nTo: %s\nSubject: %s\n\n%s",
            message.recipient,
            message.subject,
            message.body,
        )
        return
    email = _build(message)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config["MAIL_USE_TLS"]:
            # Verifies the server's certificate and name; MAIL_CA_FILE trusts a private CA.
            context = ssl.create_default_context(cafile=config.get("MAIL_CA_FILE") or None)
            smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _finish(session: Session, message: _Outgoing, claimant: str, values: dict) -> bool:
    result = session.execute(
        update(MailMessage)
        .where(MailMessage.id == message.id, MailMessage.claimed_by == claimant)
        .values(claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)


def send_pending(session: Session, limit: int = 100) -> tuple[int, int]:
    """Claim and send queued mail; returns (sent, failed). Commits: call it at the top level."""
    # Start from a fresh transaction, so the claim's write is the first statement in it (on
    # SQLite a read transaction cannot always be upgraded to a write).
    session.commit()
    claimant = uuid.uuid4().hex
    sent = failed = 0
    while sent + failed < limit:
        batch = claim(session, claimant, min(BATCH_SIZE, limit - sent - failed))
        if not batch:
            break
        for message in batch:
            scrub = {"body": REDACTED_BODY, "html_body": None} if message.secret else {}
            try:
                _deliver(message)
            except Exception as exc:  # any failure sets this row aside, not the ones behind it
                failed += 1
                values: dict = {
                    "last_error": f"{type(exc).__name__}: {exc}"[:500],
                    "next_attempt_at": utcnow() + retry_delay(message.attempts),
                }
                if message.attempts >= MAX_ATTEMPTS:
                    values.update(scrub)  # given up: the link must not stay behind either
                _finish(session, message, claimant, values)
                # The recipient and the error only: a body may hold a secret link.
                log.error("Mail %s to %s failed: %s", message.id, message.recipient, exc)
            else:
                sent += 1
                if not _finish(
                    session, message, claimant, {"sent_at": utcnow(), "last_error": None, **scrub}
                ):
                    log.warning("Mail %s was sent after its claim had expired", message.id)
    return sent, failed


def prune_sent(session: Session, now: datetime | None = None) -> int:
    """Delete mail sent more than MAIL_RETENTION_DAYS ago; returns how many. Flushes only."""
    days = int(current_app.config["MAIL_RETENTION_DAYS"])
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.execute(
        delete(MailMessage)
        .where(MailMessage.sent_at.is_not(None), MailMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class OutboxStatus:
    """Counts of the outbox's rows by state, and the messages that were given up."""

    pending: int
    sending: int
    sent: int
    given_up: list[MailMessage]


def outbox_status(session: Session) -> OutboxStatus:
    """How many messages wait, are being sent, were sent; which ones were given up."""
    now = utcnow()
    unsent = MailMessage.sent_at.is_(None)
    live_claim = MailMessage.claimed_at >= now - CLAIM_TIMEOUT

    def count(*where: object) -> int:
        return int(session.scalar(select(func.count(MailMessage.id)).where(*where)) or 0)

    given_up = session.scalars(
        select(MailMessage)
        .where(
            unsent,
            MailMessage.attempts >= MAX_ATTEMPTS,
            or_(MailMessage.claimed_at.is_(None), ~live_claim),
        )
        .order_by(MailMessage.id)
    ).all()
    return OutboxStatus(
        pending=count(
            unsent,
            MailMessage.attempts < MAX_ATTEMPTS,
            or_(MailMessage.claimed_at.is_(None), ~live_claim),
        ),
        sending=count(unsent, live_claim),
        sent=count(MailMessage.sent_at.is_not(None)),
        given_up=list(given_up),
    )
