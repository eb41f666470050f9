"""Login sessions that end for real, and login limits that hold across workers."""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum import accounts, logins, throttle
from forum.extensions import db
from forum.models import LoginSession, MailMessage, ThrottleHit
from forum.timeutil import utcnow
from tests import factories
from tests.blueprints.test_auth import NEW_PASSWORD, location, mailed_link

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _login(client, user, password=factories.PASSWORD, remember=False, agent=FIREFOX):  # type: ignore[no-untyped-def]
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, headers={"User-Agent": agent})


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/").status_code == 200


def _copy(cookie_names, source, target) -> None:  # type: ignore[no-untyped-def]
    for name in cookie_names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def _sessions(user) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).where(LoginSession.user_id == user.id))


# -- sessions --------------------------------------------------------------------------------


def test_logout_ends_a_copied_session_cookie(app, member):
    browser, thief = app.test_client(), app.test_client()
    db.session.commit()
    _login(browser, member)
    _copy(["session"], browser, thief)
    assert _logged_in(thief)

    browser.post("/logout")

    assert location(thief.get("/")).startswith("/login")
    assert _sessions(member) == 0


def test_logout_ends_a_copied_remember_me_cookie(app, member):
    browser, thief = app.test_client(), app.test_client()
    db.session.commit()
    _login(browser, member, remember=True)
    _copy(["remember_token"], browser, thief)  # no session cookie: the remember cookie alone
    assert _logged_in(thief)
    thief.delete_cookie("session")

    browser.post("/logout")

    assert location(thief.get("/")).startswith("/login")


def test_a_remembered_login_ends_after_its_duration_however_it_is_used(app, member):
    client = app.test_client()
    db.session.commit()
    _login(client, member, remember=True)
    assert _logged_in(client)
    # Fourteen days on: the row has expired, even though the cookies are still sent.
    db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert location(client.get("/")).startswith("/login")


def test_an_ordinary_login_ends_after_the_idle_lifetime_and_slides_with_use(make_app, member):
    other = make_app(LOGIN_TOUCH_SECONDS=0)
    client = other.test_client()
    _login(client, member)
    row = db.session.scalar(select(LoginSession))
    assert row.expires_at - row.created_at == timedelta(hours=12)
    long_ago = utcnow() - timedelta(hours=11)
    db.session.execute(
        update(LoginSession).values(
            last_seen_at=long_ago, expires_at=long_ago + timedelta(hours=12)
        )
    )
    db.session.commit()

    assert client.get("/").status_code == 200  # used within the lifetime: it slides on

    db.session.expire_all()
    row = db.session.scalar(select(LoginSession))
    assert row.expires_at > utcnow() + timedelta(hours=11, minutes=59)
    db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert location(client.get("/")).startswith("/login")


def test_a_tampered_or_odd_login_id_is_refused_without_an_error(app, member):
    client = app.test_client()
    db.session.commit()
    _login(client, member)
    login_id = db.session.scalar(select(LoginSession.id))
    for forged in (f"{login_id}:wrong-secret", f"{login_id}", "²:x", "1.1", ":", "9" * 40 + ":x"):
        assert logins.load(db.session, forged) is None, forged


def test_seeing_a_login_in_use_writes_at_most_one_small_update(app, member, count_queries):
    app.config["LOGIN_TOUCH_SECONDS"] = 0
    client = app.test_client()
    db.session.commit()
    _login(client, member)
    with count_queries() as counter:
        assert client.get("/latest").status_code == 200
    writes = [s for s in counter.statements if s.lstrip().split(None, 1)[0].upper() == "UPDATE"]
    assert len(writes) == 1
    assert "login_sessions" in writes[0]
    assert not [
        s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "DELETE"))
    ]


def test_settings_list_the_members_sessions_and_end_the_others(app, member, other_member):
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    db.session.commit()
    _login(laptop, member, agent=FIREFOX)
    _login(phone, member, agent=IPHONE, remember=True)
    _login(colleague, other_member)

    html = laptop.get("/indstillinger").get_data(as_text=True)
    assert "Firefox på Windows" in html
    assert "Mobile Safari på iOS" in html
    assert html.count("Denne enhed") == 1
    assert "husket" in html

    response = laptop.post("/indstillinger/sessioner/log-ud-andre")
    assert response.headers["Location"].endswith("/indstillinger#sessioner")
    assert "Du er logget ud alle andre steder (1)." in laptop.get("/indstillinger").get_data(True)
    assert _logged_in(laptop)
    assert location(phone.get("/")).startswith("/login")
    assert _logged_in(colleague)  # another member's sessions are theirs


def test_a_member_can_end_one_session_but_not_someone_elses(app, member, other_member):
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    db.session.commit()
    _login(laptop, member)
    _login(phone, member, agent=IPHONE)
    _login(colleague, other_member)
    rows = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).all()
    phone_row, colleague_row = rows[1], rows[2]

    assert laptop.post(f"/indstillinger/sessioner/{colleague_row.id}/log-ud").status_code == 404
    assert _logged_in(colleague)

    laptop.post(f"/indstillinger/sessioner/{phone_row.id}/log-ud")
    assert location(phone.get("/")).startswith("/login")
    assert _logged_in(laptop)


def test_a_password_reset_ends_every_session(app, member, mailbox):
    laptop, phone = app.test_client(), app.test_client()
    db.session.commit()
    _login(laptop, member, remember=True)
    phone.post("/password/forgot", data={"email": member.email})
    link = mailed_link(mailbox, member.email, "/password/reset/")
    phone.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert location(laptop.get("/")).startswith("/login")
    assert _sessions(member) == 0


def test_logging_in_as_someone_else_ends_the_login_the_browser_had(app, admin, member):
    browser, copy = app.test_client(), app.test_client()
    db.session.commit()
    _login(browser, admin)
    _copy(["session"], browser, copy)
    token = factories.facilitator_invitation(db.session, admin)
    db.session.commit()
    data = {"display_name": "Lise Lund", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = browser.post(f"/invitation/{token}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert location(response) == "/"

    assert location(copy.get("/")).startswith("/login")  # the admin's login ended with it
    assert _sessions(admin) == 0


def test_the_old_cookie_format_logs_in_nobody(app, member):
    db.session.commit()
    assert logins.load(db.session, f"{member.id}.1") is None


# -- login limits ----------------------------------------------------------------------------


@pytest.fixture
def limited(make_app):  # type: ignore[no-untyped-def]
    """Two apps on one database, as two gunicorn workers, with the limits switched on."""

    def make(**settings):  # type: ignore[no-untyped-def]
        settings.setdefault("RATELIMIT_ENABLED", True)
        settings.setdefault("RATELIMIT_KEY_PREFIX", f"test-{uuid.uuid4().hex}")
        return make_app(**settings), make_app(**settings)

    return make


def _wrong(client, user):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": user.email, "password": "forkert-adgangskode"})


def _check_account_limit_across_workers(first, second, member, other_member) -> None:  # type: ignore[no-untyped-def]
    a, b = first.test_client(), second.test_client()
    for client in (a, b, a, b):
        assert _wrong(client, member).status_code == 200
    assert _wrong(a, member).status_code == 200  # the fifth
    response = _login(b, member)  # the right password, now locked, in the other worker
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "For mange forsøg på at logge ind" in html
    assert f'value="{member.email}"' in html  # the form is kept
    assert _login(a, other_member).status_code == 302  # only that account is locked


def test_the_account_limit_holds_across_workers(limited, member, other_member):
    first, second = limited()
    _check_account_limit_across_workers(first, second, member, other_member)


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _redis_available(), reason=f"no Redis server at {REDIS_URL}")
def test_the_account_limit_holds_across_workers_in_redis(limited, member, other_member):
    first, second = limited(RATELIMIT_STORAGE_URI=REDIS_URL)
    assert isinstance(throttle.Throttle(first).counter, throttle.FallbackCounter)
    _check_account_limit_across_workers(first, second, member, other_member)
    assert db.session.scalar(select(func.count()).select_from(ThrottleHit)) == 0


def test_case_and_spaces_in_the_e_mail_do_not_make_a_new_account_count(limited, member):
    first, _ = limited(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    client = first.test_client()
    for typed in (member.email.upper(), f"  {member.email} "):
        client.post("/login", data={"email": typed, "password": "forkert-adgangskode"})
    assert _login(client, member).status_code == 429


def test_a_successful_login_clears_the_accounts_failures(limited, member):
    first, _ = limited(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    client = first.test_client()
    for _ in range(2):
        _wrong(client, member)
    assert _login(client, member).status_code == 302
    client.post("/logout")
    for _ in range(2):
        assert _wrong(client, member).status_code == 200
    assert _login(client, member).status_code == 302


def test_the_address_limit_counts_failures_and_spares_a_shared_office(
    limited, member, other_member, facilitator
):
    first, _ = limited(LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    client = first.test_client()
    for _ in range(3):  # a whole municipality logs in behind one address: no lock
        for user in (member, other_member, facilitator):
            assert _login(client, user).status_code == 302
            client.post("/logout")
    stranger = first.test_client()  # the same address, a browser that never logged in here
    for user in (member, other_member, facilitator):  # three failures, one per account
        assert _wrong(stranger, user).status_code == 200
    assert _login(stranger, member).status_code == 429
    # Another address is not affected.
    other = first.test_client()
    response = other.post(
        "/login",
        data={"email": member.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_a_locked_account_can_still_reset_its_password(limited, member, mailbox):
    first, _ = limited()
    first.config.update(mailbox.settings)
    client = first.test_client()
    for _ in range(5):
        _wrong(client, member)
    assert _login(client, member).status_code == 429
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)

    assert client.post("/password/forgot", data={"email": member.email}).status_code == 302
    link = mailed_link(mailbox, member.email, "/password/reset/")
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert _login(client, member, password=NEW_PASSWORD).status_code == 302


def test_reset_links_are_limited_per_account(limited, member, mailbox):
    first, second = limited(RESET_LIMIT_PER_ACCOUNT="2 per hour")
    for app in (first, second):
        app.config.update(mailbox.settings)
    answers = [
        app.test_client().post("/password/forgot", data={"email": member.email}).status_code
        for app in (first, second)
    ]
    assert answers == [302, 302]
    queued = db.session.scalar(select(func.count()).select_from(MailMessage))
    response = first.test_client().post("/password/forgot", data={"email": member.email})
    assert response.status_code == 429
    assert "Der er bedt om mange links på kort tid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == queued


def test_the_limits_are_off_when_switched_off(make_app, member):
    other = make_app(RATELIMIT_ENABLED=False, LOGIN_LIMIT_PER_ACCOUNT="1 per hour")
    client = other.test_client()
    for _ in range(3):
        _wrong(client, member)
    assert _login(client, member).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ThrottleHit)) == 0


def test_e_mail_addresses_are_not_stored_in_the_counts(limited, member):
    first, _ = limited()
    _wrong(first.test_client(), member)
    buckets = db.session.scalars(select(ThrottleHit.bucket)).all()
    assert buckets and not any(member.email in bucket for bucket in buckets)
    assert all(re.fullmatch(r"login-(account:[0-9a-f]{40}|ip:[0-9.]+)", b) for b in buckets)
    assert accounts.normalise_email(member.email) == member.email


def test_a_known_device_gets_in_while_others_lock_the_account_and_the_address(limited, member):
    first, second = limited(LOGIN_LIMIT_PER_IP="5 per 15 minutes")
    laptop = first.test_client()
    assert _login(laptop, member).status_code == 302  # this browser is now known
    assert laptop.get_cookie(throttle.DEVICE_COOKIE).http_only
    laptop.post("/logout")
    attacker = second.test_client()  # behind the same address, guessing
    for _ in range(10):
        _wrong(attacker, member)
    assert _login(attacker, member).status_code == 429

    assert _login(laptop, member).status_code == 302


def test_a_known_device_has_its_own_limit(limited, member):
    first, _ = limited()
    laptop = first.test_client()
    _login(laptop, member)
    laptop.post("/logout")
    for _ in range(5):
        assert _wrong(laptop, member).status_code == 200
    assert _login(laptop, member).status_code == 429
    assert _login(first.test_client(), member).status_code == 302  # the account is not locked


def test_a_device_cookie_is_only_good_for_its_own_account(limited, member, other_member):
    first, _ = limited()
    laptop = first.test_client()
    _login(laptop, member)
    laptop.post("/logout")
    for _ in range(5):
        _wrong(laptop, other_member)
    assert _login(laptop, other_member).status_code == 429


def test_a_forged_device_cookie_counts_as_none(limited, member):
    first, _ = limited()
    client = first.test_client()
    client.set_cookie(throttle.DEVICE_COOKIE, "forged.value.here")
    for _ in range(5):
        _wrong(client, member)
    assert _login(client, member).status_code == 429


def test_logging_in_works_while_redis_is_down(limited, member, caplog):
    first, second = limited(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    for _ in range(3):
        assert _wrong(first.test_client(), member).status_code == 200
    assert _login(first.test_client(), member).status_code == 302
    assert "Redis unreachable" in caplog.text
    # Counted in the database meanwhile, so the limit still holds across workers.
    for app in (first, second, first, second, first):
        _wrong(app.test_client(), member)
    assert _login(second.test_client(), member).status_code == 429
