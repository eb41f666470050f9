"""Unsubscribing from an e-mail's link: GET only asks, POST (RFC 8058 one-click) switches off."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest

from forum import accounts, unsubscribe
from forum.extensions import db
from forum.models import User
from tests import factories
from tests.test_translations import compiled_catalogues  # noqa: F401  (the English page)

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def csrf_on(app):  # type: ignore[no-untyped-def]
    """CSRF protection as in production (the test settings switch it off)."""
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def subscribed(member: User) -> User:
    member.email_level = "always"
    member.digest_period = "weekly"
    db.session.commit()
    return member


def link(user: User, scope: str) -> str:
    """The local path of ``user``'s unsubscribe link for ``scope``."""
    return urlsplit(unsubscribe.unsubscribe_url(user, scope)).path


def settings(user: User) -> tuple[str, str]:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found.email_level, found.digest_period


def test_get_asks_and_changes_nothing(client, subscribed) -> None:  # type: ignore[no-untyped-def]
    path = link(subscribed, unsubscribe.NOTIFICATIONS)
    for _ in range(2):  # a mail scanner, then the member
        response = client.get(path)
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Vil du afmelde e-mails om dine notifikationer" in html
    assert f'<form method="post" action="{path}"' in html
    assert '<a href="/indstillinger">Skift dine e-mail-indstillinger</a>' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert settings(subscribed) == ("always", "weekly")


def test_one_click_post_works_without_login_or_csrf_token(client, subscribed, csrf_on) -> None:  # type: ignore[no-untyped-def]
    # CSRF is really on: an ordinary form posted without its token is refused.
    assert client.post("/password/forgot", data={"email": subscribed.email}).status_code == 400
    response = client.post(link(subscribed, unsubscribe.NOTIFICATIONS), data=ONE_CLICK)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Du får ikke længere e-mails om dine notifikationer" in html
    assert '<a href="/indstillinger">Skift dine e-mail-indstillinger</a>' in html
    assert settings(subscribed) == ("never", "weekly")
    # Again (a client that retries): still 200, still off.
    assert client.post(link(subscribed, unsubscribe.NOTIFICATIONS)).status_code == 200
    assert settings(subscribed) == ("never", "weekly")


@pytest.mark.parametrize(
    ("scope", "after"),
    [(unsubscribe.NOTIFICATIONS, ("never", "weekly")), (unsubscribe.DIGEST, ("always", "never"))],
)
def test_a_link_switches_off_its_own_scope_only(client, subscribed, scope, after) -> None:  # type: ignore[no-untyped-def]
    assert client.post(link(subscribed, scope), data=ONE_CLICK).status_code == 200
    assert settings(subscribed) == after


def _other_scope(token: str) -> str:
    """The token with its payload changed to the other scope, the signature kept."""
    payload, signature = token.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["s"] = unsubscribe.DIGEST
    changed = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{changed.decode().rstrip('=')}.{signature}"


def _forged(app, user: User, how: str) -> str:  # type: ignore[no-untyped-def]
    token = unsubscribe.unsubscribe_token(user, unsubscribe.NOTIFICATIONS)
    if how == "nonsense":
        return "afmeld-mig-bare"
    if how == "signature altered":
        return token[:-1] + ("A" if token[-1] != "A" else "B")
    if how == "scope altered":
        return _other_scope(token)
    if how == "a password-reset token":
        return accounts.password_reset_token(user)
    if how == "signed with another key":
        key = app.config["SECRET_KEY"]
        app.config["SECRET_KEY"] = "en-helt-anden-nøgle"
        try:
            return unsubscribe.unsubscribe_token(user, unsubscribe.NOTIFICATIONS)
        finally:
            app.config["SECRET_KEY"] = key
    if how == "member deleted":
        gone = factories.user(db.session, name="Slettet Medlem")
        token = unsubscribe.unsubscribe_token(gone, unsubscribe.NOTIFICATIONS)
        db.session.delete(gone)
        db.session.commit()
        return token
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "nonsense",
        "signature altered",
        "scope altered",
        "a password-reset token",
        "signed with another key",
        "member deleted",
    ],
)
def test_a_forged_or_altered_link_is_not_found(app, client, subscribed, how) -> None:  # type: ignore[no-untyped-def]
    token = _forged(app, subscribed, how)
    for response in (client.get(f"/afmeld/{token}"), client.post(f"/afmeld/{token}")):
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert "Linket til at afmelde e-mails er ugyldigt." in html
        assert "Traceback" not in html
    assert settings(subscribed) == ("always", "weekly")


def test_a_link_is_not_a_login(client, subscribed) -> None:  # type: ignore[no-untyped-def]
    path = link(subscribed, unsubscribe.DIGEST)
    client.get(path)
    client.post(path, data=ONE_CLICK)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    response = client.get("/indstillinger")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_an_unsubscribed_member_is_told_so(client, subscribed) -> None:  # type: ignore[no-untyped-def]
    subscribed.digest_period = "never"
    db.session.commit()
    html = client.get(link(subscribed, unsubscribe.DIGEST)).get_data(as_text=True)
    assert "Du har allerede afmeldt e-mailen med overblikket" in html
    assert "<form" not in html.split("<main", 1)[1]


@pytest.mark.usefixtures("compiled_catalogues")
def test_the_page_speaks_the_members_language(client, subscribed) -> None:  # type: ignore[no-untyped-def]
    subscribed.locale = "en"
    db.session.commit()
    html = client.get(link(subscribed, unsubscribe.NOTIFICATIONS)).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Do you want to unsubscribe from emails about your notifications" in html


def test_the_pages_read_one_member(client, subscribed, count_queries) -> None:  # type: ignore[no-untyped-def]
    path = link(subscribed, unsubscribe.NOTIFICATIONS)
    with count_queries() as asking:
        client.get(path)
    with count_queries() as applying:
        client.post(path, data=ONE_CLICK)
    assert asking.count == 1  # the member, by id
    assert applying.count <= 3  # the member, the update, the member again after the commit
