"""The counters behind the login limits: exact under parallel attempts, bounded, pruned."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from limits import parse
from sqlalchemy import func, select

from forum import throttle
from forum.extensions import db
from forum.models import ThrottleHit
from forum.timeutil import utcnow

LIMIT = parse("5 per 15 minutes")


@pytest.fixture
def counter(make_app):  # type: ignore[no-untyped-def]
    other = make_app(RATELIMIT_ENABLED=True)
    with other.app_context():
        yield other, throttle.Throttle(other).counter


def test_parallel_attempts_cannot_outrun_the_limit(counter):
    """Twenty guesses at once in twenty threads (each its own connection): five get through."""
    app, count = counter
    results: list[bool] = []
    start = threading.Barrier(20)

    def guess() -> None:
        with app.app_context():
            start.wait(timeout=10)
            results.append(count.hit("login-account:parallel", LIMIT))
            db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 20
    assert results.count(True) == 5


def test_refused_attempts_add_no_rows(counter):
    _app, count = counter
    answers = [count.hit("login-account:busy", LIMIT) for _ in range(50)]
    assert answers == [True] * 5 + [False] * 45
    assert db.session.scalar(select(func.count()).select_from(ThrottleHit)) == 5
    assert not count.allowed("login-account:busy", LIMIT)
    count.clear("login-account:busy", LIMIT)
    assert count.allowed("login-account:busy", LIMIT)


def test_attempts_outside_the_window_no_longer_count(counter):
    _app, count = counter
    old = utcnow() - timedelta(minutes=16)
    db.session.add_all(ThrottleHit(bucket="login-ip:10.0.0.1", created_at=old) for _ in range(5))
    db.session.commit()
    assert count.allowed("login-ip:10.0.0.1", LIMIT)


def test_old_attempts_are_pruned(counter):
    _app, count = counter
    db.session.add(ThrottleHit(bucket="login-ip:1.2.3.4", created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    count.hit("login-ip:5.6.7.8", LIMIT)
    assert db.session.scalars(select(ThrottleHit.bucket)).all() == ["login-ip:5.6.7.8"]


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("192.0.2.7", "login-ip:192.0.2.7"),
        ("::ffff:192.0.2.7", "login-ip:192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "login-ip:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "login-ip:2001:db8:1:2::/64"),
        ("", "login-ip:"),
        ("unix-socket", "login-ip:unix-socket"),
    ],
)
def test_addresses_count_per_ipv4_address_and_per_ipv6_64(address, bucket):
    assert throttle._address_bucket("login-ip", address) == bucket


def test_an_unknown_storage_is_refused_at_start(make_app):
    with pytest.raises(ValueError, match="RATELIMIT_STORAGE_URI"):
        make_app(RATELIMIT_STORAGE_URI="memory://")


def test_a_device_cookie_names_one_account_and_survives_a_new_login(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    limits = throttle.Throttle(app)
    cookie = limits.device_cookie("a@kommune.dk", None)
    again = limits.device_cookie("a@kommune.dk", cookie)
    assert limits._device_id(again, "a@kommune.dk") == limits._device_id(cookie, "a@kommune.dk")
    assert limits._device_id(cookie, "b@kommune.dk") is None
    other_key = throttle.Throttle(make_app(SECRET_KEY="another"))
    assert other_key._device_id(cookie, "a@kommune.dk") is None
