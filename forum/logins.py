"""Login sessions as rows, so that logging out, a new password or "end my other sessions"
ends a session for real, whatever cookies were copied before.

Flask-Login keeps ``"<row id>:<secret>"`` in the signed session cookie and in the remember
cookie; the row keeps only the secret's hash. A request's login is valid while its row exists
and has not expired. Expiry is checked here, not left to the cookies: an ordinary session ends
after ``PERMANENT_SESSION_LIFETIME`` without use, a remembered one ``REMEMBER_COOKIE_DURATION``
after login, even for someone who kept using a copied cookie.

Seeing a session in use moves its ``last_seen_at`` at most every ``LOGIN_TOUCH_SECONDS``, in
one small UPDATE after the response (the only write a page view makes for this).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from forum.afterwards import small_write
from forum.models import LoginSession, User
from forum.timeutil import utcnow

# The most characters of a User-Agent header looked at: the header is the client's to choose.
USER_AGENT_MAX = 512


@dataclass(frozen=True)
class Device:
    browser: str
    system: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION"] if remember else config["PERMANENT_SESSION_LIFETIME"]


@lru_cache(maxsize=256)
def device(user_agent: str) -> Device:
    """Browser and system named from a User-Agent header ("" where it says nothing known)."""
    parsed = parse_user_agent(user_agent[:USER_AGENT_MAX])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    return Device(browser=browser[:60], system=system[:60])


def start(session: Session, user: User, *, remember: bool, user_agent: str = "") -> LoginSession:
    """A new login for ``user``; sets ``user.login_id`` for Flask-Login's ``login_user``."""
    now = utcnow()
    # Expired rows of everyone go here, where a login writes anyway (the index makes it cheap).
    session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    secret = secrets.token_urlsafe(32)
    named = device(user_agent or "")
    login = LoginSession(
        user_id=user.id,
        token_hash=_hash(secret),
        remember=remember,
        browser=named.browser,
        system=named.system,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
    )
    session.add(login)
    session.flush()
    user.login_id = f"{login.id}:{secret}"
    return login


def load(session: Session, login_id: str) -> User | None:
    """The active member a ``"<id>:<secret>"`` login belongs to, or None if it has ended."""
    ident, _, secret = (login_id or "").partition(":")
    # isascii: str.isdigit accepts "²" and other digits int() refuses.
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 18 and secret):
        return None
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == int(ident))
    ).first()
    if row is None:
        return None
    login, user = row
    now = utcnow()
    if (
        not hmac.compare_digest(login.token_hash, _hash(secret))
        or login.expires_at <= now
        or not user.active
    ):
        return None
    user.login_id = login_id
    g.login_session_id = login.id
    touch_every = timedelta(seconds=current_app.config["LOGIN_TOUCH_SECONDS"])
    if now - login.last_seen_at >= touch_every:
        g.login_touch = (login.id, now, None if login.remember else now + _lifetime(False))
    return user


def current_id() -> int | None:
    """The row id of this request's login, if it has one."""
    if not current_user.is_authenticated:  # also loads the login, if not yet done
        return None
    return g.get("login_session_id")


def end(session: Session, user: User, login_session_id: int) -> bool:
    """End one of ``user``'s sessions; False if there was no such session of theirs."""
    result = session.execute(
        delete(LoginSession).where(
            LoginSession.id == login_session_id, LoginSession.user_id == user.id
        )
    )
    return bool(result.rowcount)


def end_others(session: Session, user: User, keep: int | None) -> int:
    """End every session of ``user`` but ``keep``; how many ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    return session.execute(query).rowcount or 0


def end_all(session: Session, user: User) -> int:
    """End every session of ``user`` (a new password, a deactivation)."""
    if user.id is None:  # not stored yet, so logged in nowhere
        return 0
    return end_others(session, user, keep=None)


def active(session: Session, user: User) -> list[LoginSession]:
    """``user``'s sessions that have not expired, most recently used first."""
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def user_agent() -> str:
    """This request's User-Agent header, cut to what is looked at."""
    return request.headers.get("User-Agent", "")[:USER_AGENT_MAX]


def schedule_touch(app: Flask, response: Any) -> Any:
    """After-request hook: move ``last_seen_at`` once the response has gone, if it is due."""
    due = g.get("login_touch")
    if due is not None:
        response.call_on_close(partial(_touch, app, *due))
    return response


def _touch(app: Flask, login_session_id: int, now: datetime, expires: datetime | None) -> None:
    values: dict[str, Any] = {"last_seen_at": now}
    if expires is not None:
        values["expires_at"] = expires
    change = update(LoginSession).where(LoginSession.id == login_session_id).values(**values)
    small_write(app, lambda session: session.execute(change), f"session {login_session_id} as seen")
