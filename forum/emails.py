"""The e-mails the forum writes: subject and body from templates/email, in the reader's language.

Views call one function here; it composes the message and queues it in the outbox (forum.mail)
under a key naming the event, so the same event never mails twice.
"""

from __future__ import annotations

import hashlib

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from forum import accounts
from forum.mail import queue_mail
from forum.models import Invitation, MailMessage, User


def queue_password_reset(session: Session, user: User) -> MailMessage:
    """Queue a password-reset link for ``user``, in the member's language, not the browser's."""
    token = accounts.password_reset_token(user)
    link = url_for("auth.reset_password", token=token, _external=True)
    with force_locale(user.locale):
        subject = _("Nulstil din adgangskode til Ledernetværket")
        body = render_template("email/password_reset.txt", user=user, link=link)
    # The token's hash, not the token: the key stays in the outbox after the body is blanked.
    token_id = hashlib.sha256(token.encode()).hexdigest()[:24]
    return queue_mail(
        session, user.email, subject, body, key=f"reset:{user.id}:{token_id}", secret=True
    )


def queue_invitation(
    session: Session, invitation: Invitation, inviter: User, token: str
) -> MailMessage:
    """Queue the invitation e-mail with its one-time link (``token`` is known only now)."""
    link = url_for("auth.accept_invitation", token=token, _external=True)
    # The invitee has no language yet: Danish, whatever the inviter reads in.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Invitation til Ledernetværket for udsatte børn og unge")
        body = render_template(
            "email/invitation.txt",
            invitation=invitation,
            inviter=inviter,
            link=link,
            days=current_app.config["INVITATION_DAYS"],
        )
    return queue_mail(
        session, invitation.email, subject, body, key=f"invite:{invitation.id}", secret=True
    )
