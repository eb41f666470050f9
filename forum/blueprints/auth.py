"""Logging in and out, invitations and password resets."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forum import accounts, emails, logins, throttle
from forum.errors import ForumError
from forum.extensions import db
from forum.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    add_error,
)
from forum.models import User
from forum.timeutil import utcnow
from forum.urls import local_path

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login, so a link cannot send members elsewhere."""
    return local_path(target) or url_for("browse.index")


def _start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on this browser with a new login row (ending any login it had)."""
    if logins.current_id() is not None:
        logins.end(db.session, current_user, logins.current_id())
    logout_user()
    session.clear()  # a new session at login: nothing planted before it survives
    # Ends after PERMANENT_SESSION_LIFETIME without activity, not only when the browser
    # closes: shared municipal laptops often stay open for days.
    session.permanent = True
    logins.start(db.session, user, remember=remember, user_agent=logins.user_agent())
    login_user(user, remember=remember)
    user.last_seen_at = utcnow()
    if user.first_login_at is None:  # where "new topics" start for a new member
        user.first_login_at = user.last_seen_at


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        limits = throttle.current()
        email = accounts.normalise_email(form.email.data)
        address = request.remote_addr or ""
        device = request.cookies.get(throttle.DEVICE_COOKIE)
        if not limits.login_attempt(email, address, device):
            form.password.errors = [
                _(
                    "For mange forsøg på at logge ind. Vent et kvarter, eller få et link til "
                    "en ny adgangskode."
                )
            ]
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(db.session, email, form.password.data)
        if user is not None:
            limits.unlock(email, device)
            _start_session(user, remember=bool(form.remember.data))
            db.session.commit()
            response = redirect(safe_next(request.args.get("next")))
            _remember_device(response, limits.device_cookie(email, device))
            return response
        limits.login_failed(address, device, email)
        form.password.errors = [_("Forkert e-mail eller adgangskode.")]
    return render_template("auth/login.html", form=form)


def _remember_device(response: Response, value: str) -> None:
    # Not a login: it only lets this browser's attempts at this account count on their own.
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        value,
        max_age=throttle.DEVICE_DAYS * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    """Log out (a POST, so that no link or image can log a member out): the login row goes,
    so a copied session or remember-me cookie stops working too."""
    login_session_id = logins.current_id()
    if login_session_id is not None:
        logins.end(db.session, current_user, login_session_id)
        db.session.commit()
    logout_user()
    flash(_("Du er logget ud."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    """Join the network from an invitation: choose name, title and password."""
    invitation = accounts.open_invitation(db.session, token)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                db.session,
                invitation,
                display_name=form.display_name.data,
                job_title=form.job_title.data,
                password=form.password.data,
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Velkommen til netværket, %(name)s.", name=user.display_name), "success")
            return redirect(url_for("browse.index"))
    return render_template("auth/accept.html", form=form, invitation=invitation)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    """Ask for a password-reset link by e-mail (the answer is the same for unknown addresses)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        if not throttle.current().reset_request(email, request.remote_addr or ""):
            form.email.errors = [_("Der er bedt om mange links på kort tid. Prøv igen om en time.")]
            return render_template("auth/forgot.html", form=form), 429
        user = accounts.active_user_by_email(db.session, email)
        if user is not None:
            emails.queue_password_reset(db.session, user)
            db.session.commit()
        flash(
            _("Hvis adressen tilhører et medlem, er der sendt et link til en ny adgangskode."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    """Choose a new password from an e-mailed, expiring link."""
    user = accounts.user_for_reset_token(db.session, token)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(db.session, user, form.password.data)
        except ForumError as exc:
            add_error(form, exc)
        else:
            db.session.commit()
            # A locked account logs in with its new password at once.
            throttle.current().unlock(user.email)
            flash(_("Din adgangskode er skiftet. Log ind med den nye."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
