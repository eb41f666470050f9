"""Members: logging in, invitations, password resets, roles and deactivation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from forum import logins, permissions, privacy
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import Invitation, Municipality, Role, User
from forum.slugs import slugify
from forum.timeutil import utcnow

# A hash to check against when no user matches, so a wrong e-mail takes as long as a wrong
# password and timing does not tell which addresses are members.
_DUMMY_HASH = generate_password_hash("no-such-user-password")


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return (email or "").strip().lower()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active else None


def check_password_strength(password: str, field: str = "password") -> None:
    """At least PASSWORD_MIN_LENGTH characters; long passphrases beat complexity rules."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise Invalid(
            _l("Adgangskoden skal være på mindst %(minimum)d tegn.", minimum=minimum), field=field
        )


def set_password(session: Session, user: User, password: str) -> None:
    """Store a new password hash and end every login of the user (they log in with it anew)."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    logins.end_all(session, user)


def unique_username(session: Session, name: str) -> str:
    """A free username derived from a display name: ``mette-kjaer``, ``mette-kjaer-2``, ..."""
    base = slugify(name, max_length=40)
    taken = set(
        session.scalars(
            select(User.username).where((User.username == base) | User.username.like(f"{base}-%"))
        )
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    session: Session,
    inviter: User,
    *,
    email: str,
    role: str,
    municipality: Municipality | None,
    organisation: str = "",
) -> tuple[Invitation, str]:
    """Invite someone; returns the invitation and its token (only the hash is stored)."""
    if not permissions.can(inviter, permissions.INVITE):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    email = normalise_email(email)
    if role not in Role.ALL:
        raise Invalid(_l("Vælg en rolle fra listen."), field="role")
    if role not in permissions.invitable_roles(inviter):
        raise Invalid(_l("Kun administratorer kan invitere administratorer."), field="role")
    if role == Role.MEMBER and municipality is None:
        raise Invalid(_l("Vælg deltagerens kommune."), field="municipality")
    privacy.check_personal_data(organisation, "organisation")
    # An imported member (no password yet) can be invited: accepting turns them into the account.
    existing = select(User.id).where(User.email == email, User.password_hash.is_not(None))
    if session.scalar(existing) is not None:
        raise Invalid(_l("Der findes allerede et medlem med denne e-mailadresse."), field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        municipality=municipality,
        organisation=(organisation or "").strip(),
        token_hash=_token_hash(token),
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def open_invitation(session: Session, token: str) -> Invitation:
    """The unused, unexpired invitation for a token; NotFound otherwise."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token or ""))
    )
    if invitation is None or not invitation.is_open:
        raise NotFound(_l("Invitationen er ugyldig, brugt eller udløbet."))
    return invitation


def revoke_invitation(session: Session, user: User, invitation: Invitation) -> None:
    """Withdraw an invitation that has not been used."""
    if not permissions.can(user, permissions.INVITE):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    if invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
    session.flush()


def check_profile_text(display_name: str, job_title: str) -> None:
    """Refuse a name or job title holding a likely CPR number (it shows on every post)."""
    privacy.check_personal_data(display_name, "display_name")
    privacy.check_personal_data(job_title, "job_title")


def update_profile(user: User, *, display_name: str, job_title: str, locale: str) -> None:
    """Change the member's own name, title and language, checked as every member text is."""
    display_name = " ".join((display_name or "").split())
    job_title = (job_title or "").strip()
    check_profile_text(display_name, job_title)
    user.display_name = display_name
    user.job_title = job_title
    user.locale = locale


def accept_invitation(
    session: Session,
    invitation: Invitation,
    *,
    display_name: str,
    job_title: str,
    password: str,
) -> User:
    """Create the member an invitation was for; the invitation cannot be used again."""
    if not invitation.is_open:
        raise NotFound(_l("Invitationen er ugyldig, brugt eller udløbet."))
    display_name = " ".join((display_name or "").split())
    if len(display_name) < 2:
        raise Invalid(_l("Skriv dit navn."), field="display_name")
    job_title = (job_title or "").strip()
    check_profile_text(display_name, job_title)
    existing = session.scalar(select(User).where(User.email == invitation.email))
    if existing is not None and existing.password_hash is not None:
        raise Invalid(_l("Der findes allerede et medlem med denne e-mailadresse."))
    check_password_strength(password)
    # An imported, inactive member with this address becomes the real account.
    user = existing or User(email=invitation.email, username=unique_username(session, display_name))
    user.display_name = display_name
    user.job_title = job_title
    user.role = invitation.role
    user.municipality = invitation.municipality  # the relationship, so a loaded one is replaced
    user.organisation = invitation.organisation
    user.active = True
    set_password(session, user, password)
    session.add(user)
    session.flush()
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    session.flush()
    return user


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    """A signed token that stops working when the password changes (so it is single-use)."""
    return _reset_serializer().dumps({"id": user.id, "h": _password_fingerprint(user)})


def user_for_reset_token(session: Session, token: str) -> User:
    """The user a reset token is for, if it is valid, unused and not expired."""
    max_age = int(current_app.config["PASSWORD_RESET_HOURS"] * 3600)
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise NotFound(_l("Linket er ugyldigt eller udløbet. Bed om et nyt.")) from None
    user = session.get(User, data.get("id"))
    if user is None or not user.active:
        raise NotFound(_l("Linket er ugyldigt eller udløbet. Bed om et nyt."))
    if not secrets.compare_digest(_password_fingerprint(user), str(data.get("h", ""))):
        raise NotFound(_l("Linket er ugyldigt eller udløbet. Bed om et nyt."))
    return user


def active_user_by_email(session: Session, email: str) -> User | None:
    """For password resets: only active members with a password can reset it."""
    return session.scalar(
        select(User).where(
            func.lower(User.email) == normalise_email(email),
            User.active,
            User.password_hash.is_not(None),
        )
    )


def set_role(session: Session, admin: User, user: User, role: str) -> None:
    """Change a member's role (administrators only)."""
    if not permissions.can(admin, permissions.ADMINISTER):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    if role not in Role.ALL:
        raise Invalid(_l("Vælg en rolle fra listen."), field="role")
    if user.id == admin.id and role != Role.ADMIN:
        raise Invalid(_l("Du kan ikke fjerne din egen administratorrolle."), field="role")
    user.role = role
    session.flush()


def set_active(session: Session, admin: User, user: User, active: bool) -> None:
    """Deactivate (logs the member out everywhere) or reactivate a member."""
    if not permissions.can(admin, permissions.ADMINISTER):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    if not active and not permissions.can(admin, permissions.DEACTIVATE, user):
        raise Invalid(_l("Du kan ikke deaktivere dig selv."))
    if active and user.password_hash is None:
        raise Invalid(_l("Medlemmet har ingen adgangskode endnu: send en invitation i stedet."))
    user.active = active
    if not active:
        logins.end_all(session, user)
        # Feed and calendar addresses end for good: reactivated, the member gets new ones
        # (an address that had leaked must not come back to life with the account).
        user.feed_key_version = User.feed_key_version + 1
    session.flush()
