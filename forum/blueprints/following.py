"""Following and muting (topics, regions, themes) and the member's notifications."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum import following, meetings, notify, permissions, places
from forum.errors import Invalid, NotAllowed
from forum.extensions import db
from forum.models import NotificationKind, Region, Theme, Topic
from forum.templating import topic_url
from forum.topics import get_topic
from forum.urls import local_path, page_number, post_number

bp = Blueprint("following", __name__)


def _back(default: str):  # type: ignore[no-untyped-def]
    return redirect(local_path(request.form.get("next")) or default)


def _check(obj: Topic | Region | Theme) -> None:
    if not permissions.can(current_user, permissions.FOLLOW, obj):
        raise NotAllowed(_("Du kan ikke følge dette."))


def _saved(level: int, name: str) -> None:
    labels = following.LEVEL_LABELS
    flash(_("%(name)s: %(level)s.", name=name, level=labels[level]), "success")


@bp.route("/t/<int:topic_id>/foelg", methods=["POST"])
def topic(topic_id: int):  # type: ignore[no-untyped-def]
    """Set how the member follows a topic (the topic page's menu)."""
    the_topic = get_topic(db.session, current_user, topic_id)
    _check(the_topic)
    back = topic_url(the_topic, _anchor="foelg")
    try:
        level = following.set_topic_level(
            db.session, current_user, the_topic, request.form.get("level")
        )
    except Invalid as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _back(back)
    db.session.commit()
    _saved(level, the_topic.title)
    return _back(back)


@bp.route("/region/<slug>/foelg", methods=["POST"])
def region(slug: str):  # type: ignore[no-untyped-def]
    """Set how the member follows a region."""
    the_region = places.region_by_slug(db.session, slug)
    return _place(the_region, following.set_region_level, url_for("browse.region", slug=slug))


@bp.route("/tema/<slug>/foelg", methods=["POST"])
def theme(slug: str):  # type: ignore[no-untyped-def]
    """Set how the member follows a theme."""
    the_theme = places.theme_by_slug(db.session, slug)
    return _place(the_theme, following.set_theme_level, url_for("browse.theme", slug=slug))


def _place(place: Region | Theme, setter, back: str):  # type: ignore[no-untyped-def]
    _check(place)
    try:
        level = setter(db.session, current_user, place, request.form.get("level"))
    except Invalid as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _back(back)
    db.session.commit()
    _saved(level, place.name)
    return _back(back)


@bp.route("/notifikationer")
def notifications():  # type: ignore[no-untyped-def]
    """The member's notifications, newest first; each links to its post."""
    pagination = db.paginate(
        notify.page_query(current_user),
        page=request.args.get("page", 1, type=page_number),
        per_page=current_app.config["NOTIFICATIONS_PER_PAGE"],
        error_out=False,
        count=True,
    )
    # Notifications about a meeting lead to its page: the page's meetings in one statement.
    about = {
        n.topic_id
        for n in pagination.items
        if n.kind in NotificationKind.ABOUT_MEETING and n.topic_id
    }
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        label=notify.label,
        meetings=meetings.by_topic(db.session, about),
        MEETING_NOTIFICATIONS=NotificationKind.ABOUT_MEETING,
    )


@bp.route("/notifikationer/laest", methods=["POST"])
def mark_read():  # type: ignore[no-untyped-def]
    """Mark one notification (``id``) or all of them as read."""
    raw = request.form.get("id")
    notification_id = None
    if raw:
        try:
            notification_id = post_number(raw)
        except ValueError:
            notification_id = None
        if notification_id is None:
            return _back(url_for("following.notifications"))
    count = notify.mark_read(db.session, current_user, notification_id)
    db.session.commit()
    if notification_id is None:
        flash(_("Alle notifikationer er markeret som læst."), "success")
    elif count == 0:
        flash(_("Notifikationen var allerede læst."), "info")
    return _back(url_for("following.notifications"))
