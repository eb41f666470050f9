"""Topics and posts: reading, writing, editing, answers and moderation."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial
from typing import Any, NamedTuple

from flask import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import files, markup, notify, permissions, places, privacy, reactions, reading, uploads
from forum import topics as domain
from forum.blueprints.errors import text_kept
from forum.errors import ForumError, Invalid, NotFound
from forum.extensions import db
from forum.forms import (
    EditPostForm,
    KindForm,
    MoveForm,
    PinForm,
    ReplyForm,
    TopicForm,
    add_error,
)
from forum.models import PinScope, Post, Topic, TopicKind, TopicMember
from forum.templating import PIN_LABELS, file_url, post_url, query_args, topic_url
from forum.timeutil import to_naive_utc
from forum.urls import ID, UrlPattern, page_number, post_number

bp = Blueprint("topics", __name__)

FILE_FIELD = "file"  # a post editor's file field (forum.forms.PostFiles)


# -- helpers ---------------------------------------------------------------------------------


def _kind_choices() -> list[tuple[str, str]]:
    return [
        (kind, str(label))
        for kind, label in domain.KIND_LABELS.items()
        if permissions.can(current_user, permissions.CREATE_TOPIC, kind)
    ]


def _place_choices(form: TopicForm | MoveForm) -> None:
    form.region.choices = [(r.slug, r.name) for r in places.regions(db.session)]
    form.theme.choices = [(t.slug, t.name) for t in places.active_themes(db.session)]


def _post_or_404(post_id: int) -> Post:
    post = db.session.scalar(select(Post).where(Post.id == post_id).options(joinedload(Post.topic)))
    if post is None or not permissions.can(current_user, permissions.VIEW, post):
        raise NotFound(_("Indlægget findes ikke."))
    return post


def _topic_or_404(topic_id: int) -> Topic:
    return domain.get_topic(db.session, current_user, topic_id)


def _preview(form: FlaskForm) -> Markup | None:
    """The rendered body when the member asked for a preview, warning about CPR numbers then too."""
    if "preview" not in request.form:
        return None
    for name in ("title", "body"):
        field = getattr(form, name, None)
        if field is None:
            continue
        found = privacy.find_cpr(field.data or "", markdown=name == "body")
        if found:
            field.errors = [*field.errors, privacy.cpr_message(found[0])]
    return domain.render_body(db.session, form.body.data or "")


def _moderation_forms(topic: Topic) -> dict[str, object]:
    if not permissions.can(current_user, permissions.MODERATE, topic):
        return {}
    pin_form = PinForm(prefix="pin", scope=topic.pin_scope or PinScope.REGION)
    pin_form.scope.choices = [(s, str(label)) for s, label in PIN_LABELS.items()]
    move_form = MoveForm(prefix="move", region=topic.region.slug, theme=topic.theme.slug)
    _place_choices(move_form)
    kind_form = KindForm(prefix="kind", kind=topic.kind)
    kind_form.kind.choices = [(k, str(label)) for k, label in domain.KIND_LABELS.items()]
    return {"pin_form": pin_form, "move_form": move_form, "kind_form": kind_form}


@dataclass(frozen=True, slots=True)
class AttachField:
    """What a post editor's file field says and checks (templates/_macros/topics.html)."""

    accept: str  # the file picker's filter (the sniffing decides, not this)
    limit_mb: int  # for each file, and for a post's files together (one request carries them)
    max_files: int
    chosen: tuple[str, ...]  # the files sent with a form shown again: to be chosen again


def _attach_field() -> AttachField:
    """The file field's settings; after a POST, the names of the files it carried (a file
    field cannot be filled in again by the page, so the writer is told to choose them)."""
    chosen: tuple[str, ...] = ()
    if request.method == "POST":
        given = request.files.getlist(FILE_FIELD)
        chosen = tuple(uploads.safe_filename(f.filename) for f in given if f.filename)
    return AttachField(
        accept=uploads.ACCEPT,
        limit_mb=files.upload_limit_mb(),
        max_files=files.MAX_FILES_PER_POST,
        chosen=chosen,
    )


# The reply form's file field as a GET draws it: the same markup for every topic and member
# of a language, so it is drawn once per process and language (a field and a checkbox through
# WTForms cost the topic page a twentieth of its time).
_attach_markup: dict[tuple[str, AttachField], Markup] = {}


def _reply_attach_markup(form: ReplyForm, attach: AttachField) -> Markup | None:
    """The reply form's file field, drawn once and reused while it is pristine (no errors,
    nothing chosen, no tick); None when the template should draw it."""
    if form.file.errors or form.confirm.errors or form.confirm.data or attach.chosen:
        return None
    key = (str(get_locale()), attach)
    found = _attach_markup.get(key)
    if found is None:
        macro = get_template_attribute("_macros/topics.html", "attach_field")
        found = _attach_markup[key] = Markup(macro(form, attach))
    return found


def _write_with_files(
    form: TopicForm | ReplyForm | EditPostForm, write: Callable[[], Post]
) -> Post | None:
    """Write a post (``write`` adds or changes it) with the files chosen in its editor, all or
    nothing: the files are checked first (nothing stored), then the post is written and the
    files are attached to it, and both are committed together. On any problem the session is
    rolled back, every problem (the text's and the files') goes beside its field, and None is
    returned, for the form to be shown again with all that was typed."""
    with ExitStack() as cleanup:
        incoming = files.receive_all(cleanup, request.files.getlist(FILE_FIELD))
        refused: Invalid | None = None
        ready: list[files.Checked] = []
        try:
            ready = files.check_all(cleanup, incoming, confirmed=bool(form.confirm.data))
        except Invalid as exc:
            refused = exc  # the text is still checked, so the writer sees every problem
        try:
            post = write()
            if refused is not None:
                raise refused
            stored = files.store(db.session, current_user, ready, post=post) if ready else []
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
            if refused is not None and exc is not refused:
                add_error(form, refused)
            return None
        files.commit(db.session, stored)
        return post


@dataclass(frozen=True, slots=True)
class PostActions:
    """What the viewer may do with one post on the topic page: the policy asked once per post
    in Python, not a handful of times per post from the template."""

    thank: bool
    bookmark: bool
    reply: bool  # reply to it, and quote it, from the post's footer
    edit: bool
    delete: bool
    restore: bool
    history: bool
    mark_answer: bool  # mark it as the answer (the mark is cleared from the same place)


def post_actions(user: Any, topic: Topic, posts: list[Post]) -> dict[int, PostActions]:
    """``user``'s actions on each of ``posts`` in ``topic``, by post id (``user`` is the member
    object, not the current_user proxy)."""
    can = permissions.can
    may_reply = can(user, permissions.REPLY, topic)
    return {
        post.id: PostActions(
            thank=can(user, permissions.THANK, post),
            bookmark=can(user, permissions.BOOKMARK, post),
            reply=may_reply and can(user, permissions.QUOTE, post),
            edit=can(user, permissions.EDIT, post),
            delete=can(user, permissions.DELETE, post),
            restore=can(user, permissions.RESTORE, post),
            history=can(user, permissions.VIEW_HISTORY, post),
            mark_answer=can(user, permissions.MARK_AS_ANSWER, post),
        )
        for post in posts
    }


class PostUrls(NamedTuple):
    """The topic page's links per post, each built by url_for once per page (forum.urls)."""

    permalink: UrlPattern  # by post number
    reply: UrlPattern  # by post number
    quote: UrlPattern  # by post number
    thanks: UrlPattern  # the rest by post id
    bookmark: UrlPattern
    quote_source: UrlPattern
    edit: UrlPattern
    delete: UrlPattern
    restore: UrlPattern
    history: UrlPattern
    file_preview: UrlPattern  # by attachment id: an image's thumbnail
    mark_answer: str  # the topic's, the same for every post


def post_urls(topic: Topic, page: int) -> PostUrls:
    """The per-post links of page ``page`` of ``topic``."""
    where = {"slug": topic.slug, "topic_id": topic.id}
    return PostUrls(
        permalink=UrlPattern("topics.permalink", **where, number=ID),
        # A reply from a later page comes back to that page (topic_url(..., page=...)).
        reply=UrlPattern("topics.show", **where, svar_til=ID, page=page if page > 1 else None),
        quote=UrlPattern("topics.show", **where, quote=ID),
        thanks=UrlPattern("reactions.thanks", post_id=ID),
        bookmark=UrlPattern("reactions.bookmark", post_id=ID),
        quote_source=UrlPattern("topics.quote_source", post_id=ID),
        edit=UrlPattern("topics.edit", post_id=ID),
        delete=UrlPattern("topics.delete", post_id=ID),
        restore=UrlPattern("topics.restore", post_id=ID),
        history=UrlPattern("topics.history", post_id=ID),
        file_preview=UrlPattern("files.preview", attachment_id=ID),
        mark_answer=url_for("topics.mark_answer", topic_id=topic.id),
    )


def _render_topic(
    topic: Topic,
    page: int,
    reply_form: ReplyForm,
    *,
    target: int | None = None,
    preview: Markup | None = None,
    status: int = 200,
):  # type: ignore[no-untyped-def]
    per_page = current_app.config["POSTS_PER_PAGE"]
    pagination = db.paginate(
        domain.posts_query(current_user, topic), page=page, per_page=per_page, error_out=False
    )
    if page > 1 and not pagination.items:
        abort(404)
    # Fresh HTML for posts from an older renderer, for this page only: a GET never writes.
    domain.ensure_html([*pagination.items, topic.answer_post])
    seen = reading.states(db.session, current_user, [topic.id]).get(topic.id)
    first_unread = None
    if seen is not None and seen.last_read_post_number < topic.post_number_max:
        first_unread = seen.last_read_post_number + 1
    # Which of the page's posts the member thanked and saved: one statement each.
    thanked_ids, bookmarks = reactions.page_state(
        db.session, current_user, [post.id for post in pagination.items]
    )
    # Per post the page needs the policy's answers, links, the author's profile and a title;
    # asked, built and translated here once a page (the member object, not the proxy, and
    # one form token), the template only reads them.
    viewer = current_user._get_current_object()  # type: ignore[attr-defined]
    shown = [post for post in (*pagination.items, topic.answer_post) if post is not None]
    authors = {post.author_id: post.author for post in shown}
    # The posts' files in one statement, and their links (a name is in each, so url_for).
    post_files = files.post_files(db.session, shown)
    attach = _attach_field()
    html = render_template(
        "topics/show.html",
        topic=topic,
        pagination=pagination,
        reply_form=reply_form,
        target=target,
        preview=preview,
        first_unread=first_unread,
        topic_level=seen.level if seen is not None else reading.NORMAL,
        related=_related(topic) if page == 1 else [],
        thanked_ids=thanked_ids,
        bookmarks=bookmarks,
        viewer=viewer,
        csrf_value=generate_csrf(),
        actions=post_actions(viewer, topic, shown),
        urls=post_urls(topic, pagination.page),
        post_files=post_files,
        file_urls={a.id: file_url(a) for found in post_files.values() for a in found},
        thumbnail=files.thumbnail_size,
        attach=attach,
        attach_markup=_reply_attach_markup(reply_form, attach),
        permalink_title=_("Permanent link til indlæg %(n)d"),  # |format(n=...) per post
        profile_urls={
            author_id: url_for("users.profile", username=author.username)
            for author_id, author in authors.items()
        },
        **_moderation_forms(topic),
    )
    if pagination.items:  # only a page that rendered counts as read
        _remember_reading(topic, pagination.items[-1].number, seen)
    return html, status


def _remember_reading(topic: Topic, up_to: int, seen: TopicMember | None) -> None:
    """Move the member's read marker to the page's last post, and mark their notifications
    about the posts on it read, after the response (only if there is something to change)."""
    notifications = notify.bell_count(db.session, current_user) > 0
    if seen is not None and seen.last_read_post_number >= up_to and not notifications:
        return
    app, user_id = current_app._get_current_object(), current_user.id  # type: ignore[attr-defined]
    write = partial(reading.record_read, app, user_id, topic.id, up_to, notifications=notifications)

    @after_this_request
    def record(response):  # type: ignore[no-untyped-def]
        response.call_on_close(write)
        return response


def _related(topic: Topic) -> list[Topic]:
    """Up to five topics on the same things, from the search index (none if it fails)."""
    from forum.search import search_index
    from forum.search.related import related

    try:
        return related(db.session, search_index(), current_user, topic)
    except Exception:  # the topic must show even when the index cannot answer
        current_app.logger.exception("Related topics failed for topic %s", topic.id)
        return []


# -- reading ---------------------------------------------------------------------------------


@bp.route("/t/<slug>/<int:topic_id>")
def show(slug: str, topic_id: int):  # type: ignore[no-untyped-def]
    """A topic's posts, 20 a page, with the reply form at the bottom."""
    topic = _topic_or_404(topic_id)
    if slug != topic.slug:
        args = query_args(exclude={"slug": None, "topic_id": None})
        return redirect(topic_url(topic, **args), code=301)
    reply_form = ReplyForm()
    quote_number = request.args.get("quote", type=post_number)
    # No quote without a reply form: a locked topic would show it as the member's unsaved text.
    if quote_number and permissions.can(current_user, permissions.REPLY, topic):
        try:
            quoted = domain.get_post(db.session, current_user, topic, quote_number)
        except NotFound:
            quoted = None
        if quoted is not None and permissions.can(current_user, permissions.QUOTE, quoted):
            reply_form.body.data = markup.quote(quoted.body, quoted.author.display_name)
            reply_form.reply_to.data = str(quoted.number)
    answering = request.args.get("svar_til", type=post_number)
    if answering and permissions.can(current_user, permissions.REPLY, topic):
        reply_form.reply_to.data = str(answering)
    return _render_topic(topic, request.args.get("page", 1, type=page_number), reply_form)


@bp.route("/t/<slug>/<int:topic_id>/<int:number>")
def permalink(slug: str, topic_id: int, number: int):  # type: ignore[no-untyped-def]
    """One post's permanent address: the topic page it is on, scrolled to it."""
    topic = _topic_or_404(topic_id)
    post = domain.get_post(db.session, current_user, topic, number)
    if slug != topic.slug:
        return redirect(post_url(post, topic), code=301)
    page = domain.page_of_post(db.session, current_user, post, current_app.config["POSTS_PER_PAGE"])
    return _render_topic(topic, page, ReplyForm(), target=post.number)


@bp.route("/p/<int:post_id>/historik")
def history(post_id: int):  # type: ignore[no-untyped-def]
    """Earlier versions of a post (its author and moderators only)."""
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.VIEW_HISTORY, post):
        abort(403)
    domain.ensure_html([post])
    return render_template(
        "topics/history.html",
        post=post,
        revisions=domain.revisions(db.session, post),
        render=markup.render,
    )


# -- writing ---------------------------------------------------------------------------------


@bp.route("/ny", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    """Start a topic: experience posts start from their template."""
    form = TopicForm()
    form.kind.choices = _kind_choices()
    _place_choices(form)
    if request.method == "GET":
        form.kind.data = request.args.get("type", TopicKind.DISCUSSION)
        form.region.data = request.args.get("region") or _home_region_slug()
        form.theme.data = request.args.get("tema")
        if form.kind.data == TopicKind.EXPERIENCE:
            form.body.data = domain.EXPERIENCE_TEMPLATE
    preview = _preview(form) if request.method == "POST" else None
    if request.method == "POST" and preview is None and form.validate_on_submit():

        def write() -> Post:
            topic = domain.create_topic(
                db.session,
                current_user,
                title=form.title.data or "",
                body=form.body.data or "",
                kind=form.kind.data,
                region=places.region_by_slug(db.session, form.region.data or "", field="region"),
                theme=places.theme_by_slug(db.session, form.theme.data or "", field="theme"),
            )
            return domain.topic_first_post(db.session, topic)

        post = _write_with_files(form, write)
        if post is not None:
            return redirect(topic_url(post.topic))
    return render_template(
        "topics/new.html",
        form=form,
        preview=preview,
        experience_template=domain.EXPERIENCE_TEMPLATE,
        attach=_attach_field(),
    )


def _home_region_slug() -> str | None:
    municipality = current_user.municipality
    return municipality.region.slug if municipality is not None else None


@bp.route("/t/<int:topic_id>/svar", methods=["POST"])
def reply(topic_id: int):  # type: ignore[no-untyped-def]
    """Post a reply; on bad input the topic is shown again with the text kept."""
    form = ReplyForm()
    try:
        topic = _topic_or_404(topic_id)
    except NotFound:
        # Perhaps deleted while the member was writing: give the text back. A topic that never
        # existed gets the very same answer, so the page does not reveal that one was deleted.
        message = _("Emnet findes ikke (det kan være slettet), så dit svar er ikke gemt.")
        return text_kept(message, form.body.data), 404
    preview = _preview(form)
    last_page = max(1, -(-(topic.reply_count + 1) // current_app.config["POSTS_PER_PAGE"]))
    if preview is not None:
        return _render_topic(topic, last_page, form, preview=preview)
    if form.validate_on_submit():
        post = _write_with_files(
            form,
            lambda: domain.reply(
                db.session,
                current_user,
                topic,
                form.body.data or "",
                reply_to=_form_number(form.reply_to.data),
            ),
        )
        if post is not None:
            return redirect(post_url(post, topic) + f"#p{post.number}")
    return _render_topic(topic, last_page, form, status=400)


@bp.route("/p/<int:post_id>/rediger", methods=["GET", "POST"])
def edit(post_id: int):  # type: ignore[no-untyped-def]
    """Edit a post; the previous version is kept. A stale form keeps the writer's text."""
    form = EditPostForm()
    post = db.session.get(Post, post_id)
    # Its writer or a moderator, who could edit it until it was locked or deleted meanwhile.
    if (
        request.method == "POST"
        and post is not None
        and permissions.was_editable(current_user, post)
        and not permissions.can(current_user, permissions.EDIT, post)
    ):
        # Locked or deleted while the member was editing: hand the text back.
        message = _(
            "Indlægget kan ikke længere redigeres (emnet er låst, eller indlægget er "
            "slettet), så din ændring er ikke gemt."
        )
        return text_kept(message, form.body.data, form.title.data), 409
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.EDIT, post):
        abort(403)
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.topic.title
        form.revision.data = str(post.revision)
    preview = _preview(form) if request.method == "POST" else None
    removing = _ids(request.form.getlist("remove_file")) if request.method == "POST" else set()
    if request.method == "POST" and preview is None and form.validate_on_submit():

        def write() -> Post:
            domain.edit_post(
                db.session,
                current_user,
                post,
                body=form.body.data or "",
                title=form.title.data if post.is_first else None,
                base_revision=_form_number(form.revision.data),
            )
            # Files ticked for removal go first, making room for the new ones.
            for attachment in files.post_files(db.session, [post]).get(post.id, []):
                if attachment.id in removing:
                    files.delete_file(db.session, current_user, attachment)
            return post

        if _write_with_files(form, write) is not None:
            return redirect(post_url(post) + f"#p{post.number}")
        post = _post_or_404(post_id)
    domain.ensure_html([post])
    current = files.post_files(db.session, [post]).get(post.id, [])
    return render_template(
        "topics/edit.html",
        form=form,
        post=post,
        preview=preview,
        attach=_attach_field() if permissions.can(current_user, permissions.UPLOAD, post) else None,
        attached=current,
        removable={
            a.id for a in current if permissions.can(current_user, permissions.DELETE_FILE, a)
        },
        removing=removing,
    )


def _ids(raw: list[str]) -> set[int]:
    """The ids a form's checkboxes carry (anything else is left out)."""
    found = set()
    for value in raw:
        try:
            found.add(post_number(value))
        except ValueError:
            continue
    return found


def _form_number(raw: str | None) -> int | None:
    """A number a form carries (the revision it started from, the post a reply answers);
    anything but a plausible number counts as none."""
    try:
        return post_number(raw or "")
    except ValueError:  # also "²", which str.isdigit() accepts and int() refuses
        return None


@bp.route("/p/<int:post_id>/slet", methods=["POST"])
def delete(post_id: int):  # type: ignore[no-untyped-def]
    """Soft-delete a post (the opening post deletes the topic)."""
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.DELETE, post):
        abort(403)
    topic = post.topic
    domain.delete_post(db.session, current_user, post)
    db.session.commit()
    flash(_("Indlægget er slettet. En facilitator kan gendanne det."), "info")
    if post.is_first and not permissions.can(current_user, permissions.VIEW, topic):
        return redirect(url_for("browse.region", slug=topic.region.slug))
    return redirect(topic_url(topic))


@bp.route("/p/<int:post_id>/gendan", methods=["POST"])
def restore(post_id: int):  # type: ignore[no-untyped-def]
    """Undo a soft delete (moderators)."""
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.RESTORE, post):
        abort(403)
    domain.restore_post(db.session, current_user, post)
    db.session.commit()
    flash(_("Indlægget er gendannet."), "success")
    return redirect(post_url(post) + f"#p{post.number}")


@bp.route("/p/<int:post_id>/citat")
def quote_source(post_id: int):  # type: ignore[no-untyped-def]
    """A post as a Markdown quote, for the editor to insert without reloading the page."""
    post = _post_or_404(post_id)
    if not permissions.can(current_user, permissions.QUOTE, post):
        raise NotFound(_("Indlægget findes ikke."))
    text = markup.quote(post.body, post.author.display_name)
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/preview", methods=["POST"])
def preview():  # type: ignore[no-untyped-def]
    """Rendered Markdown for the editor's live preview, led by a warning about a CPR number."""
    body = request.form.get("body", "")[: current_app.config["BODY_MAX_LENGTH"]]
    rendered = domain.render_body(db.session, body)  # mentions linked as the post will be
    found = privacy.find_cpr(body, markdown=True)
    if found:
        warning = Markup('<p class="field-errors" role="alert">{}</p>').format(
            privacy.cpr_message(found[0])
        )
        return str(warning + rendered)
    return str(rendered)


# -- answers and moderation ------------------------------------------------------------------


@bp.route("/t/<int:topic_id>/svaret", methods=["POST"])
def mark_answer(topic_id: int):  # type: ignore[no-untyped-def]
    """Mark (or with an empty post_id, unmark) the reply that answered a sparring topic."""
    topic = _topic_or_404(topic_id)
    if not permissions.can(current_user, permissions.MARK_ANSWER, topic):
        abort(403)
    raw = request.form.get("post_id", "")
    try:
        post = _post_or_404(post_number(raw)) if raw else None  # empty: clear the mark
    except ValueError:
        abort(400)
    try:
        domain.mark_answer(db.session, current_user, topic, post)
    except Invalid as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(topic_url(topic))
    db.session.commit()
    if post is not None:
        flash(_("Svaret er markeret og vises under spørgsmålet."), "success")
        return redirect(post_url(post, topic) + f"#p{post.number}")
    flash(_("Markeringen er fjernet."), "info")
    return redirect(topic_url(topic))


@bp.route("/t/<int:topic_id>/moderer/<action>", methods=["POST"])
def moderate(topic_id: int, action: str):  # type: ignore[no-untyped-def]
    """Pin, unpin, lock, unlock, move or change the kind of a topic (moderators)."""
    topic = _topic_or_404(topic_id)
    if not permissions.can(current_user, permissions.MODERATE, topic):
        abort(403)
    try:
        message = _moderate(topic, action)
    except ForumError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(topic_url(topic))


def _moderate(topic: Topic, action: str) -> str:
    user = current_user
    if action == "pin":
        form = PinForm(prefix="pin")
        form.scope.choices = [(s, str(label)) for s, label in PIN_LABELS.items()]
        if not form.validate():
            raise Invalid(_("Vælg hvor emnet skal fastgøres, og en gyldig dato."))
        until = None
        if form.until.data:
            # "Until and including" a Danish date: the pin ends at that day's end.
            until = to_naive_utc(_end_of_day_copenhagen(form.until.data))
        domain.pin_topic(db.session, user, topic, form.scope.data, until)
        return _("Emnet er fastgjort.")
    if action == "unpin":
        domain.unpin_topic(db.session, user, topic)
        return _("Emnet er ikke længere fastgjort.")
    if action in ("lock", "unlock"):
        domain.set_locked(db.session, user, topic, action == "lock")
        return _("Emnet er låst.") if action == "lock" else _("Emnet er låst op.")
    if action == "move":
        form = MoveForm(prefix="move")
        region = places.region_by_slug(db.session, form.region.data or "", field="region")
        theme = places.theme_by_slug(db.session, form.theme.data or "", field="theme")
        domain.move_topic(db.session, user, topic, region, theme)
        return _(
            "Emnet er flyttet til %(region)s, %(theme)s.", region=region.name, theme=theme.name
        )
    if action == "kind":
        form = KindForm(prefix="kind")
        domain.change_kind(db.session, user, topic, form.kind.data or "")
        return _("Emnets type er ændret.")
    abort(404)


def _end_of_day_copenhagen(day) -> datetime:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)
