"""forum.accounts: logging in, invitations, password resets, roles and deactivation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from forum import accounts, logins
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import Invitation, LoginSession, Role, User
from forum.timeutil import utcnow
from tests import factories

NEW_PASSWORD = "et-helt-nyt-kodeord"


def invite(  # type: ignore[no-untyped-def]
    session,
    inviter,
    email="ny.leder@norddjurs.dk",
    role=Role.MEMBER,
    municipality="Norddjurs",
    organisation="",
):
    place = factories.municipality(session, municipality) if municipality else None
    return accounts.create_invitation(
        session, inviter, email=email, role=role, municipality=place, organisation=organisation
    )


def accept(session, invitation, name="Lise Lund", password=NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return accounts.accept_invitation(
        session, invitation, display_name=name, job_title="Myndighedsleder", password=password
    )


# -- authenticate ----------------------------------------------------------------------------


def test_authenticate_right_password(session, member):
    assert accounts.authenticate(session, member.email, factories.PASSWORD) is member


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (None, "forkert-adgangskode"),  # the member's e-mail, wrong password
        (None, ""),
        ("ukendt@kommune.example", factories.PASSWORD),
        ("", factories.PASSWORD),
    ],
)
def test_authenticate_refuses(session, member, email, password):
    assert (
        accounts.authenticate(session, email if email is not None else member.email, password)
        is None
    )


def test_authenticate_refuses_inactive_user(session):
    user = factories.user(session, active=False)
    assert accounts.authenticate(session, user.email, factories.PASSWORD) is None


def test_authenticate_refuses_imported_user_without_password(session):
    user = factories.user(session)
    user.password_hash = None
    assert accounts.authenticate(session, user.email, factories.PASSWORD) is None


def test_authenticate_email_is_case_insensitive(session, member):
    assert (
        accounts.authenticate(session, f"  {member.email.upper()} ", factories.PASSWORD) is member
    )


# -- invitations -----------------------------------------------------------------------------


def test_create_invitation_returns_token_and_stores_only_its_hash(session, admin):
    invitation, token = invite(session, admin, email="Ny.Leder@Norddjurs.DK")
    assert len(token) >= 32
    stored = session.get(Invitation, invitation.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert stored.email == "ny.leder@norddjurs.dk"
    assert stored.municipality.name == "Norddjurs"
    assert stored.invited_by_id == admin.id
    assert stored.is_open
    assert stored.expires_at > utcnow() + timedelta(days=13)
    assert accounts.open_invitation(session, token) is stored


def test_facilitator_can_invite_members_and_facilitators(session, facilitator):
    invitation, _ = invite(session, facilitator, role=Role.MEMBER)
    assert invitation.role == Role.MEMBER
    invitation, _ = invite(
        session, facilitator, email="kl@kl.dk", role=Role.FACILITATOR, municipality=None
    )
    assert invitation.role == Role.FACILITATOR


def test_facilitator_cannot_invite_admin(session, facilitator):
    with pytest.raises(Invalid) as excinfo:
        invite(session, facilitator, role=Role.ADMIN, municipality=None)
    assert excinfo.value.field == "role"
    assert session.scalar(select(Invitation.id)) is None


def test_admin_can_invite_admin(session, admin):
    invitation, _ = invite(session, admin, role=Role.ADMIN, municipality=None)
    assert invitation.role == Role.ADMIN


def test_member_cannot_invite(session, member):
    with pytest.raises(NotAllowed):
        invite(session, member)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": Role.MEMBER, "municipality": None}, "municipality"),
        ({"role": "superuser"}, "role"),
        ({"role": ""}, "role"),
        ({"role": Role.FACILITATOR, "municipality": None, "organisation": "KL 120590-1234"},
         "organisation"),
    ],
)  # fmt: skip
def test_create_invitation_validation(session, admin, kwargs, field):
    with pytest.raises(Invalid) as excinfo:
        invite(session, admin, **kwargs)
    assert excinfo.value.field == field


@pytest.mark.parametrize("spelling", [str, str.upper, lambda e: f"  {e.title()} "])
def test_create_invitation_refuses_existing_email(session, admin, member, spelling):
    with pytest.raises(Invalid) as excinfo:
        invite(session, admin, email=spelling(member.email))
    assert excinfo.value.field == "email"
    assert session.scalar(select(Invitation.id)) is None


@pytest.mark.parametrize(
    "spoil",
    [
        lambda inv: setattr(inv, "expires_at", utcnow() - timedelta(seconds=1)),
        lambda inv: setattr(inv, "revoked_at", utcnow()),
        lambda inv: setattr(inv, "accepted_at", utcnow()),
    ],
    ids=["expired", "revoked", "used"],
)
def test_open_invitation_refuses_closed_invitations(session, admin, spoil):
    invitation, token = invite(session, admin)
    spoil(invitation)
    session.flush()
    with pytest.raises(NotFound):
        accounts.open_invitation(session, token)
    with pytest.raises(NotFound):
        accept(session, invitation)


@pytest.mark.parametrize("token", ["", "ikke-en-token", "x" * 43])
def test_open_invitation_refuses_unknown_token(session, admin, token):
    invite(session, admin)
    with pytest.raises(NotFound):
        accounts.open_invitation(session, token)


def test_revoke_invitation(session, admin):
    invitation, token = invite(session, admin)
    accounts.revoke_invitation(session, admin, invitation)
    assert invitation.revoked_at is not None
    with pytest.raises(NotFound):
        accounts.open_invitation(session, token)


def test_member_cannot_revoke_invitation(session, admin, member):
    invitation, _ = invite(session, admin)
    with pytest.raises(NotAllowed):
        accounts.revoke_invitation(session, member, invitation)
    assert invitation.revoked_at is None


def test_accept_invitation_creates_member(session, admin):
    invitation, token = invite(session, admin)
    user = accept(session, accounts.open_invitation(session, token), name="  Lise   Lund ")
    assert user.id is not None
    assert user.email == "ny.leder@norddjurs.dk"
    assert user.display_name == "Lise Lund"
    assert user.username == "lise-lund"
    assert user.job_title == "Myndighedsleder"
    assert user.role == Role.MEMBER
    assert user.municipality.name == "Norddjurs"
    assert user.active
    assert check_password_hash(user.password_hash, NEW_PASSWORD)
    assert invitation.accepted_at is not None
    assert invitation.user_id == user.id
    assert accounts.authenticate(session, user.email, NEW_PASSWORD) is user


def test_accept_invitation_gives_a_unique_username(session, admin):
    factories.user(session, name="Lise Lund")
    invitation, _ = invite(session, admin)
    user = accept(session, invitation, name="Lise Lund")
    assert user.username == "lise-lund-2"


def test_accept_invitation_is_single_use(session, admin):
    invitation, token = invite(session, admin)
    accept(session, invitation)
    with pytest.raises(NotFound):
        accounts.open_invitation(session, token)
    with pytest.raises(NotFound):
        accept(session, invitation, name="En Anden")
    assert len(session.scalars(select(User).where(User.email == invitation.email)).all()) == 1


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("Lise Lund", "a" * 11, "password"),
        ("Lise Lund", "", "password"),
        ("L", NEW_PASSWORD, "display_name"),
        ("   ", NEW_PASSWORD, "display_name"),
    ],
)
def test_accept_invitation_validation(session, admin, name, password, field):
    invitation, token = invite(session, admin)
    with pytest.raises(Invalid) as excinfo:
        accept(session, invitation, name=name, password=password)
    assert excinfo.value.field == field
    assert invitation.is_open
    assert session.scalar(select(User.id).where(User.email == invitation.email)) is None


def test_password_of_exactly_twelve_characters_is_accepted(session, admin):
    invitation, _ = invite(session, admin)
    user = accept(session, invitation, password="a" * 12)
    assert check_password_hash(user.password_hash, "a" * 12)


def test_imported_member_with_same_email_becomes_the_account(session, admin):
    imported = factories.user(
        session,
        name="Lise Importeret",
        email="ny.leder@norddjurs.dk",
        municipality="Odense",
        active=False,
    )
    imported.password_hash = None
    session.flush()
    invitation, _ = invite(session, admin, email="NY.LEDER@norddjurs.dk")
    user = accept(session, invitation, name="Lise Lund")
    assert user is imported
    assert user.active
    assert user.display_name == "Lise Lund"
    assert user.municipality.name == "Norddjurs"
    assert session.scalars(select(User).where(User.email == "ny.leder@norddjurs.dk")).all() == [
        imported
    ]
    assert accounts.authenticate(session, "ny.leder@norddjurs.dk", NEW_PASSWORD) is imported


def test_accept_refuses_when_a_real_account_appeared_meanwhile(session, admin):
    invitation, _ = invite(session, admin)
    factories.user(session, email=invitation.email)
    with pytest.raises(Invalid):
        accept(session, invitation)
    assert invitation.is_open


# -- password reset --------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Control the time itsdangerous signs and checks reset tokens with."""

    class Clock:
        now = 1_800_000_000

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: Clock.now)
    return Clock


def test_reset_token_is_valid(session, member):
    token = accounts.password_reset_token(member)
    assert accounts.user_for_reset_token(session, token) is member


@pytest.mark.parametrize(("seconds", "valid"), [(7199, True), (7200, True), (7201, False)])
def test_reset_token_expires_after_password_reset_hours(
    app, session, member, clock, seconds, valid
):
    assert app.config["PASSWORD_RESET_HOURS"] == 2
    token = accounts.password_reset_token(member)
    clock.now += seconds
    if valid:
        assert accounts.user_for_reset_token(session, token) is member
    else:
        with pytest.raises(NotFound):
            accounts.user_for_reset_token(session, token)


def test_reset_token_follows_configured_hours(app, session, member, clock):
    app.config["PASSWORD_RESET_HOURS"] = 0.5
    token = accounts.password_reset_token(member)
    clock.now += 1801
    with pytest.raises(NotFound):
        accounts.user_for_reset_token(session, token)


def test_reset_token_works_once(session, member):
    token = accounts.password_reset_token(member)
    user = accounts.user_for_reset_token(session, token)
    accounts.set_password(session, user, NEW_PASSWORD)
    session.flush()
    with pytest.raises(NotFound):
        accounts.user_for_reset_token(session, token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: t.split(".")[0],
        lambda t: "",
    ],
    ids=["signature", "prefix", "truncated", "empty"],
)
def test_tampered_reset_token_is_refused(session, member, tamper):
    token = accounts.password_reset_token(member)
    with pytest.raises(NotFound):
        accounts.user_for_reset_token(session, tamper(token))


def test_reset_token_signed_with_other_key_is_refused(app, session, member):
    token = accounts.password_reset_token(member)
    app.config["SECRET_KEY"] = "another-secret-key"
    with pytest.raises(NotFound):
        accounts.user_for_reset_token(session, token)


def test_reset_token_refused_for_deactivated_member(session, admin, member):
    token = accounts.password_reset_token(member)
    accounts.set_active(session, admin, member, False)
    with pytest.raises(NotFound):
        accounts.user_for_reset_token(session, token)


def test_active_user_by_email(session, member):
    assert accounts.active_user_by_email(session, member.email.upper()) is member
    member.active = False
    session.flush()
    assert accounts.active_user_by_email(session, member.email) is None
    assert accounts.active_user_by_email(session, "ukendt@kommune.example") is None


# -- set_password ----------------------------------------------------------------------------


def _logins(session, user):
    return session.scalar(select(func.count()).where(LoginSession.user_id == user.id))


def test_set_password_stores_hash_and_ends_every_session(session, member, other_member):
    for _ in range(2):
        logins.start(session, member, remember=False)
    logins.start(session, other_member, remember=True)
    accounts.set_password(session, member, NEW_PASSWORD)
    session.flush()
    assert _logins(session, member) == 0
    assert _logins(session, other_member) == 1
    assert NEW_PASSWORD not in member.password_hash
    assert accounts.authenticate(session, member.email, NEW_PASSWORD) is member
    assert accounts.authenticate(session, member.email, factories.PASSWORD) is None


def test_set_password_refuses_short_password(session, member):
    logins.start(session, member, remember=False)
    with pytest.raises(Invalid) as excinfo:
        accounts.set_password(session, member, "kort")
    assert excinfo.value.field == "password"
    assert "12" in str(excinfo.value.message)
    assert _logins(session, member) == 1
    assert accounts.authenticate(session, member.email, factories.PASSWORD) is member


# -- roles and deactivation ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.ADMIN, Role.MEMBER])
def test_admin_sets_role(session, admin, member, role):
    accounts.set_role(session, admin, member, role)
    assert member.role == role


def test_set_role_refuses_unknown_role(session, admin, member):
    with pytest.raises(Invalid):
        accounts.set_role(session, admin, member, "king")
    assert member.role == Role.MEMBER


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FACILITATOR])
def test_admin_cannot_demote_self(session, admin, role):
    with pytest.raises(Invalid):
        accounts.set_role(session, admin, admin, role)
    assert admin.role == Role.ADMIN


def test_admin_may_keep_own_admin_role(session, admin):
    accounts.set_role(session, admin, admin, Role.ADMIN)
    assert admin.role == Role.ADMIN


@pytest.mark.parametrize("who", ["member", "facilitator"])
def test_non_admin_cannot_set_role_or_active(request, session, other_member, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        accounts.set_role(session, actor, other_member, Role.ADMIN)
    with pytest.raises(NotAllowed):
        accounts.set_active(session, actor, other_member, False)
    assert other_member.role == Role.MEMBER
    assert other_member.active


def test_deactivate_ends_sessions_and_reactivate(session, admin, member):
    logins.start(session, member, remember=True)
    accounts.set_active(session, admin, member, False)
    assert not member.active
    assert _logins(session, member) == 0
    assert accounts.authenticate(session, member.email, factories.PASSWORD) is None
    accounts.set_active(session, admin, member, True)
    assert member.active
    assert accounts.authenticate(session, member.email, factories.PASSWORD) is member


def test_admin_cannot_deactivate_self(session, admin):
    with pytest.raises(Invalid):
        accounts.set_active(session, admin, admin, False)
    assert admin.active


def test_cannot_activate_member_without_password(session, admin):
    imported = factories.user(session, active=False)
    imported.password_hash = None
    session.flush()
    with pytest.raises(Invalid):
        accounts.set_active(session, admin, imported, True)
    assert not imported.active


def test_inactive_admin_cannot_administer(session, admin, member):
    admin.active = False
    with pytest.raises(NotAllowed):
        accounts.set_role(session, admin, member, Role.ADMIN)
