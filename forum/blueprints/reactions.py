"""Thanks ("Tak") on posts, bookmarks ("Gem") with reminders, and a member's saved posts."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import Optional

from forum import markup, permissions, reactions
from forum.errors import ForumError, NotAllowed, NotFound
from forum.extensions import db
from forum.forms import Form, add_error
from forum.models import Post, User
from forum.templating import post_url
from forum.urls import page_number

bp = Blueprint("reactions", __name__)


class BookmarkForm(Form):
    # Choices are checked by forum.reactions, with a Danish message beside the field.
    reminder = SelectField(_l("Påmindelse"), validate_choice=False)
    day = DateField(_l("Dag"), validators=[Optional()])
    note = StringField(_l("Note til dig selv (valgfri)"))
    # Set by the post's quick "Gem" button: an existing bookmark stays as it is.
    quick = HiddenField()
    # "liste": the request came from the saved-posts list, which it returns to.
    back = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reminder.choices = [(k, str(v)) for k, v in reactions.REMINDER_CHOICES.items()]


def _visible_post(post_id: int) -> Post | None:
    """The post, if the member may see it."""
    post = db.session.scalar(select(Post).where(Post.id == post_id).options(joinedload(Post.topic)))
    if post is None or not permissions.can(current_user, permissions.VIEW, post):
        return None
    return post


def _post_or_404(post_id: int) -> Post:
    post = _visible_post(post_id)
    if post is None:
        raise NotFound(_("Indlægget findes ikke."))
    return post


def _wants_json() -> bool:
    """A fetch from forum.js (or any client asking for JSON) rather than a form post."""
    if request.headers.get("X-Requested-With"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _permalink(post: Post) -> str:
    return post_url(post) + f"#p{post.number}"


# -- thanks ----------------------------------------------------------------------------------


@bp.route("/p/<int:post_id>/tak", methods=["GET", "POST"])
def thanks(post_id: int):  # type: ignore[no-untyped-def]
    """GET: who thanked the post. POST: thank it, or take the thanks back (``tak`` 1 or 0
    says which, so a double click counts once; without it, the opposite of now)."""
    post = _post_or_404(post_id)
    if request.method == "GET":
        return render_template(
            "reactions/thanks.html", post=post, thankers=reactions.thankers(db.session, post)
        )
    wanted = request.form.get("tak")
    try:
        if wanted == "1":
            reactions.thank(db.session, current_user, post)
            thanked = True
        elif wanted == "0":
            reactions.unthank(db.session, current_user, post)
            thanked = False
        else:
            thanked = reactions.toggle_thanks(db.session, current_user, post)
    except NotAllowed as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": str(exc.message)}), 403
        raise
    count = post.thanks_count
    db.session.commit()
    if _wants_json():
        return jsonify({"count": count, "thanked": thanked})
    return redirect(_permalink(post))


# -- bookmarks -------------------------------------------------------------------------------


def _bookmark_page(form: BookmarkForm, post: Post, bookmark, status: int = 200):  # type: ignore[no-untyped-def]
    return (
        render_template("reactions/bookmark.html", form=form, post=post, bookmark=bookmark),
        status,
    )


@bp.route("/p/<int:post_id>/gem", methods=["GET", "POST"])
def bookmark(post_id: int):  # type: ignore[no-untyped-def]
    """Save a post, with an optional reminder and note; or (``action=remove``) remove it."""
    form = BookmarkForm()
    if request.method == "POST" and request.form.get("action") == "remove":
        # One's own bookmark can always go, even of a post deleted since.
        existing = reactions.get_bookmark(db.session, current_user, post_id)
        if existing is None:
            _post_or_404(post_id)  # 404 for a post the member may not see
        reactions.remove_bookmark(db.session, current_user, post_id)
        db.session.commit()
        flash(_("Indlægget er fjernet fra dine gemte."), "info")
        # Back to the post, unless it has gone since (deleted): then to the saved list.
        post = _visible_post(post_id) if form.back.data != "liste" else None
        if post is None:
            return redirect(url_for("reactions.saved", username=current_user.username))
        return redirect(_permalink(post))
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.BOOKMARK, post):
        raise NotAllowed(_("Du kan ikke gemme dette indlæg."))
    existing = reactions.get_bookmark(db.session, current_user, post.id)
    if request.method == "GET":
        if existing is not None:
            form.note.data = existing.note
        return _bookmark_page(form, post, existing)
    if not form.validate_on_submit():
        return _bookmark_page(form, post, existing, 400)
    try:
        remind_at = reactions.reminder_time(form.reminder.data, form.day.data)
        reactions.save_bookmark(
            db.session,
            current_user,
            post,
            note=form.note.data or "",
            remind_at=remind_at,
            keep_existing=form.quick.data == "1",
        )
    except ForumError as exc:
        db.session.rollback()
        add_error(form, exc)
        post = _post_or_404(post_id)
        return _bookmark_page(
            form, post, reactions.get_bookmark(db.session, current_user, post_id), 400
        )
    db.session.commit()
    if remind_at is not None:
        flash(_("Indlægget er gemt, og du får en påmindelse."), "success")
    else:
        flash(_("Indlægget er gemt."), "success")
    return redirect(_permalink(post))


@bp.route("/u/<username>/gemt")
def saved(username: str):  # type: ignore[no-untyped-def]
    """A member's saved posts, newest first: only to the member themself."""
    if not current_user.is_authenticated or current_user.username != username:
        raise NotFound(_("Siden findes ikke."))
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:  # pragma: no cover - the logged-in member exists
        raise NotFound(_("Siden findes ikke."))
    pagination = db.paginate(
        reactions.bookmarks_query(user),
        page=request.args.get("page", 1, type=page_number),
        per_page=current_app.config["TOPICS_PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "reactions/saved.html",
        pagination=pagination,
        is_gone=reactions.is_gone,
        excerpt=lambda post: markup.plain_text(post.body, 200),
    )
