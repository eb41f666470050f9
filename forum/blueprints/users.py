"""Profiles and a member's own preferences."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import accounts, feeds, following, logins, places
from forum.errors import ForumError, NotFound
from forum.extensions import db
from forum.forms import EmailSettingsForm, FollowingDefaultsForm, PreferencesForm, add_error
from forum.models import Municipality, User
from forum.topics import topics_query, user_posts_query
from forum.urls import page_number

bp = Blueprint("users", __name__)


@bp.route("/u/<username>")
def profile(username: str):  # type: ignore[no-untyped-def]
    """A member's name, title, municipality and region, with their topics and posts."""
    user = db.session.scalar(
        select(User)
        .where(User.username == username)
        .options(joinedload(User.municipality).joinedload(Municipality.region))
    )
    if user is None:
        raise NotFound(_("Medlemmet findes ikke."))
    per_page = current_app.config["TOPICS_PER_PAGE"]
    topics = db.paginate(
        topics_query(current_user, author=user),
        page=request.args.get("page", 1, type=page_number),
        per_page=per_page,
        error_out=False,
    )
    posts = db.paginate(
        user_posts_query(current_user, user),
        page=request.args.get("svar", 1, type=page_number),
        per_page=per_page,
        error_out=False,
    )
    return render_template("users/profile.html", user=user, topics=topics, posts=posts)


@bp.route("/indstillinger", methods=["GET", "POST"])
def preferences():  # type: ignore[no-untyped-def]
    """The member's own name, title and language."""
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                display_name=form.display_name.data,
                job_title=form.job_title.data,
                locale=form.locale.data,
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Dine indstillinger er gemt."), "success")
            return redirect(url_for("users.preferences"))
    return _preferences_page(form, EmailSettingsForm(obj=current_user))


def _preferences_page(  # type: ignore[no-untyped-def]
    form: PreferencesForm,
    email_form: EmailSettingsForm,
    defaults_form: FollowingDefaultsForm | None = None,
):
    levels = following.place_levels(db.session, current_user)
    return render_template(
        "users/preferences.html",
        form=form,
        email_form=email_form,
        defaults_form=defaults_form or FollowingDefaultsForm(obj=current_user),
        region_levels=[(r, levels.region(r.id)) for r in places.regions(db.session)],
        theme_levels=[(t, levels.theme(t.id)) for t in places.active_themes(db.session)],
        feed_links=feeds.feed_links(db.session, current_user),
        calendar_links=feeds.calendar_links(db.session, current_user),
        login_sessions=logins.active(db.session, current_user),
        this_session=logins.current_id(),
    )


@bp.route("/indstillinger/e-mail", methods=["POST"])
def email_settings():  # type: ignore[no-untyped-def]
    """When the member hears from the forum by e-mail: notifications and the digest."""
    email_form = EmailSettingsForm()
    if not email_form.validate_on_submit():
        return _preferences_page(PreferencesForm(obj=current_user), email_form), 400
    current_user.email_level = email_form.email_level.data
    current_user.digest_period = email_form.digest_period.data
    db.session.commit()
    flash(_("Dine e-mail-indstillinger er gemt."), "success")
    return redirect(url_for("users.preferences", _anchor="e-mail"))


@bp.route("/indstillinger/foelger", methods=["POST"])
def following_defaults():  # type: ignore[no-untyped-def]
    """How the member follows the topics they start and those they reply to, from now on."""
    defaults_form = FollowingDefaultsForm()
    if defaults_form.validate_on_submit():
        try:
            following.set_default_levels(
                db.session,
                current_user,
                started=defaults_form.started_topic_level.data,
                replied=defaults_form.replied_topic_level.data,
            )
        except ForumError as exc:
            db.session.rollback()
            add_error(defaults_form, exc)
        else:
            db.session.commit()
            flash(_("Dine indstillinger er gemt."), "success")
            return redirect(url_for("users.preferences", _anchor="foelger"))
    page = _preferences_page(
        PreferencesForm(obj=current_user), EmailSettingsForm(obj=current_user), defaults_form
    )
    return page, 400


@bp.route("/indstillinger/sessioner/<int:login_session_id>/log-ud", methods=["POST"])
def end_session(login_session_id: int):  # type: ignore[no-untyped-def]
    """Log out one of the member's own sessions (another device, or this one)."""
    if not logins.end(db.session, current_user, login_session_id):
        raise NotFound(_("Sessionen findes ikke (den er måske allerede logget ud)."))
    db.session.commit()
    if login_session_id == logins.current_id():
        logout_user()
        flash(_("Du er logget ud."), "info")
        return redirect(url_for("auth.login"))
    flash(_("Sessionen er logget ud."), "success")
    return redirect(url_for("users.preferences", _anchor="sessioner"))


@bp.route("/indstillinger/sessioner/log-ud-andre", methods=["POST"])
def end_other_sessions():  # type: ignore[no-untyped-def]
    """Log out everywhere but here (a lost phone, a shared laptop left logged in)."""
    ended = logins.end_others(db.session, current_user, keep=logins.current_id())
    db.session.commit()
    flash(_("Du er logget ud alle andre steder (%(count)d).", count=ended), "success")
    return redirect(url_for("users.preferences", _anchor="sessioner"))
