"""The one permission policy: ``can(user, action, obj)``.

Views, list queries and (later) search and file downloads all ask here, so that a rule
changes in one place. ``visible_topics``/``visible_posts`` are the same rules as SQL filters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from forum.models import (
    Attachment,
    Meeting,
    Notification,
    NotificationKind,
    Post,
    Role,
    Topic,
    TopicKind,
    User,
)
from forum.timeutil import utcnow

VIEW = "view"  # a topic or post (or the forum itself, with obj None)
CREATE_TOPIC = "create_topic"  # obj: the kind of topic (str)
REPLY = "reply"  # obj: topic
EDIT = "edit"  # obj: post
DELETE = "delete"  # obj: post
RESTORE = "restore"  # obj: post
VIEW_HISTORY = "view_history"  # obj: post
QUOTE = "quote"  # obj: post (into a reply)
MARK_ANSWER = "mark_answer"  # obj: topic (mark or clear its answer at all)
MARK_AS_ANSWER = "mark_as_answer"  # obj: post (this reply may be the answer)
MODERATE = "moderate"  # obj: topic (pin, lock, move, change kind)
VIEW_DELETED = "view_deleted"  # obj: None
INVITE = "invite"  # obj: None
ADMINISTER = "administer"  # obj: None (users, themes, municipalities)
DEACTIVATE = "deactivate"  # obj: user
SEARCH = "search"  # obj: None; the index holds only what every member may see (below)
THANK = "thank"  # obj: post (say "tak" for it)
BOOKMARK = "bookmark"  # obj: post (save it, with a reminder)
FOLLOW = "follow"  # obj: topic, region or theme (set one's level: follow, track, mute)
CREATE_MEETING = "create_meeting"  # obj: None
EDIT_MEETING = "edit_meeting"  # obj: meeting (change, cancel, reopen)
SIGN_UP = "sign_up"  # obj: meeting (take a seat or join its waiting list)
VIEW_SIGNUPS = "view_signups"  # obj: meeting (the list of who signed up, and its CSV)
UPLOAD = "upload"  # obj: meeting or post (attach a file to it)
DELETE_FILE = "delete_file"  # obj: attachment
PIN_MATERIALS = "pin_materials"  # obj: meeting (its files on the region page, and unpin them)

ACTIONS = (
    VIEW,
    CREATE_TOPIC,
    REPLY,
    EDIT,
    DELETE,
    RESTORE,
    VIEW_HISTORY,
    QUOTE,
    MARK_ANSWER,
    MARK_AS_ANSWER,
    MODERATE,
    VIEW_DELETED,
    INVITE,
    ADMINISTER,
    DEACTIVATE,
    SEARCH,
    THANK,
    BOOKMARK,
    FOLLOW,
    CREATE_MEETING,
    EDIT_MEETING,
    SIGN_UP,
    VIEW_SIGNUPS,
    UPLOAD,
    DELETE_FILE,
    PIN_MATERIALS,
)


class _AnyMember:
    """Stands for an ordinary member where no one is logged in (``flask search query``)."""

    is_authenticated = True
    is_active = True
    is_moderator = False
    is_admin = False
    id = None


ANY_MEMBER: Any = _AnyMember()


def _member(user: Any) -> User | None:
    """The logged-in, active user, or None for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user


def can(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` to ``obj``? Unknown actions are refused."""
    member = _member(user)
    if member is None:
        return False
    rule = _RULES.get(action)
    return bool(rule and rule(member, obj))


def _view(user: User, obj: Any) -> bool:
    if isinstance(obj, Post):
        return _view(user, obj.topic) and (not obj.is_deleted or user.is_moderator)
    if isinstance(obj, Topic | Meeting):
        return not obj.is_deleted or user.is_moderator
    if isinstance(obj, Attachment):
        # A file is seen where what it is attached to is seen (downloads ask here too).
        if obj.is_deleted and not user.is_moderator:
            return False
        parent = obj.meeting if obj.meeting_id is not None else obj.post
        return parent is not None and _view(user, parent)
    return True  # the forum's pages and profiles are for every member


def _create_topic(user: User, kind: Any) -> bool:
    if kind == TopicKind.MATERIAL:
        return user.is_moderator
    return kind is None or kind in TopicKind.ALL


def _reply(user: User, topic: Topic) -> bool:
    if topic.is_deleted:
        return False
    return not topic.is_locked or user.is_moderator


def _edit(user: User, post: Post) -> bool:
    if post.is_deleted or post.topic.is_deleted:
        return False
    if user.is_moderator:
        return True
    return post.author_id == user.id and not post.topic.is_locked


def _delete(user: User, post: Post) -> bool:
    if post.is_deleted:
        return False
    if user.is_moderator:
        return True
    if post.is_first and post.topic.reply_count > 0:
        return False  # it would take colleagues' replies with it: a moderator decides
    return post.author_id == user.id and not post.topic.is_locked


def _restore(user: User, post: Post) -> bool:
    return user.is_moderator and post.is_deleted


def _view_history(user: User, post: Post) -> bool:
    # Earlier versions may hold what the writer chose to remove: only they and moderators see it.
    return _view(user, post) and (post.author_id == user.id or user.is_moderator)


def _quote(user: User, post: Post) -> bool:
    # Moderators see deleted posts, but what was deleted must not come back inside a reply.
    return _view(user, post) and not post.is_deleted and not post.topic.is_deleted


def _mark_answer(user: User, topic: Topic) -> bool:
    if topic.kind != TopicKind.SPARRING or topic.is_deleted:
        return False
    return topic.author_id == user.id or user.is_moderator


def _mark_as_answer(user: User, post: Post) -> bool:
    # The asker cannot answer their own question: their replies are follow-ups, not answers.
    topic = post.topic
    if post.is_first or post.is_deleted or post.author_id == topic.author_id:
        return False
    return _mark_answer(user, topic)


def _thank(user: User, post: Post) -> bool:
    # Not one's own post; nor what was deleted (moderators see it, but it is not there to thank).
    if post.author_id == user.id or post.is_deleted or post.topic.is_deleted:
        return False
    return _view(user, post)


def _bookmark(user: User, post: Post) -> bool:
    return _view(user, post) and not post.is_deleted


def _follow(user: User, obj: Any) -> bool:
    # A topic one can still read (not a deleted one, even for moderators); any region or theme.
    if isinstance(obj, Topic):
        return _view(user, obj) and not obj.is_deleted
    return obj is not None


def _edit_meeting(user: User, meeting: Meeting) -> bool:
    return user.is_moderator and not meeting.is_deleted


def _sign_up(user: User, meeting: Meeting) -> bool:
    # Until the meeting has ended (one may sign up on the day); not for a cancelled one.
    if meeting.is_deleted or meeting.is_cancelled:
        return False
    return meeting.ends_at > utcnow()


def _upload(user: User, obj: Any) -> bool:
    # A meeting's materials are the facilitators' (not on a deleted meeting).
    if isinstance(obj, Meeting):
        return _edit_meeting(user, obj)
    # A post's files are its writer's, added as they write or edit it: a moderator who may
    # edit a colleague's post does not put files in their name.
    if isinstance(obj, Post):
        return obj.author_id == user.id and _edit(user, obj)
    return False


def _delete_file(user: User, attachment: Attachment) -> bool:
    if attachment.is_deleted or not _view(user, attachment):
        return False
    return user.is_moderator or attachment.uploader_id == user.id


def _deactivate(user: User, other: User) -> bool:
    # Not oneself: the last administrator could otherwise lock everyone out.
    return user.is_admin and other.id != user.id


_RULES = {
    VIEW: _view,
    CREATE_TOPIC: _create_topic,
    REPLY: _reply,
    EDIT: _edit,
    DELETE: _delete,
    RESTORE: _restore,
    VIEW_HISTORY: _view_history,
    QUOTE: _quote,
    MARK_ANSWER: _mark_answer,
    MARK_AS_ANSWER: _mark_as_answer,
    MODERATE: lambda user, obj: user.is_moderator,
    VIEW_DELETED: lambda user, obj: user.is_moderator,
    INVITE: lambda user, obj: user.is_moderator,
    ADMINISTER: lambda user, obj: user.is_admin,
    DEACTIVATE: _deactivate,
    SEARCH: lambda user, obj: True,
    THANK: _thank,
    BOOKMARK: _bookmark,
    FOLLOW: _follow,
    CREATE_MEETING: lambda user, obj: user.is_moderator,
    EDIT_MEETING: _edit_meeting,
    SIGN_UP: _sign_up,
    VIEW_SIGNUPS: lambda user, meeting: user.is_moderator,
    UPLOAD: _upload,
    DELETE_FILE: _delete_file,
    # Whoever may change the meeting (a cancelled one's materials may still be worth showing).
    PIN_MATERIALS: _edit_meeting,
}


def was_editable(user: Any, post: Post) -> bool:
    """Could ``user`` edit ``post`` but for a lock or deletion (so a refused edit hands the
    text back rather than saying "not allowed")? Its writer and moderators could."""
    member = _member(user)
    return member is not None and (post.author_id == member.id or member.is_moderator)


def invitable_roles(user: Any) -> tuple[str, ...]:
    """The roles ``user`` may invite someone with: administrators only by administrators."""
    if not can(user, INVITE):
        return ()
    if user.is_admin:
        return tuple(Role.ALL)
    return (Role.MEMBER, Role.FACILITATOR)


def visible_topics(user: Any) -> ColumnElement[bool]:
    """SQL filter for topics that appear in lists: deleted topics never do."""
    # Moderators reach deleted topics through their URL and the deleted-content page,
    # not in the lists members browse.
    return Topic.deleted_at.is_(None)


def listed_notifications(user: Any) -> ColumnElement[bool]:
    """SQL filter for notifications outer-joined with their topic and post (see
    forum.notify.shown): one about a deleted topic or post is neither shown nor counted, for
    anyone, as lists, feeds and the digest leave deleted content out; a restore brings it
    back. A moderator often deletes a post for the personal data in it: its title must not
    stay on everyone's notification page. A thanks notification whose post has no thanks
    left (all taken back) is not shown either; its row stays, keeping what it told about."""
    return and_(
        or_(Notification.topic_id.is_(None), visible_topics(user)),
        or_(Notification.post_id.is_(None), Post.deleted_at.is_(None)),
        or_(Notification.kind != NotificationKind.THANKED, Post.thanks_count > 0),
    )


def searchable_posts() -> ColumnElement[bool]:
    """SQL filter for the posts the search index holds: what every member may see, so that
    results, counts, snippets and suggestions never show a deleted post, for anyone.
    (Moderators find deleted content on the deleted-content page, not in search.)"""
    return Post.deleted_at.is_(None) & Topic.deleted_at.is_(None)


def visible_posts(user: Any) -> ColumnElement[bool]:
    """SQL filter for posts shown in a topic: moderators also see deleted ones (as stubs)."""
    member = _member(user)
    if member is not None and member.is_moderator:
        return true()
    return Post.deleted_at.is_(None)
