"""Topics and posts: writing, editing, deleting, answering and moderating.

Domain functions take the session first, check the permission policy, validate, change
models and flush. The request commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from forum import markup, notify, permissions, privacy, reading
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import (
    PinScope,
    Post,
    PostRevision,
    Region,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.slugs import slugify
from forum.timeutil import utcnow

# A sparring question asked within this many days, without a marked answer, is still open:
# Til dig and the digest offer it to the members of its region who could help.
OPEN_QUESTION_DAYS = 30

KIND_LABELS = {
    TopicKind.DISCUSSION: _l("Drøftelse"),
    TopicKind.SPARRING: _l("Sparring"),
    TopicKind.EXPERIENCE: _l("Erfaring"),
    TopicKind.MATERIAL: _l("Materiale"),
}

# The fixed shape of an experience post, so that others can read it at a glance.
EXPERIENCE_TEMPLATE = (
    "## Udfordring\n\n\n\n## Hvad gjorde vi\n\n\n\n## Resultat\n\n\n\n## Det vil vi anbefale\n\n"
)


def _require(user: User, action: str, obj: object = None) -> None:
    if not permissions.can(user, action, obj):
        raise NotAllowed(_l("Det har du ikke adgang til."))


# -- validation ------------------------------------------------------------------------------


def check_personal_data(text: str, field: str) -> None:
    """Refuse text holding a likely CPR number; a body is Markdown, so its page is checked too."""
    privacy.check_personal_data(text, field, markdown=field == "body")


def clean_title(title: str) -> str:
    """Validate a topic title: present, not too long, no personal data."""
    title = " ".join((title or "").split())
    limit = current_app.config["TITLE_MAX_LENGTH"]
    if len(title) < 5:
        raise Invalid(_l("Skriv en titel på mindst 5 tegn."), field="title")
    if len(title) > limit:
        raise Invalid(
            _l(
                "Titlen må højst være %(limit)d tegn (den er %(length)d).",
                limit=limit,
                length=len(title),
            ),
            field="title",
        )
    check_personal_data(title, "title")
    return title


def clean_body(body: str) -> str:
    """Validate a post body: present, not too long, no personal data."""
    body = (body or "").strip()
    limit = current_app.config["BODY_MAX_LENGTH"]
    if not body:
        raise Invalid(_l("Skriv en tekst i indlægget."), field="body")
    if len(body) > limit:
        raise Invalid(
            _l(
                "Indlægget må højst være %(limit)d tegn (det er %(length)d).",
                limit=limit,
                length=len(body),
            ),
            field="body",
        )
    check_personal_data(body, "body")
    return body


def _clean_both(title: str, body: str) -> tuple[str, str]:
    """Validate title and body together, so every problem is reported at once."""
    problems = []
    try:
        title = clean_title(title)
    except Invalid as exc:
        problems.append(exc)
    try:
        body = clean_body(body)
    except Invalid as exc:
        problems.append(exc)
    if problems:
        raise Invalid.combine(problems)
    return title, body


def render_body(session: Session, body: str) -> Markup:
    """A post's HTML, with "@username" linked for the active members it names."""
    return markup.render(body, _members_named(session, markup.mentions(body)))


def _set_body(session: Session, post: Post, body: str) -> None:
    post.body = body
    post.html = str(render_body(session, body))
    post.html_version = markup.RENDERER_VERSION


def _members_named(session: Session, names: Iterable[str]) -> set[str]:
    """Which of these usernames belong to active members (so "@name" links to a profile);
    no statement when there are no names."""
    names = set(names)
    if not names:
        return set()
    # no_autoflush: the post being written may already be in the session, half filled in.
    with session.no_autoflush:
        return set(
            session.scalars(select(User.username).where(User.username.in_(names), User.active))
        )


def _render_all(session: Session | None, posts: list[Post]) -> list[str]:
    """Fresh HTML for each post, mentions linked, with at most one statement for them all."""
    mentioned = [markup.mentions(post.body) for post in posts]
    wanted = {name for names in mentioned for name in names}
    known = _members_named(session, wanted) if session is not None else set()
    return [
        str(markup.render(post.body, known.intersection(names)))
        for post, names in zip(posts, mentioned, strict=True)
    ]


def ensure_html(posts: Iterable[Post | None]) -> None:
    """Show posts cached by an older renderer with fresh HTML, without writing anything.

    A page view never writes: the new HTML is set as if it had been loaded, so the session
    sees no change to flush. ``flask posts rerender`` (or the next edit) stores it.
    Mentions are linked with one statement for all the stale posts together.
    """
    stale = [p for p in posts if p is not None and p.html_version != markup.RENDERER_VERSION]
    if not stale:
        return
    for post, fresh in zip(stale, _render_all(object_session(stale[0]), stale), strict=True):
        set_committed_value(post, "html", fresh)


def rerender_stale(session: Session, batch: int = 500) -> int:
    """Store fresh HTML for up to ``batch`` posts cached by an older renderer; how many."""
    stale = session.scalars(
        select(Post)
        .where(Post.html_version != markup.RENDERER_VERSION)
        .order_by(Post.id)
        .limit(batch)
    ).all()
    for post, fresh in zip(stale, _render_all(session, list(stale)), strict=True):
        post.html = fresh
        post.html_version = markup.RENDERER_VERSION
    session.flush()
    return len(stale)


# -- writing ---------------------------------------------------------------------------------


def create_topic(
    session: Session,
    author: User,
    *,
    title: str,
    body: str,
    kind: str,
    region: Region,
    theme: Theme,
    created_at: datetime | None = None,
) -> Topic:
    """Open a topic with its first post."""
    if kind not in TopicKind.ALL:
        raise Invalid(_l("Vælg en type fra listen."), field="kind")
    if not permissions.can(author, permissions.CREATE_TOPIC, kind):
        raise Invalid(_l("Kun facilitatorer kan oprette materialer."), field="kind")
    if not theme.is_active:
        raise Invalid(_l("Temaet er ikke længere i brug. Vælg et andet."), field="theme")
    topic = build_topic(
        session,
        author,
        title=title,
        body=body,
        kind=kind,
        region=region,
        theme=theme,
        created_at=created_at,
    )
    reading.started(session, author, topic)
    notify.enqueue(session, "post", topic_first_post(session, topic), author)
    return topic


def build_topic(
    session: Session,
    author: User,
    *,
    title: str,
    body: str,
    kind: str,
    region: Region,
    theme: Theme,
    created_at: datetime | None = None,
) -> Topic:
    """Validate and add a topic with its opening post, without asking the permission policy.

    For create_topic (which asks first) and the importer (whose authors are not logged in).
    """
    title, body = _clean_both(title, body)
    now = created_at or utcnow()
    topic = Topic(
        title=title,
        slug=slugify(title),
        kind=kind,
        region=region,
        theme=theme,
        author=author,
        created_at=now,
        last_posted_at=now,
        post_number_max=1,
    )
    post = Post(topic=topic, number=1, author=author, created_at=now)
    _set_body(session, post, body)
    session.add_all([topic, post])
    session.flush()
    return topic


def reply(
    session: Session,
    author: User,
    topic: Topic,
    body: str,
    *,
    created_at: datetime | None = None,
    reply_to: int | None = None,
) -> Post:
    """Add a reply at the end of a topic (``reply_to``: the number of the post it answers)."""
    if topic.is_deleted:
        raise Invalid(_l("Emnet er slettet, så der kan ikke svares på det."), field="body")
    if not permissions.can(author, permissions.REPLY, topic):
        raise Invalid(_l("Emnet er låst, så der kan ikke svares på det."), field="body")
    post = append_post(session, author, topic, body, created_at=created_at)
    if reply_to is not None and 0 < reply_to < post.number:
        post.reply_to_number = reply_to
    reading.replied(session, author, topic, post)
    notify.enqueue(session, "post", post, author)
    return post


def append_post(
    session: Session, author: User, topic: Topic, body: str, *, created_at: datetime | None = None
) -> Post:
    """Validate and add a post at the end of a topic, without asking the permission policy."""
    body = clean_body(body)
    now = created_at or utcnow()
    session.flush()
    # Numbered in the database, not in Python: two members replying at the same moment
    # each get their own number (the UPDATE's row lock orders them) and neither loses text.
    number = session.execute(
        update(Topic)
        .where(Topic.id == topic.id)
        .values(
            post_number_max=Topic.post_number_max + 1,
            reply_count=Topic.reply_count + 1,
            last_posted_at=case((Topic.last_posted_at < now, now), else_=Topic.last_posted_at),
        )
        .returning(Topic.post_number_max)
    ).scalar_one()
    post = Post(topic=topic, number=number, author=author, created_at=now)
    _set_body(session, post, body)
    session.add(post)
    session.flush()
    return post


def edit_post(
    session: Session,
    editor: User,
    post: Post,
    *,
    body: str,
    title: str | None = None,
    base_revision: int | None = None,
) -> Post:
    """Change a post (and, for an opening post, the topic's title), keeping the old version."""
    _require(editor, permissions.EDIT, post)
    if base_revision is not None and base_revision != post.revision:
        raise Invalid(
            _l(
                "Indlægget er blevet ændret, mens du skrev. Din tekst er bevaret herunder; "
                "sammenlign med den nye version, og gem igen."
            ),
            field="body",
        )
    if title is not None and post.is_first:
        new_title, body = _clean_both(title, body)
    else:
        new_title, body = None, clean_body(body)
    if body == post.body and (new_title is None or new_title == post.topic.title):
        return post  # nothing changed: no empty revision
    # Members the edit names that the post did not (outside quotes): the worker tells them.
    named = set(markup.mentions(body, quoted=False))
    newly_named = bool(named and named - set(markup.mentions(post.body, quoted=False)))
    session.add(
        PostRevision(
            post_id=post.id,
            revision=post.revision,
            body=post.body,
            title=post.topic.title if post.is_first else None,
            written_at=post.edited_at or post.created_at,
            written_by_id=post.edited_by_id or post.author_id,
        )
    )
    _set_body(session, post, body)
    if new_title is not None:
        post.topic.title = new_title
        post.topic.slug = slugify(new_title)
    post.revision += 1
    post.edited_at = utcnow()
    post.edited_by = editor
    session.flush()
    if newly_named:
        notify.enqueue(session, "edit", post, editor)
    return post


def _refresh_activity(session: Session, topic: Topic) -> None:
    """Recount visible replies and the last activity after a delete or restore."""
    visible = and_(Post.topic_id == topic.id, Post.deleted_at.is_(None))
    count, last = session.execute(
        select(func.count(Post.id), func.max(Post.created_at)).where(visible)
    ).one()
    topic.reply_count = max(count - 1, 0)
    topic.last_posted_at = last or topic.created_at


def delete_post(session: Session, user: User, post: Post) -> None:
    """Soft-delete a post; deleting the opening post deletes the topic. Moderators can undo it."""
    _require(user, permissions.DELETE, post)
    now = utcnow()
    post.deleted_at = now
    post.deleted_by = user
    topic = post.topic
    if post.is_first:
        topic.deleted_at = now
        topic.deleted_by_id = user.id
    if topic.answer_post_id == post.id:
        topic.answer_post_id = None
    session.flush()
    _refresh_activity(session, topic)
    session.flush()


def restore_post(session: Session, user: User, post: Post) -> None:
    """Undo a soft delete (and the topic's, when it is the opening post)."""
    _require(user, permissions.RESTORE, post)
    post.deleted_at = None
    post.deleted_by = None
    if post.is_first:
        post.topic.deleted_at = None
        post.topic.deleted_by_id = None
    session.flush()
    _refresh_activity(session, post.topic)
    session.flush()


def mark_answer(session: Session, user: User, topic: Topic, post: Post | None) -> None:
    """Mark a reply as the answer to a sparring topic, or clear the mark with ``None``."""
    _require(user, permissions.MARK_ANSWER, topic)
    if post is not None:
        if post.topic_id != topic.id or post.is_first or post.is_deleted:
            raise Invalid(_l("Kun et synligt svar i emnet kan markeres som svaret."))
        _require(user, permissions.MARK_AS_ANSWER, post)  # e.g. not the asker's own reply
        topic.answer_post_id = post.id
        notify.enqueue(session, "answer", post, user)
    else:
        topic.answer_post_id = None
    session.flush()


# -- moderation ------------------------------------------------------------------------------


def pin_topic(
    session: Session, user: User, topic: Topic, scope: str, until: datetime | None = None
) -> None:
    """Pin a topic first in its region, its theme or on the front page, optionally until a date."""
    _require(user, permissions.MODERATE, topic)
    if scope not in PinScope.ALL:
        raise Invalid(_l("Vælg hvor emnet skal fastgøres."), field="scope")
    if until is not None and until <= utcnow():
        raise Invalid(_l("Datoen skal ligge i fremtiden."), field="until")
    topic.pin_scope = scope
    topic.pinned_until = until
    session.flush()


def unpin_topic(session: Session, user: User, topic: Topic) -> None:
    """Remove a pin."""
    _require(user, permissions.MODERATE, topic)
    topic.pin_scope = None
    topic.pinned_until = None
    session.flush()


def set_locked(session: Session, user: User, topic: Topic, locked: bool) -> None:
    """Lock (no more replies from members) or unlock a topic."""
    _require(user, permissions.MODERATE, topic)
    topic.locked_at = utcnow() if locked else None
    session.flush()


def move_topic(session: Session, user: User, topic: Topic, region: Region, theme: Theme) -> None:
    """Move a topic to another region and/or theme."""
    _require(user, permissions.MODERATE, topic)
    topic.region = region
    topic.theme = theme
    session.flush()


def change_kind(session: Session, user: User, topic: Topic, kind: str) -> None:
    """Change a topic's kind; leaving sparring drops the marked answer."""
    _require(user, permissions.MODERATE, topic)
    if kind not in TopicKind.ALL:
        raise Invalid(_l("Vælg en type fra listen."), field="kind")
    topic.kind = kind
    if kind != TopicKind.SPARRING:
        topic.answer_post_id = None
    session.flush()


# -- reading ---------------------------------------------------------------------------------


def get_topic(session: Session, user: User, topic_id: int) -> Topic:
    """A topic the user may see, with what its page shows loaded; NotFound otherwise."""
    topic = session.scalar(
        select(Topic)
        .where(Topic.id == topic_id)
        .options(
            joinedload(Topic.region),
            joinedload(Topic.theme),
            joinedload(Topic.author).joinedload(User.municipality),
            joinedload(Topic.answer_post).joinedload(Post.author).joinedload(User.municipality),
        )
    )
    if topic is None or not permissions.can(user, permissions.VIEW, topic):
        raise NotFound(_l("Emnet findes ikke."))
    return topic


def topic_first_post(session: Session, topic: Topic) -> Post:
    """A topic's opening post."""
    return session.scalars(select(Post).where(Post.topic_id == topic.id, Post.number == 1)).one()


def get_post(session: Session, user: User, topic: Topic, number: int) -> Post:
    """Post ``number`` of a topic, if the user may see it."""
    post = session.scalar(
        select(Post)
        .where(Post.topic_id == topic.id, Post.number == number)
        .options(joinedload(Post.author))
    )
    if post is None or not permissions.can(user, permissions.VIEW, post):
        raise NotFound(_l("Indlægget findes ikke."))
    return post


def posts_query(user: User, topic: Topic) -> Select:
    """The posts of a topic the user may see, in order, with authors loaded."""
    return (
        select(Post)
        .where(Post.topic_id == topic.id, permissions.visible_posts(user))
        .options(
            joinedload(Post.author).joinedload(User.municipality),
            joinedload(Post.deleted_by),
        )
        .order_by(Post.number)
    )


def page_of_post(session: Session, user: User, post: Post, per_page: int) -> int:
    """Which page of its topic a post is on."""
    before = session.scalar(
        select(func.count(Post.id)).where(
            Post.topic_id == post.topic_id,
            Post.number < post.number,
            permissions.visible_posts(user),
        )
    )
    return (before or 0) // per_page + 1


def topics_query(
    user: User,
    *,
    region: Region | None = None,
    theme: Theme | None = None,
    author: User | None = None,
    kind: str | None = None,
) -> Select:
    """Topics for a list: pinned ones (for this list) first, then by last activity."""
    scopes = [PinScope.GLOBAL]
    stmt = select(Topic).where(permissions.visible_topics(user))
    if region is not None:
        stmt = stmt.where(Topic.region_id == region.id)
        scopes.append(PinScope.REGION)
    if theme is not None:
        stmt = stmt.where(Topic.theme_id == theme.id)
        scopes.append(PinScope.THEME)
    if author is not None:
        stmt = stmt.where(Topic.author_id == author.id)
        scopes = []  # a profile lists a member's topics by time only
    if kind is not None:
        stmt = stmt.where(Topic.kind == kind)
    now = utcnow()
    pinned = and_(
        Topic.pin_scope.in_(scopes),
        or_(Topic.pinned_until.is_(None), Topic.pinned_until > now),
    )
    # selectinload, not joinedload: the database then sorts narrow topic rows only, and the
    # page's authors, regions and themes follow in small IN queries (a constant number).
    return stmt.options(
        selectinload(Topic.region),
        selectinload(Topic.theme),
        selectinload(Topic.author).selectinload(User.municipality),
    ).order_by(case((pinned, 0), else_=1), Topic.last_posted_at.desc(), Topic.id.desc())


def user_posts_query(viewer: User, author: User) -> Select:
    """A member's visible posts, newest first, with their topics."""
    return (
        select(Post)
        .join(Post.topic)
        .where(
            Post.author_id == author.id,
            Post.deleted_at.is_(None),
            permissions.visible_topics(viewer),
        )
        .options(joinedload(Post.topic))
        .order_by(Post.created_at.desc())
    )


def deleted_content_query() -> Select:
    """Deleted posts (opening posts stand for deleted topics), newest deletion first."""
    return (
        select(Post)
        .where(Post.deleted_at.is_not(None))
        .options(
            joinedload(Post.topic),
            joinedload(Post.author),
            joinedload(Post.deleted_by),
        )
        .order_by(Post.deleted_at.desc())
    )


def revisions(session: Session, post: Post) -> list[PostRevision]:
    """Earlier versions of a post, newest first."""
    return list(
        session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .options(joinedload(PostRevision.written_by))
            .order_by(PostRevision.revision.desc())
        )
    )
