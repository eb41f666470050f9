"""One-click unsubscribe links for the forum's e-mail (RFC 8058 ``List-Unsubscribe``).

A link carries a signed token naming a member and a scope. It can do one thing only: switch
that scope's e-mail off. It never logs anyone in and never changes anything else, so a link
forwarded with an e-mail gives its reader no more than the right to stop that e-mail.
"""

from __future__ import annotations

from typing import Final

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from forum.errors import NotFound
from forum.models import User
from forum.urls import external_url

NOTIFICATIONS: Final = "notifications"  # e-mail about notifications (users.email_level)
DIGEST: Final = "digest"  # the digest (users.digest_period)
SCOPES: Final = (NOTIFICATIONS, DIGEST)

# Its own salt: a token signed for anything else (a password reset, a login throttle) with the
# same SECRET_KEY is not an unsubscribe token, nor the other way round.
_SALT = "forum.unsubscribe.v1"


class InvalidUnsubscribeToken(NotFound):
    """The link was altered, forged, or names a member who no longer exists (404)."""

    def __init__(self) -> None:
        super().__init__(_l("Linket til at afmelde e-mails er ugyldigt."))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user: User, scope: str) -> str:
    """A signed token that switches ``scope``'s e-mail off for ``user``, and nothing else."""
    if scope not in SCOPES:
        raise ValueError(f"unknown unsubscribe scope: {scope!r}")
    return _serializer().dumps({"u": user.id, "s": scope})


def unsubscribe_url(user: User, scope: str) -> str:
    """The absolute address of ``user``'s unsubscribe link for ``scope`` (on BASE_URL)."""
    return external_url("unsubscribe.confirm", token=unsubscribe_token(user, scope))


def read(session: Session, token: str) -> tuple[User, str]:
    """The member and scope a token names, changing nothing; InvalidUnsubscribeToken if bad."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise InvalidUnsubscribeToken() from None
    if not isinstance(data, dict):
        raise InvalidUnsubscribeToken()
    user_id, scope = data.get("u"), data.get("s")
    # bool is an int too: a token is only ever signed with a real id.
    if type(user_id) is not int or scope not in SCOPES:
        raise InvalidUnsubscribeToken()
    user = session.get(User, user_id)
    if user is None:
        raise InvalidUnsubscribeToken()
    return user, scope


def is_subscribed(user: User, scope: str) -> bool:
    """Whether ``user`` still gets the e-mail of ``scope``."""
    if scope == NOTIFICATIONS:
        return user.email_level != "never"
    return user.digest_period != "never"


def apply(session: Session, token: str) -> tuple[User, str]:
    """Switch off the e-mail a token names; returns (member, scope). Flushes only.

    Doing it twice is harmless: the setting is simply "never" again."""
    user, scope = read(session, token)
    if scope == NOTIFICATIONS:
        user.email_level = "never"
    else:
        user.digest_period = "never"
    session.flush()
    return user, scope
