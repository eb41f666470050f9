"""Administration: invitations (facilitators too), members, themes, municipalities, deletions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import accounts, emails, permissions, places
from forum.errors import ForumError, NotFound
from forum.extensions import db
from forum.forms import (
    InviteForm,
    MunicipalityForm,
    ThemeForm,
    UserAdminForm,
    add_error,
)
from forum.models import Invitation, Municipality, Region, Theme, User
from forum.templating import ROLE_LABELS
from forum.topics import deleted_content_query
from forum.urls import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require(action: str) -> None:
    if not permissions.can(current_user, action):
        abort(403)


def _role_choices() -> list[tuple[str, str]]:
    return [(role, str(ROLE_LABELS[role])) for role in permissions.invitable_roles(current_user)]


def _municipality_choices(blank: bool) -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Municipality).order_by(Municipality.name))
    choices = [(m.id, m.name) for m in rows]
    return ([(0, _("— ingen (facilitator) —"))] if blank else []) + choices


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """The administration front page."""
    _require(permissions.INVITE)
    return render_template("admin/index.html")


@bp.route("/invitationer", methods=["GET", "POST"])
def invitations():  # type: ignore[no-untyped-def]
    """Invite a member by e-mail; list open and used invitations."""
    _require(permissions.INVITE)
    form = InviteForm()
    form.role.choices = _role_choices()
    form.municipality.choices = _municipality_choices(blank=True)
    if form.validate_on_submit():
        municipality = db.session.get(Municipality, form.municipality.data or 0)
        try:
            invitation, token = accounts.create_invitation(
                db.session,
                current_user,
                email=form.email.data,
                role=form.role.data,
                municipality=municipality,
                organisation=form.organisation.data or "",
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            emails.queue_invitation(db.session, invitation, current_user, token)
            db.session.commit()
            flash(_("Invitationen er sendt til %(email)s.", email=invitation.email), "success")
            return redirect(url_for("admin.invitations"))
    rows = db.session.scalars(
        select(Invitation)
        .options(joinedload(Invitation.municipality), joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc())
        .limit(200)
    ).all()
    return render_template("admin/invitations.html", form=form, invitations=rows)


@bp.route("/invitationer/<int:invitation_id>/tilbagekald", methods=["POST"])
def revoke_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    """Withdraw an unused invitation."""
    _require(permissions.INVITE)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    accounts.revoke_invitation(db.session, current_user, invitation)
    db.session.commit()
    flash(_("Invitationen er trukket tilbage."), "info")
    return redirect(url_for("admin.invitations"))


@bp.route("/medlemmer")
def users():  # type: ignore[no-untyped-def]
    """Every member with role and status."""
    _require(permissions.ADMINISTER)
    query = select(User).options(joinedload(User.municipality)).order_by(User.display_name)
    wanted = (request.args.get("q") or "").strip()
    if wanted:
        like = f"%{wanted}%"
        query = query.where(User.display_name.ilike(like) | User.email.ilike(like))
    pagination = db.paginate(
        query, page=request.args.get("page", 1, type=page_number), per_page=50, error_out=False
    )
    forms = {}
    for user in pagination.items:
        form = UserAdminForm(prefix=f"u{user.id}", role=user.role)
        form.role.choices = _role_choices()
        forms[user.id] = form
    return render_template(
        "admin/users.html",
        pagination=pagination,
        forms=forms,
        wanted=wanted,
    )


@bp.route("/medlemmer/<int:user_id>/<action>", methods=["POST"])
def user_action(user_id: int, action: str):  # type: ignore[no-untyped-def]
    """Change a member's role, or deactivate/reactivate them."""
    _require(permissions.ADMINISTER)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    try:
        if action == "rolle":
            form = UserAdminForm(prefix=f"u{user.id}")
            accounts.set_role(db.session, current_user, user, form.role.data or "")
            message = _("Rollen er ændret for %(name)s.", name=user.display_name)
        elif action in ("deaktiver", "aktiver"):
            accounts.set_active(db.session, current_user, user, action == "aktiver")
            message = _("%(name)s er opdateret.", name=user.display_name)
        else:
            abort(404)
    except ForumError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.route("/temaer")
def themes():  # type: ignore[no-untyped-def]
    """All themes, active and retired."""
    _require(permissions.ADMINISTER)
    rows = db.session.scalars(select(Theme).order_by(Theme.position, Theme.name)).all()
    return render_template("admin/themes.html", themes=rows)


@bp.route("/temaer/ny", methods=["GET", "POST"], defaults={"theme_id": None})
@bp.route("/temaer/<int:theme_id>", methods=["GET", "POST"])
def theme(theme_id: int | None):  # type: ignore[no-untyped-def]
    """Create or edit a theme."""
    _require(permissions.ADMINISTER)
    existing = db.session.get(Theme, theme_id) if theme_id else None
    if theme_id and existing is None:
        raise NotFound()
    form = ThemeForm(obj=existing)
    if form.validate_on_submit():
        try:
            places.save_theme(
                db.session,
                current_user,
                existing,
                name=form.name.data,
                slug=form.slug.data or "",
                description=form.description.data or "",
                position=form.position.data,
                is_active=form.is_active.data,
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Temaet er gemt."), "success")
            return redirect(url_for("admin.themes"))
    return render_template("admin/theme.html", form=form, theme=existing)


@bp.route("/kommuner")
def municipalities():  # type: ignore[no-untyped-def]
    """All municipalities by region."""
    _require(permissions.ADMINISTER)
    regions = (
        db.session.scalars(
            select(Region).options(joinedload(Region.municipalities)).order_by(Region.position)
        )
        .unique()
        .all()
    )
    return render_template("admin/municipalities.html", regions=regions)


@bp.route("/kommuner/ny", methods=["GET", "POST"], defaults={"municipality_id": None})
@bp.route("/kommuner/<int:municipality_id>", methods=["GET", "POST"])
def municipality(municipality_id: int | None):  # type: ignore[no-untyped-def]
    """Add, rename or move a municipality."""
    _require(permissions.ADMINISTER)
    existing = db.session.get(Municipality, municipality_id) if municipality_id else None
    if municipality_id and existing is None:
        raise NotFound()
    form = MunicipalityForm(obj=existing, region=existing.region_id if existing else None)
    form.region.choices = [(r.id, r.name) for r in places.regions(db.session) if not r.is_national]
    if form.validate_on_submit():
        try:
            places.save_municipality(
                db.session,
                current_user,
                existing,
                name=form.name.data,
                region=db.session.get(Region, form.region.data),
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Kommunen er gemt."), "success")
            return redirect(url_for("admin.municipalities"))
    return render_template("admin/municipality.html", form=form, municipality=existing)


@bp.route("/slettet")
def deleted():  # type: ignore[no-untyped-def]
    """Deleted posts and topics, for moderators to restore."""
    _require(permissions.VIEW_DELETED)
    pagination = db.paginate(
        deleted_content_query(),
        page=request.args.get("page", 1, type=page_number),
        per_page=50,
        error_out=False,
    )
    return render_template("admin/deleted.html", pagination=pagination)
