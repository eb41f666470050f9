"""Limits on login and password-reset attempts that hold across every worker and node.

Three kinds of bucket, each counted in a moving window:

- per account (the e-mail typed, member or not, so the answer tells nothing): what stops
  guessing one member's password;
- per address, failures only and high: a whole municipality may sit behind one address (IPv6
  addresses count per /64, the block one household or office gets);
- per known device: a browser that has logged in to the account before carries a signed
  device cookie, and its attempts count in its own bucket instead of the two above, so that
  someone elsewhere hammering the account or the office's address cannot lock its owner out
  (OWASP's "device cookies").

Where the counts live: the database by default (one row per counted attempt), so several
gunicorn workers on one machine share them with nothing else to run; Redis when
``RATELIMIT_STORAGE_URI`` is a ``redis://`` URI, through the ``limits`` library's moving
window. Should Redis be unreachable, counting falls back to the database (logged), so logging
in never depends on it. Limits are written as ``limits`` parses them: ``"5 per 15 minutes"``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from datetime import timedelta
from typing import Protocol

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse, storage, strategies
from redis.exceptions import RedisError
from sqlalchemy import Connection, delete, func, insert, select, text

from forum.extensions import db
from forum.models import ThrottleHit
from forum.timeutil import utcnow

log = logging.getLogger(__name__)

LIMIT_SETTINGS = (
    "LOGIN_LIMIT_PER_ACCOUNT",
    "LOGIN_LIMIT_PER_IP",
    "RESET_LIMIT_PER_ACCOUNT",
    "RESET_LIMIT_PER_IP",
)
DEVICE_COOKIE = "forum_device"
DEVICE_DAYS = 365


class Counter(Protocol):
    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        """Count one attempt if it is within the limit; False (nothing counted) if not."""

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        """Whether one more attempt would be within the limit (counts nothing)."""

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        """Forget the bucket's attempts (a successful login, a new password)."""


class DatabaseCounter:
    """Attempts as rows of ``throttle_hits``, each counted in its own short transaction.

    Counting one bucket is serialised (SQLite: the whole database is locked for writing first;
    PostgreSQL: a transaction-scoped advisory lock on the bucket), so of any number of attempts
    at once, in any number of processes, exactly ``limit`` get through; a refused attempt adds
    no row, so a bucket never holds more than its limit.
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
            else:  # a write first: SQLite's write lock, held to the end of the transaction
                connection.execute(
                    delete(ThrottleHit).where(ThrottleHit.created_at < now - self.horizon)
                )
            if self._count(connection, bucket, limit) >= limit.amount:
                return False
            connection.execute(insert(ThrottleHit).values(bucket=bucket, created_at=now))
            if connection.dialect.name == "postgresql":
                connection.execute(
                    delete(ThrottleHit).where(ThrottleHit.created_at < now - self.horizon)
                )
        return True

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
            storage.storage_from_string(uri, key_prefix=prefix, socket_timeout=2)
        )

    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        return self.window.hit(limit, bucket)

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        return self.window.test(limit, bucket)

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        self.window.clear(limit, bucket)


class FallbackCounter:
    """Redis first; the database while Redis does not answer (each failure logged)."""

    def __init__(self, primary: RedisCounter, fallback: DatabaseCounter) -> None:
        self.primary, self.fallback = primary, fallback

    def hit(self, bucket: str, limit: RateLimitItem) -> bool:
        try:
            return self.primary.hit(bucket, limit)
        except RedisError as exc:
            log.warning("login limits: Redis unreachable (%s); counting in the database", exc)
            return self.fallback.hit(bucket, limit)

    def allowed(self, bucket: str, limit: RateLimitItem) -> bool:
        try:
            return self.primary.allowed(bucket, limit)
        except RedisError as exc:
            log.warning("login limits: Redis unreachable (%s); counting in the database", exc)
            return self.fallback.allowed(bucket, limit)

    def clear(self, bucket: str, limit: RateLimitItem) -> None:
        self.fallback.clear(bucket, limit)
        try:
            self.primary.clear(bucket, limit)
        except RedisError as exc:
            log.warning("login limits: Redis unreachable (%s); cleared in the database", exc)


class Throttle:
    """The app's limits and where they are counted (``app.extensions["forum.throttle"]``)."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.enabled = bool(config["RATELIMIT_ENABLED"])
        self.limits = {name: parse(config[name]) for name in LIMIT_SETTINGS}
        self.devices = URLSafeTimedSerializer(config["SECRET_KEY"], salt="forum.device")
        horizon = max(timedelta(seconds=item.get_expiry()) for item in self.limits.values())
        uri = config["RATELIMIT_STORAGE_URI"] or "database"
        self.counter: Counter
        if uri.startswith(("redis://", "rediss://", "redis+unix://")):
            redis = RedisCounter(uri, config["RATELIMIT_KEY_PREFIX"])
            self.counter = FallbackCounter(redis, DatabaseCounter(horizon))
        elif uri == "database":
            self.counter = DatabaseCounter(horizon)
        else:
            raise ValueError(
                f"RATELIMIT_STORAGE_URI must be 'database' or a redis:// URI, not {uri!r}"
            )

    # Logging in ---------------------------------------------------------------------------

    def login_attempt(self, email: str, address: str, device: str | None) -> bool:
        """Count a login attempt for ``email``; False if it must be refused unchecked.

        Counted before the password is checked (a successful login clears it), so parallel
        guesses cannot outrun the limit. From a device known to the account only the device's
        own bucket counts; otherwise the address (by its failures) and the account.
        """
        if not self.enabled:
            return True
        per_account = self.limits["LOGIN_LIMIT_PER_ACCOUNT"]
        known = self._device_id(device, email)
        if known is not None:
            return self.counter.hit(f"login-device:{known}", per_account)
        if not self.counter.allowed(_address_bucket("login-ip", address), self._per_ip):
            return False
        return self.counter.hit(_account_bucket("login-account", email), per_account)

    def login_failed(self, address: str, device: str | None, email: str) -> None:
        """A wrong password: the address counts it, unless it came from a known device."""
        if self.enabled and self._device_id(device, email) is None:
            self.counter.hit(_address_bucket("login-ip", address), self._per_ip)

    def unlock(self, email: str, device: str | None = None) -> None:
        """Forget an account's login attempts (it logged in, or chose a new password)."""
        if not self.enabled:
            return
        per_account = self.limits["LOGIN_LIMIT_PER_ACCOUNT"]
        self.counter.clear(_account_bucket("login-account", email), per_account)
        known = self._device_id(device, email)
        if known is not None:
            self.counter.clear(f"login-device:{known}", per_account)

    def device_cookie(self, email: str, device: str | None) -> str:
        """The signed device cookie for this browser and account (kept if it has one)."""
        known = self._device_id(device, email) or secrets.token_hex(16)
        return self.devices.dumps({"account": _account_key(email), "device": known})

    def _device_id(self, device: str | None, email: str) -> str | None:
        if not device:
            return None
        try:
            data = self.devices.loads(device, max_age=DEVICE_DAYS * 24 * 3600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("account") != _account_key(email):
            return None
        known = data.get("device")
        return known if isinstance(known, str) and known.isalnum() else None

    @property
    def _per_ip(self) -> RateLimitItem:
        return self.limits["LOGIN_LIMIT_PER_IP"]

    # Asking for a new password ------------------------------------------------------------

    def reset_request(self, email: str, address: str) -> bool:
        """Count a request for a reset link; False if over the address's or account's limit.

        Separate from the login limits: a locked account can still get a new password.
        """
        if not self.enabled:
            return True
        if not self.counter.hit(
            _address_bucket("reset-ip", address), self.limits["RESET_LIMIT_PER_IP"]
        ):
            return False
        return self.counter.hit(
            _account_bucket("reset-account", email), self.limits["RESET_LIMIT_PER_ACCOUNT"]
        )


def _account_key(email: str) -> str:
    # E-mail addresses are hashed: the table says nothing about who tried.
    return hashlib.sha256(email.encode()).hexdigest()[:40]


def _account_bucket(kind: str, email: str) -> str:
    return f"{kind}:{_account_key(email)}"


def _address_bucket(kind: str, address: str) -> str:
    """IPv4 per address; IPv6 per /64, which one office or household gets whole."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"{kind}:{address[:60]}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return f"{kind}:{parsed.ipv4_mapped}"
        return f"{kind}:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"{kind}:{parsed}"


def init_app(app: Flask) -> None:
    """Read the limits and choose where they are counted."""
    app.extensions["forum.throttle"] = Throttle(app)


def current() -> Throttle:
    """The running app's limits."""
    throttle: Throttle = current_app.extensions["forum.throttle"]
    return throttle
