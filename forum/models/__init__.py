"""Typed models, one module per area. Importing this package registers every table."""

from forum.models.files import Attachment, AttachmentPart, TextStatus
from forum.models.following import (
    Notification,
    NotificationKind,
    NotifyOutboxEntry,
    RegionMember,
    ThemeMember,
)
from forum.models.logins import LoginSession, ThrottleHit
from forum.models.mail import MailMessage
from forum.models.meetings import Meeting, MeetingKind, MeetingSignup, MeetingTheme, SignupStatus
from forum.models.places import Municipality, Region, Theme
from forum.models.reactions import Bookmark, PostThanks
from forum.models.search import SearchFailure, SearchOutboxEntry
from forum.models.topics import PinScope, Post, PostRevision, Topic, TopicKind, TopicMember
from forum.models.users import Invitation, Role, User
from forum.timeutil import utcnow

__all__ = [
    "Attachment",
    "AttachmentPart",
    "TextStatus",
    "Bookmark",
    "Notification",
    "NotificationKind",
    "NotifyOutboxEntry",
    "PostThanks",
    "RegionMember",
    "ThemeMember",
    "Invitation",
    "LoginSession",
    "MailMessage",
    "Meeting",
    "MeetingKind",
    "MeetingSignup",
    "MeetingTheme",
    "SignupStatus",
    "Municipality",
    "PinScope",
    "Post",
    "PostRevision",
    "Region",
    "Role",
    "SearchFailure",
    "SearchOutboxEntry",
    "Theme",
    "ThrottleHit",
    "Topic",
    "TopicKind",
    "TopicMember",
    "User",
    "utcnow",
]
