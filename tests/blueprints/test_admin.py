"""Administration: invitations, members, themes, municipalities and deleted content."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum import accounts
from forum import topics as domain
from forum.extensions import db
from forum.models import Invitation, MailMessage, Municipality, Region, Role, Theme, User
from tests import factories


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def field_errors(html: str, field: str) -> str:
    """The text of the error list shown beside a form field ('' when none)."""
    found = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def option_values(html: str, select_name: str) -> list[str]:
    found = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {select_name}"
    return re.findall(r'<option[^>]*value="([^"]*)"', found.group(1))


def invite_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": "ny.leder@norddjurs.dk",
        "role": Role.MEMBER,
        "municipality": str(factories.municipality(db.session, "Norddjurs").id),
        "organisation": "",
    }
    data.update(changes)
    return data


# -- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("admin", "/admin/", 200),
        ("facilitator", "/admin/", 200),
        ("member", "/admin/", 403),
        ("admin", "/admin/invitationer", 200),
        ("facilitator", "/admin/invitationer", 200),
        ("member", "/admin/invitationer", 403),
        ("admin", "/admin/medlemmer", 200),
        ("facilitator", "/admin/medlemmer", 403),
        ("member", "/admin/medlemmer", 403),
        ("admin", "/admin/temaer", 200),
        ("facilitator", "/admin/temaer", 403),
        ("facilitator", "/admin/temaer/ny", 403),
        ("admin", "/admin/kommuner", 200),
        ("facilitator", "/admin/kommuner", 403),
        ("facilitator", "/admin/kommuner/ny", 403),
        ("admin", "/admin/slettet", 200),
        ("facilitator", "/admin/slettet", 200),
        ("member", "/admin/slettet", 403),
    ],
)
def test_access(request, client, auth, who, url, status):
    auth.login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == status
    if status == 403:
        assert "Du har ikke adgang til denne side." in html_of(response)


@pytest.mark.parametrize(
    ("who", "shown"),
    [("admin", True), ("facilitator", True), ("member", False)],
)
def test_administration_link_in_menu(request, client, auth, who, shown):
    auth.login(request.getfixturevalue(who))
    assert ('href="/admin/"' in html_of(client.get("/"))) is shown


@pytest.mark.parametrize(
    ("who", "links"),
    [
        ("admin", ["/admin/invitationer", "/admin/medlemmer", "/admin/temaer", "/admin/kommuner"]),
        ("facilitator", ["/admin/invitationer", "/admin/slettet"]),
    ],
)
def test_admin_nav_shows_what_the_role_may_open(request, client, auth, who, links):
    auth.login(request.getfixturevalue(who))
    html = html_of(client.get("/admin/"))
    for link in links:
        assert f'href="{link}"' in html
    if who == "facilitator":
        assert 'href="/admin/medlemmer"' not in html


# -- invitations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "roles"),
    [
        ("admin", [Role.MEMBER, Role.FACILITATOR, Role.ADMIN]),
        ("facilitator", [Role.MEMBER, Role.FACILITATOR]),
    ],
)
def test_invitation_role_choices(request, client, auth, who, roles):
    auth.login(request.getfixturevalue(who))
    html = html_of(client.get("/admin/invitationer"))
    assert option_values(html, "role") == roles
    municipalities = option_values(html, "municipality")
    assert municipalities[0] == "0"  # none, for facilitators
    assert len(municipalities) == 1 + 98


def test_facilitator_invites_member(client, auth, facilitator):
    auth.login(facilitator)
    response = client.post("/admin/invitationer", data=invite_data())
    assert response.status_code == 302
    invitation = db.session.scalar(select(Invitation))
    assert invitation.email == "ny.leder@norddjurs.dk"
    assert invitation.role == Role.MEMBER
    assert invitation.municipality.name == "Norddjurs"
    assert invitation.invited_by_id == facilitator.id
    assert db.session.scalar(select(MailMessage.recipient)) == "ny.leder@norddjurs.dk"
    page = html_of(client.get("/admin/invitationer"))
    assert "ny.leder@norddjurs.dk" in page
    assert "Åben til" in page


def test_facilitator_cannot_invite_admin_even_by_crafted_post(client, auth, facilitator):
    auth.login(facilitator)
    response = client.post("/admin/invitationer", data=invite_data(role=Role.ADMIN))
    assert response.status_code == 200
    assert field_errors(html_of(response), "role")
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(MailMessage.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"email": "ikke-en-adresse"}, "email", "Skriv en gyldig e-mailadresse."),
        ({"email": "ny.leder@"}, "email", "Skriv en gyldig e-mailadresse."),
        ({"email": ""}, "email", "Feltet skal udfyldes."),
        ({"municipality": "0"}, "municipality", "Vælg deltagerens kommune."),
    ],
)
def test_invitation_errors_keep_the_input(client, auth, admin, changes, field, error):
    auth.login(admin)
    data = invite_data(organisation="Børne- og Familieafdelingen", **changes)
    response = client.post("/admin/invitationer", data=data)
    assert response.status_code == 200
    html = html_of(response)
    assert error in field_errors(html, field)
    if data["email"]:
        assert f'value="{data["email"]}"' in html
    assert 'value="Børne- og Familieafdelingen"' in html
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_invitation_to_existing_member_is_refused(client, auth, admin, member):
    auth.login(admin)
    response = client.post("/admin/invitationer", data=invite_data(email=member.email.upper()))
    assert response.status_code == 200
    assert "Der findes allerede et medlem" in field_errors(html_of(response), "email")
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_facilitator_invitation_without_municipality(client, auth, admin):
    auth.login(admin)
    data = invite_data(
        email="tovholder@kl.dk", role=Role.FACILITATOR, municipality="0", organisation="KL"
    )
    assert client.post("/admin/invitationer", data=data).status_code == 302
    invitation = db.session.scalar(select(Invitation))
    assert invitation.municipality is None
    assert invitation.organisation == "KL"


@pytest.mark.parametrize("who", ["admin", "facilitator"])
def test_revoke_invitation(request, client, auth, admin, who):
    invitation, token = accounts.create_invitation(
        db.session,
        admin,
        email="ny@norddjurs.dk",
        role=Role.MEMBER,
        municipality=factories.municipality(db.session, "Norddjurs"),
    )
    auth.login(request.getfixturevalue(who))
    response = client.post(f"/admin/invitationer/{invitation.id}/tilbagekald")
    assert response.status_code == 302
    page = html_of(client.get("/admin/invitationer"))
    assert "Invitationen er trukket tilbage." in page
    assert "Trukket tilbage" in page
    assert f"/admin/invitationer/{invitation.id}/tilbagekald" not in page
    assert db.session.get(Invitation, invitation.id).revoked_at is not None
    auth.logout()
    assert client.get(f"/invitation/{token}").status_code == 404


def test_member_cannot_revoke_invitation(client, auth, admin, member):
    invitation, _ = accounts.create_invitation(
        db.session, admin, email="ny@kl.dk", role=Role.FACILITATOR, municipality=None
    )
    auth.login(member)
    assert client.post(f"/admin/invitationer/{invitation.id}/tilbagekald").status_code == 403
    assert db.session.get(Invitation, invitation.id).revoked_at is None


def test_revoke_unknown_invitation_is_404(client, auth, admin):
    auth.login(admin)
    assert client.post("/admin/invitationer/999/tilbagekald").status_code == 404


# -- members ---------------------------------------------------------------------------------


def test_members_page_lists_members(client, auth, admin, member, other_member):
    auth.login(admin)
    html = html_of(client.get("/admin/medlemmer"))
    for user in (admin, member, other_member):
        assert user.email in html
    assert "Norddjurs" in html
    assert f"/admin/medlemmer/{member.id}/deaktiver" in html
    assert f"/admin/medlemmer/{admin.id}/deaktiver" not in html  # not oneself


def test_members_page_search(client, auth, admin, member, other_member):
    auth.login(admin)
    html = html_of(client.get("/admin/medlemmer", query_string={"q": "søren"}))
    assert other_member.email in html
    assert member.email not in html


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.ADMIN])
def test_admin_changes_role(client, auth, admin, member, role):
    auth.login(admin)
    response = client.post(f"/admin/medlemmer/{member.id}/rolle", data={f"u{member.id}-role": role})
    assert response.status_code == 302
    assert "Rollen er ændret for Mette Kjær." in html_of(client.get("/admin/medlemmer"))
    assert db.session.get(User, member.id).role == role


def test_admin_cannot_demote_self(client, auth, admin):
    auth.login(admin)
    response = client.post(
        f"/admin/medlemmer/{admin.id}/rolle", data={f"u{admin.id}-role": Role.MEMBER}
    )
    assert response.status_code == 302
    assert "Du kan ikke fjerne din egen administratorrolle." in html_of(
        client.get("/admin/medlemmer")
    )
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_deactivate_and_reactivate_member(app, client, auth, admin, member):
    auth.login(admin)
    response = client.post(f"/admin/medlemmer/{member.id}/deaktiver")
    assert response.status_code == 302
    assert "Mette Kjær er opdateret." in html_of(client.get("/admin/medlemmer"))
    assert not db.session.get(User, member.id).active
    member_client = app.test_client()
    refused = member_client.post(
        "/login", data={"email": member.email, "password": factories.PASSWORD}
    )
    assert "Forkert e-mail eller adgangskode." in html_of(refused)

    client.post(f"/admin/medlemmer/{member.id}/aktiver")
    assert db.session.get(User, member.id).active
    accepted = member_client.post(
        "/login", data={"email": member.email, "password": factories.PASSWORD}
    )
    assert accepted.status_code == 302


def test_admin_cannot_deactivate_self(client, auth, admin):
    auth.login(admin)
    response = client.post(f"/admin/medlemmer/{admin.id}/deaktiver")
    assert response.status_code == 302
    assert "Du kan ikke deaktivere dig selv." in html_of(client.get("/admin/medlemmer"))
    assert db.session.get(User, admin.id).active


@pytest.mark.parametrize("action", ["rolle", "deaktiver"])
def test_facilitator_cannot_change_members(client, auth, facilitator, member, action):
    auth.login(facilitator)
    response = client.post(
        f"/admin/medlemmer/{member.id}/{action}", data={f"u{member.id}-role": Role.ADMIN}
    )
    assert response.status_code == 403
    user = db.session.get(User, member.id)
    assert user.role == Role.MEMBER
    assert user.active


@pytest.mark.parametrize(("user_id", "action"), [(999, "deaktiver"), (None, "slet")])
def test_member_action_404(client, auth, admin, member, user_id, action):
    auth.login(admin)
    response = client.post(f"/admin/medlemmer/{user_id or member.id}/{action}")
    assert response.status_code == 404
    assert db.session.get(User, member.id).active


# -- themes ----------------------------------------------------------------------------------


def theme_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Børn med handicap",
        "slug": "",
        "description": "Handicapområdet i Barnets Lov",
        "position": "",
        "is_active": "y",
    }
    data.update(changes)
    return data


def test_create_theme(client, auth, admin):
    auth.login(admin)
    response = client.post("/admin/temaer/ny", data=theme_data())
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/temaer"
    theme = db.session.scalar(select(Theme).where(Theme.slug == "boern-med-handicap"))
    assert theme.name == "Børn med handicap"
    assert theme.description == "Handicapområdet i Barnets Lov"
    assert theme.is_active
    assert theme.position == 14  # after the 13 initial themes
    html = html_of(client.get("/admin/temaer"))
    assert "Temaet er gemt." in html
    assert "/tema/boern-med-handicap" in html
    assert client.get("/tema/boern-med-handicap").status_code == 200


def test_edit_theme(client, auth, admin):
    theme = db.session.scalar(select(Theme).where(Theme.slug == "adoption"))
    auth.login(admin)
    form = html_of(client.get(f"/admin/temaer/{theme.id}"))
    assert 'value="Adoption og permanens"' in form
    response = client.post(
        f"/admin/temaer/{theme.id}",
        data=theme_data(name="Adoption", slug="adoption", position="3"),
    )
    assert response.status_code == 302
    db.session.refresh(theme)
    assert theme.name == "Adoption"
    assert theme.slug == "adoption"
    assert theme.position == 3


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"slug": "familiepleje"}, "slug", "Et andet tema bruger allerede denne adresse."),
        ({"name": "Kvalitet i familiepleje", "slug": "Familiepleje"}, "slug", "Et andet tema"),
        ({"name": ""}, "name", "Feltet skal udfyldes."),
        ({"name": "x"}, "name", "Skriv temaets navn."),
    ],
)
def test_theme_errors_beside_the_field(client, auth, admin, changes, field, error):
    auth.login(admin)
    data = theme_data(**changes)
    response = client.post("/admin/temaer/ny", data=data)
    assert response.status_code == 200
    html = html_of(response)
    assert error in field_errors(html, field)
    assert "Handicapområdet i Barnets Lov" in html  # the input is kept
    assert db.session.scalar(select(func.count(Theme.id))) == 13


def test_editing_theme_to_another_themes_slug_is_refused(client, auth, admin):
    theme = db.session.scalar(select(Theme).where(Theme.slug == "adoption"))
    auth.login(admin)
    response = client.post(
        f"/admin/temaer/{theme.id}", data=theme_data(name="Adoption", slug="ledelse")
    )
    assert response.status_code == 200
    assert "Et andet tema bruger allerede denne adresse." in field_errors(html_of(response), "slug")
    db.session.refresh(theme)
    assert theme.slug == "adoption"


def test_inactive_theme_is_not_offered_for_new_topics(client, auth, admin):
    theme = db.session.scalar(select(Theme).where(Theme.slug == "adoption"))
    auth.login(admin)
    assert "adoption" in option_values(html_of(client.get("/ny")), "theme")
    data = theme_data(name=theme.name, slug=theme.slug)
    del data["is_active"]  # an unticked box is not sent
    assert client.post(f"/admin/temaer/{theme.id}", data=data).status_code == 302
    db.session.refresh(theme)
    assert not theme.is_active
    assert "Ikke aktivt" in html_of(client.get("/admin/temaer"))
    offered = option_values(html_of(client.get("/ny")), "theme")
    assert "adoption" not in offered
    assert len(offered) == 12


def test_unknown_theme_is_404(client, auth, admin):
    auth.login(admin)
    assert client.get("/admin/temaer/999").status_code == 404


# -- municipalities --------------------------------------------------------------------------


def region_id(slug: str) -> int:
    return db.session.scalar(select(Region.id).where(Region.slug == slug))


def test_municipalities_page(client, auth, admin):
    auth.login(admin)
    html = html_of(client.get("/admin/kommuner"))
    assert "Region Nordjylland" in html
    assert "Norddjurs" in html
    assert html.count("/admin/kommuner/") >= 98


def test_national_scope_is_not_offered_for_municipalities(client, auth, admin):
    auth.login(admin)
    regions = option_values(html_of(client.get("/admin/kommuner/ny")), "region")
    assert len(regions) == 5
    assert str(region_id("landsdaekkende")) not in regions


def test_add_municipality(client, auth, admin):
    auth.login(admin)
    response = client.post(
        "/admin/kommuner/ny", data={"name": "Ny Kommune By", "region": region_id("sjaelland")}
    )
    assert response.status_code == 302
    created = db.session.scalar(select(Municipality).where(Municipality.name == "Ny Kommune By"))
    assert created.slug == "ny-kommune-by"
    assert created.region.slug == "sjaelland"
    html = html_of(client.get("/admin/kommuner"))
    assert "Kommunen er gemt." in html
    assert "Ny Kommune By" in html


def test_rename_and_move_municipality(client, auth, admin, member):
    norddjurs = factories.municipality(db.session, "Norddjurs")
    auth.login(admin)
    form = html_of(client.get(f"/admin/kommuner/{norddjurs.id}"))
    assert 'value="Norddjurs"' in form
    response = client.post(
        f"/admin/kommuner/{norddjurs.id}",
        data={"name": "Norddjurs Nord", "region": region_id("nordjylland")},
    )
    assert response.status_code == 302
    db.session.refresh(norddjurs)
    assert norddjurs.name == "Norddjurs Nord"
    assert norddjurs.slug == "norddjurs-nord"
    assert norddjurs.region.slug == "nordjylland"
    assert db.session.get(User, member.id).municipality_id == norddjurs.id


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Odense", "Kommunen findes allerede."),
        ("  Odense ", "Kommunen findes allerede."),
        ("Høje Taastrup", "Kommunen findes allerede."),  # same slug as Høje-Taastrup
        ("", "Feltet skal udfyldes."),
        ("x", "Skriv kommunens navn."),
    ],
)
def test_duplicate_or_empty_municipality_is_refused(client, auth, admin, name, error):
    auth.login(admin)
    response = client.post(
        "/admin/kommuner/ny", data={"name": name, "region": region_id("syddanmark")}
    )
    assert response.status_code == 200
    assert error in field_errors(html_of(response), "name")
    assert db.session.scalar(select(func.count(Municipality.id))) == 98


def test_renaming_to_an_existing_municipality_is_refused(client, auth, admin):
    norddjurs = factories.municipality(db.session, "Norddjurs")
    auth.login(admin)
    response = client.post(
        f"/admin/kommuner/{norddjurs.id}",
        data={"name": "Syddjurs", "region": region_id("midtjylland")},
    )
    assert response.status_code == 200
    assert "Kommunen findes allerede." in field_errors(html_of(response), "name")
    db.session.refresh(norddjurs)
    assert norddjurs.name == "Norddjurs"


# -- deleted content -------------------------------------------------------------------------


def test_facilitator_sees_and_restores_deleted_posts(client, auth, facilitator, member):
    topic = factories.topic(db.session, member, title="Netværksmøder i Djursland", replies=2)
    reply = factories.post(db.session, topic, 2)
    domain.delete_post(db.session, member, reply)
    auth.login(facilitator)

    html = html_of(client.get("/admin/slettet"))
    assert "Netværksmøder i Djursland" in html
    assert "#2" in html
    assert f"/p/{reply.id}/gendan" in html
    assert "badge-deleted" not in html

    response = client.post(f"/p/{reply.id}/gendan")
    assert response.status_code == 302
    db.session.refresh(reply)
    assert reply.deleted_at is None
    assert db.session.get(type(topic), topic.id).reply_count == 2
    assert "Intet er slettet." in html_of(client.get("/admin/slettet"))


def test_deleted_topic_is_listed_as_whole_topic_and_restored(client, auth, admin, member):
    topic = factories.topic(db.session, member, title="Et emne der blev slettet", replies=1)
    # The author may not delete an opening post with replies; a moderator may.
    opening = factories.post(db.session, topic, 1)
    domain.delete_post(db.session, admin, opening)
    auth.login(admin)
    html = html_of(client.get("/admin/slettet"))
    assert "Et emne der blev slettet" in html
    assert 'badge-deleted">hele emnet' in html
    client.post(f"/p/{opening.id}/gendan")
    db.session.refresh(topic)
    assert topic.deleted_at is None
    assert "Et emne der blev slettet" in html_of(client.get("/latest"))


def test_member_cannot_restore(client, auth, member, other_member):
    topic = factories.topic(db.session, member, replies=1)
    reply = factories.post(db.session, topic, 2)
    domain.delete_post(db.session, member, reply)
    auth.login(other_member)
    # A member cannot see a deleted reply at all: the same 404 as for one that never existed.
    assert client.post(f"/p/{reply.id}/gendan").status_code == 404
    db.session.refresh(reply)
    assert reply.deleted_at is not None
