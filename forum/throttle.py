"""Limits on login and password-reset attempts that hold across every worker and node.

Counted per account (the e-mail typed, member or not, so the answer tells nothing) and per
address. The account limit is what stops guessing one member's password; the address limit is
high, because a whole municipality may sit behind one address.

Where the counts live: the database by default (one row per attempt, kept while it can count),
so several gunicorn workers on one machine share them with nothing else to run; Redis when
``RATELIMIT_STORAGE_URI`` is a ``redis://`` URI, through the ``limits`` library's moving window.
Limits are written as ``limits`` parses them: ``"5 per 15 minutes"``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Protocol

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage, strategies
from sqlalchemy import Connection, delete, func, insert, select, text

from forum.extensions import db
from forum.models import ThrottleHit
from forum.timeutil import utcnow

LIMIT_SETTINGS = (
    "LOGIN_LIMIT_PER_ACCOUNT",
    "LOGIN_LIMIT_PER_IP",
    "RESET_LIMIT_PER_ACCOUNT",
    "RESET_LIMIT_PER_IP",
)


class Counter(Protocol):
    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        """Count one attempt; False if it is over the limit (the attempt still counts)."""

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        """Whether one more attempt would be within the limit (counts nothing)."""

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        """Forget the bucket's attempts (a successful login, a new password)."""


class DatabaseCounter:
    """Attempts as rows of ``throttle_hits``, each counted in its own short transaction.

    Counting one bucket is serialised (SQLite: the row's INSERT takes the write lock first;
    PostgreSQL: a transaction-scoped advisory lock on the bucket), so of any number of
    attempts at once, in any number of processes, exactly ``limit`` get through.
    """

    def __init__(self, horizon: timedelta) -> None:
        self.horizon = horizon  # the longest window configured: older rows can go

    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        now = utcnow()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:bucket))"), {"bucket": bucket}
                )
            connection.execute(insert(ThrottleHit).values(bucket=bucket, created_at=now))
            counted = self._count(connection, bucket, limit)
            connection.execute(
                delete(ThrottleHit).where(ThrottleHit.created_at < now - self.horizon)
            )
        return counted <= limit.amount

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        with db.engine.connect() as connection:
            return self._count(connection, bucket, limit) < limit.amount

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(ThrottleHit).where(ThrottleHit.bucket == bucket))

    @staticmethod
    def _count(connection: Connection, bucket: str, limit: RateLimitItem) -> int:
        since = utcnow() - timedelta(seconds=limit.get_expiry())
        return connection.scalar(
            select(func.count())
            .select_from(ThrottleHit)
            .where(ThrottleHit.bucket == bucket, ThrottleHit.created_at > since)
        )


class RedisCounter:
    """The same counts in Redis, as a moving window (each check is one atomic script)."""

    def __init__(self, uri: str, prefix: str) -> None:
        self.window = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(uri, key_prefix=prefix)
        )

    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        return self.window.hit(limit, bucket)

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        return self.window.test(limit, bucket)

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        self.window.clear(limit, bucket)


class Throttle:
    """The app's limits and where they are counted (``app.extensions["forum.throttle"]``)."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.enabled = bool(config["RATELIMIT_ENABLED"])
        self.limits = {name: parse(config[name]) for name in LIMIT_SETTINGS}
        uri = config["RATELIMIT_STORAGE_URI"] or "database"
        self.counter: Counter
        if uri.startswith(("redis://", "rediss://", "redis+unix://")):
            self.counter = RedisCounter(uri, config["RATELIMIT_KEY_PREFIX"])
        elif uri == "database":
            horizon = max(timedelta(seconds=item.get_expiry()) for item in self.limits.values())
            self.counter = DatabaseCounter(horizon)
        else:
            raise ValueError(
                f"RATELIMIT_STORAGE_URI must be 'database' or a redis:// URI, not {uri!r}"
            )

    def _bucket(self, kind: str, value: str) -> str:
        # E-mail addresses are hashed: the table says nothing about who tried.
        return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"

    # Logging in ---------------------------------------------------------------------------

    def login_attempt(self, email: str, address: str) -> bool:
        """Count a login attempt for ``email``; False if the account or the address is locked.

        The account's attempt is counted before the password is checked (and a successful login
        clears it), so parallel guesses cannot outrun the limit; the address counts failures only,
        so a municipality logging in at a meeting's start does not lock itself out.
        """
        if not self.enabled:
            return True
        if not self.counter.allowed(
            self._ip("login-ip", address), self.limits["LOGIN_LIMIT_PER_IP"]
        ):
            return False
        return self.counter.hit(
            self._bucket("login-account", email), self.limits["LOGIN_LIMIT_PER_ACCOUNT"]
        )

    def login_failed(self, address: str) -> None:
        if self.enabled:
            self.counter.hit(self._ip("login-ip", address), self.limits["LOGIN_LIMIT_PER_IP"])

    def login_succeeded(self, email: str) -> None:
        self.unlock(email)

    def unlock(self, email: str) -> None:
        """Forget an account's login attempts (it logged in, or chose a new password)."""
        if self.enabled:
            self.counter.clear(
                self._bucket("login-account", email), self.limits["LOGIN_LIMIT_PER_ACCOUNT"]
            )

    # Asking for a new password ------------------------------------------------------------

    def reset_request(self, email: str, address: str) -> bool:
        """Count a request for a reset link; False if over the account's or address's limit.

        Separate from the login limits: a locked account can still get a new password.
        """
        if not self.enabled:
            return True
        by_ip = self.counter.hit(self._ip("reset-ip", address), self.limits["RESET_LIMIT_PER_IP"])
        by_account = self.counter.hit(
            self._bucket("reset-account", email), self.limits["RESET_LIMIT_PER_ACCOUNT"]
        )
        return by_ip and by_account

    @staticmethod
    def _ip(kind: str, address: str) -> str:
        return f"{kind}:{address[:60]}"


def init_app(app: Flask) -> None:
    app.extensions["forum.throttle"] = Throttle(app)


def current() -> Throttle:
    throttle: Throttle = current_app.extensions["forum.throttle"]
    return throttle
