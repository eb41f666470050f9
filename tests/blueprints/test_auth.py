"""Logging in and out, the closed forum, invitations, password resets, headers, CSRF, limits."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from forum import accounts
from forum.extensions import db
from forum.models import Invitation, MailMessage, Role, User
from tests import factories

NEW_PASSWORD = "et-helt-nyt-kodeord"


def location(response) -> str:  # type: ignore[no-untyped-def]
    """The redirect target as a local path (with its query string)."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def mailed_link(mailbox, recipient: str, path: str) -> str:  # type: ignore[no-untyped-def]
    """The local path of the one link to ``path`` in the last mail the SMTP server got."""
    messages = mailbox.to(recipient)
    assert messages, f"no mail to {recipient}"
    body = messages[-1].get_body(("plain",)).get_content()
    links = re.findall(rf"https?://[^\s]+{re.escape(path)}[^\s]+", body)
    assert len(links) == 1, body
    return urlsplit(links[0]).path


# -- logging in ------------------------------------------------------------------------------


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Log ind</h1>" in html
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'href="/password/forgot"' in html


def test_login_success_redirects_to_front_page(client, auth, member):
    response = auth.login(member)
    assert response.status_code == 302
    assert location(response) == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Mette Kjær" in page.get_data(as_text=True)
    db.session.refresh(member)
    assert member.last_seen_at is not None


def test_login_email_is_case_insensitive(client, member):
    db.session.commit()
    response = client.post(
        "/login", data={"email": member.email.upper(), "password": factories.PASSWORD}
    )
    assert location(response) == "/"


def test_wrong_password_shows_danish_error_and_keeps_email(client, auth, member):
    response = auth.login(member, password="forkert-adgangskode")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Forkert e-mail eller adgangskode." in html
    assert f'value="{member.email}"' in html
    assert "forkert-adgangskode" not in html
    assert client.get("/").status_code == 302


def test_unknown_email_gives_the_same_error(client, member):
    response = client.post(
        "/login", data={"email": "ukendt@kommune.example", "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    assert "Forkert e-mail eller adgangskode." in response.get_data(as_text=True)


def test_inactive_member_cannot_log_in(client, auth):
    user = factories.user(db.session, active=False)
    response = auth.login(user)
    assert response.status_code == 200
    assert "Forkert e-mail eller adgangskode." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "data",
    [{"email": "", "password": "x"}, {"email": "a@b.dk", "password": ""}, {}],
)
def test_login_requires_both_fields(client, data):
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert "Feltet skal udfyldes." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/region/midtjylland", "/region/midtjylland"),
        ("/tema/barnets-lov?region=syddanmark", "/tema/barnets-lov?region=syddanmark"),
        ("https://evil.example", "/"),
        ("https://evil.example/region/midtjylland", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("region/midtjylland", "/"),
        ("", "/"),
    ],
)
def test_next_is_followed_only_for_local_paths(client, member, next_url, expected):
    db.session.commit()
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": member.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logged_in_member_opening_login_is_sent_on(client, auth, member):
    auth.login(member)
    response = client.get("/login", query_string={"next": "//evil.example"})
    assert location(response) == "/"
    response = client.get("/login", query_string={"next": "/latest"})
    assert location(response) == "/latest"


def test_login_required_then_back_to_the_page(client, member):
    db.session.commit()
    response = client.get("/region/midtjylland")
    assert response.status_code == 302
    target = location(response)
    assert target.startswith("/login?next=")
    response = client.post(target, data={"email": member.email, "password": factories.PASSWORD})
    assert location(response) == "/region/midtjylland"


# -- a closed forum --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/"),
        ("get", "/latest"),
        ("get", "/region/midtjylland"),
        ("get", "/region/landsdaekkende?tema=barnets-lov"),
        ("get", "/tema/netvaerksanbringelser"),
        ("get", "/ny"),
        ("get", "/t/emne/1"),
        ("get", "/t/emne/1/2"),
        ("get", "/p/1/historik"),
        ("get", "/p/1/rediger"),
        ("get", "/u/mette-kjaer"),
        ("get", "/indstillinger"),
        ("get", "/admin/"),
        ("get", "/admin/invitationer"),
        ("get", "/admin/medlemmer"),
        ("get", "/admin/temaer"),
        ("get", "/admin/temaer/ny"),
        ("get", "/admin/temaer/1"),
        ("get", "/admin/kommuner"),
        ("get", "/admin/kommuner/ny"),
        ("get", "/admin/kommuner/1"),
        ("get", "/admin/slettet"),
        ("post", "/ny"),
        ("post", "/t/1/svar"),
        ("post", "/p/1/rediger"),
        ("post", "/p/1/slet"),
        ("post", "/p/1/gendan"),
        ("post", "/preview"),
        ("post", "/t/1/svaret"),
        ("post", "/t/1/moderer/pin"),
        ("post", "/indstillinger"),
        ("post", "/admin/invitationer"),
        ("post", "/admin/invitationer/1/tilbagekald"),
        ("post", "/admin/medlemmer/1/deaktiver"),
        ("post", "/admin/temaer/ny"),
        ("post", "/admin/kommuner/ny"),
        ("post", "/logout"),
    ],
)
def test_every_page_needs_login(client, member, method, url):
    factories.topic(db.session, member, replies=1)
    db.session.commit()
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert location(response).startswith("/login")
    assert "Mette" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/login", 200),
        ("/password/forgot", 200),
        ("/invitation/ukendt-token", 404),
        ("/password/reset/ukendt-token", 404),
        ("/static/css/forum.css", 200),
    ],
)
def test_public_pages_do_not_redirect(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    response.close()


# -- logging out and ending sessions ---------------------------------------------------------


def test_logout_is_post_only(client, auth, member):
    auth.login(member)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still logged in


def test_logout(client, auth, member):
    auth.login(member)
    response = auth.logout()
    assert location(response) == "/login"
    assert "Du er logget ud." in client.get("/login").get_data(as_text=True)
    assert location(client.get("/")).startswith("/login")


def test_deactivated_members_session_ends_on_next_request(client, auth, admin, member):
    auth.login(member)
    assert client.get("/").status_code == 200
    accounts.set_active(db.session, admin, member, False)
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert location(response).startswith("/login")


def test_changing_the_password_ends_other_sessions(app, member):
    laptop, phone = app.test_client(), app.test_client()
    db.session.commit()
    for client in (laptop, phone):
        client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
        assert client.get("/").status_code == 200
    accounts.set_password(db.session, member, NEW_PASSWORD)
    db.session.commit()
    for client in (laptop, phone):
        assert location(client.get("/")).startswith("/login")
    response = phone.post("/login", data={"email": member.email, "password": NEW_PASSWORD})
    assert location(response) == "/"
    assert phone.get("/").status_code == 200
    assert location(laptop.get("/")).startswith("/login")


# -- invitation flow -------------------------------------------------------------------------


def test_invitation_flow(client, auth, admin, mailbox):
    norddjurs = factories.municipality(db.session, "Norddjurs")
    auth.login(admin)
    response = client.post(
        "/admin/invitationer",
        data={
            "email": "Lise.Lund@Norddjurs.dk",
            "role": Role.MEMBER,
            "municipality": str(norddjurs.id),
            "organisation": "",
        },
    )
    assert location(response) == "/admin/invitationer"
    assert "Invitationen er sendt til lise.lund@norddjurs.dk" in client.get(
        "/admin/invitationer"
    ).get_data(as_text=True)
    message = db.session.scalar(select(MailMessage))
    assert message.recipient == "lise.lund@norddjurs.dk"
    assert message.sent_at is not None
    assert "Anne Admin har inviteret dig" not in message.body  # the link is gone once sent
    (mail,) = mailbox.to("lise.lund@norddjurs.dk")
    assert "Anne Admin har inviteret dig" in mail.get_body(("plain",)).get_content()
    link = mailed_link(mailbox, "lise.lund@norddjurs.dk", "/invitation/")
    token = link.rsplit("/", 1)[1]
    invitation = db.session.scalar(select(Invitation))
    assert token not in invitation.token_hash

    auth.logout()
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "lise.lund@norddjurs.dk" in html
    assert "Norddjurs" in html

    response = client.post(
        link,
        data={
            "display_name": "Lise Lund",
            "job_title": "Myndighedsleder",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert location(response) == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Velkommen til netværket, Lise Lund." in home
    user = db.session.scalar(select(User).where(User.email == "lise.lund@norddjurs.dk"))
    assert user.display_name == "Lise Lund"
    assert user.job_title == "Myndighedsleder"
    assert user.municipality.name == "Norddjurs"
    assert user.role == Role.MEMBER
    assert f'href="/u/{user.username}"' in home

    auth.logout()
    assert client.get(link).status_code == 404
    response = client.post(
        link,
        data={
            "display_name": "Ond Overtager",
            "password": "en-anden-adgangskode",
            "confirm": "en-anden-adgangskode",
        },
    )
    assert response.status_code == 404
    assert "ugyldig, brugt eller udløbet" in response.get_data(as_text=True)
    assert auth.login(user, password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"display_name": "Lise Lund", "password": "kort", "confirm": "kort"}, "mindst 12 tegn"),
        (
            {"display_name": "Lise Lund", "password": NEW_PASSWORD, "confirm": "noget-andet-her"},
            "De to adgangskoder er ikke ens.",
        ),
        ({"display_name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "Feltet skal"),
    ],
)
def test_accepting_invitation_with_bad_input_keeps_it_open(client, admin, data, error):
    token = factories.facilitator_invitation(db.session, admin)
    db.session.commit()
    response = client.post(f"/invitation/{token}", data=data)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.email == "ny@kl.dk")) is None
    assert client.get(f"/invitation/{token}").status_code == 200


# -- password reset flow ---------------------------------------------------------------------


def test_password_reset_flow(client, auth, member, mailbox):
    db.session.commit()
    response = client.post("/password/forgot", data={"email": member.email.upper()})
    assert location(response) == "/login"
    assert "er der sendt et link" in client.get("/login").get_data(as_text=True)
    link = mailed_link(mailbox, member.email, "/password/reset/")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert location(response) == "/login"
    assert "Din adgangskode er skiftet." in client.get("/login").get_data(as_text=True)

    old = auth.login(member)
    assert old.status_code == 200
    assert "Forkert e-mail eller adgangskode." in old.get_data(as_text=True)
    assert location(auth.login(member, password=NEW_PASSWORD)) == "/"
    auth.logout()

    assert client.get(link).status_code == 404
    response = client.post(
        link, data={"password": "tredje-adgangskode", "confirm": "tredje-adgangskode"}
    )
    assert response.status_code == 404
    assert location(auth.login(member, password=NEW_PASSWORD)) == "/"


def test_password_reset_ends_a_logged_in_session(app, client, auth, member):
    auth.login(member)
    token = accounts.password_reset_token(member)
    other = app.test_client()
    other.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert location(client.get("/")).startswith("/login")


def test_password_reset_refuses_short_password(client, member):
    token = accounts.password_reset_token(member)
    db.session.commit()
    response = client.post(f"/password/reset/{token}", data={"password": "kort", "confirm": "kort"})
    assert response.status_code == 200
    assert "mindst 12 tegn" in response.get_data(as_text=True)
    assert client.get(f"/password/reset/{token}").status_code == 200


@pytest.mark.parametrize("email", ["ukendt@kommune.example", "inactive"])
def test_forgot_password_for_non_members_sends_nothing_but_says_the_same(client, email):
    if email == "inactive":
        email = factories.user(db.session, active=False).email
    db.session.commit()
    response = client.post("/password/forgot", data={"email": email})
    assert location(response) == "/login"
    assert "er der sendt et link" in client.get("/login").get_data(as_text=True)
    assert db.session.scalar(select(MailMessage.id)) is None


# -- headers and cookies ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login", "/password/forgot"])
def test_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_member_pages_are_not_cached(client, auth, member):
    auth.login(member)
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_session_cookie_is_httponly_and_samesite_lax(auth, member):
    response = auth.login(member)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


# -- CSRF and rate limiting, on apps with those switched on -----------------------------------


def test_post_without_csrf_token_is_refused(make_app, member):
    other = make_app(WTF_CSRF_ENABLED=True)
    client = other.test_client()
    response = client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Sikkerhedsnøglen i formularen var ugyldig eller udløbet" in html
    assert '<html lang="da">' in html
    assert location(client.get("/")).startswith("/login")


def test_post_with_csrf_token_is_accepted(make_app, member):
    other = make_app(WTF_CSRF_ENABLED=True)
    client = other.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"email": member.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 400  # logged in, still no token


def test_login_session_expires_after_the_lifetime(client, member):
    db.session.commit()
    response = client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    # A permanent session: the browser drops it after PERMANENT_SESSION_LIFETIME (12 hours).
    assert "Expires=" in cookie
    assert "HttpOnly" in cookie


def test_accepting_invitation_with_a_cpr_number_in_the_title_is_refused(client, admin):
    token = factories.facilitator_invitation(db.session, admin)
    db.session.commit()
    data = {
        "display_name": "Lise Lund",
        "job_title": "Konsulent 1205901234",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    response = client.post(f"/invitation/{token}", data=data)
    assert response.status_code == 200
    assert "CPR-nummer (120590-****" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.email == "ny@kl.dk")) is None
