"""The e-mails the forum writes: subject and body from templates/email, in the reader's language.

Views (and the notification worker) call one function here; it composes the message and queues
it in the outbox (forum.mail) under a key naming the event, so the same event never mails twice.
HTML mail is rendered from a template extending ``email/_layout.html`` by :func:`render_html`,
which moves the stylesheet into ``style=`` attributes: many mail clients drop ``<style>``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import css_inline
from flask import current_app, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Session

from forum import accounts, markup, permissions
from forum.mail import queue_mail
from forum.models import Invitation, MailMessage, Notification, NotificationKind, Post, User
from forum.topics import ensure_html
from forum.unsubscribe import NOTIFICATIONS, unsubscribe_url
from forum.urls import external_url


def queue_password_reset(session: Session, user: User) -> MailMessage:
    """Queue a password-reset link for ``user``, in the member's language, not the browser's."""
    token = accounts.password_reset_token(user)
    link = url_for("auth.reset_password", token=token, _external=True)
    with force_locale(user.locale):
        subject = _("Nulstil din adgangskode til Ledernetværket")
        body = render_template("email/password_reset.txt", user=user, link=link)
    # The token's hash, not the token: the key stays in the outbox after the body is blanked.
    token_id = hashlib.sha256(token.encode()).hexdigest()[:24]
    return queue_mail(
        session, user.email, subject, body, key=f"reset:{user.id}:{token_id}", secret=True
    )


def queue_invitation(
    session: Session, invitation: Invitation, inviter: User, token: str
) -> MailMessage:
    """Queue the invitation e-mail with its one-time link (``token`` is known only now)."""
    link = url_for("auth.accept_invitation", token=token, _external=True)
    # The invitee has no language yet: Danish, whatever the inviter reads in.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Invitation til Ledernetværket for udsatte børn og unge")
        body = render_template(
            "email/invitation.txt",
            invitation=invitation,
            inviter=inviter,
            link=link,
            days=current_app.config["INVITATION_DAYS"],
        )
    return queue_mail(
        session, invitation.email, subject, body, key=f"invite:{invitation.id}", secret=True
    )


# -- HTML mail -------------------------------------------------------------------------------

# Remote stylesheets are never fetched: rendering a mail must not reach out to the network.
# @media rules cannot live in style= attributes; they stay in the <style> block.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
# A path on this site in an href or src of sanitised HTML (nh3 always writes double quotes).
_SITE_PATH = re.compile(r'(\s(?:href|src)=")/(?![/\\])')


def render_html(template_name: str, **context: Any) -> str:
    """Render an HTML e-mail template (extending ``email/_layout.html``), CSS inlined.

    ``settings_url`` (the member's settings page) is filled in unless given. Pass
    ``unsubscribe_url`` for the footer's unsubscribe link (the block ``unsubscribe_text``
    words it). Call it inside ``force_locale(member_locale(user))``."""
    context.setdefault("settings_url", external_url("users.preferences"))
    return _INLINER.inline(render_template(template_name, **context))


def absolute_links(html: str) -> Markup:
    """Sanitised HTML (a post's) with links and images to this site made absolute on
    BASE_URL: in an e-mail a path like ``/u/anne`` has no site to belong to."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return Markup(_SITE_PATH.sub(lambda m: f"{m.group(1)}{base}/", html))


# -- notifications ---------------------------------------------------------------------------

# Characters of the post in the plain-text part (and in the HTML one, for a long post).
EXCERPT_LENGTH = 1500
# A post whose rendered HTML is longer is shown as its excerpt: a 30,000-letter post need not
# travel whole, the link leads to it.
POST_HTML_LIMIT = 10_000
SUBJECT_LENGTH = 200  # mail_outbox.subject

_SUBJECTS = {
    NotificationKind.REPLIED: _l("%(name)s svarede på dit emne: %(title)s"),
    NotificationKind.REPLIED_TO_POST: _l("%(name)s svarede på dit indlæg i: %(title)s"),
    NotificationKind.QUOTED: _l("%(name)s citerede dig i: %(title)s"),
    NotificationKind.MENTIONED: _l("%(name)s nævnte dig i: %(title)s"),
    NotificationKind.ANSWER: _l("Dit svar blev markeret som svaret der hjalp: %(title)s"),
    NotificationKind.NEW_TOPIC: _l("Nyt emne i %(place)s: %(title)s"),
    NotificationKind.NEW_POST: _l("Nyt indlæg i: %(title)s"),
    NotificationKind.REMINDER: _l("Påmindelse: %(title)s"),
    NotificationKind.MEETING: _l("Nyt møde i %(place)s: %(title)s"),
    NotificationKind.SEAT: _l("Du har fået en plads: %(title)s"),
    NotificationKind.MEETING_CANCELLED: _l("Aflyst: %(title)s"),
}


def notification_subject(notification: Notification, post: Post) -> str:
    """The e-mail subject for a notification, in the current locale, one line, bounded."""
    topic = post.topic
    name = notification.actor.display_name if notification.actor else _("Et medlem")
    if notification.kind == NotificationKind.THANKED:
        others = max(notification.count - 1, 0)
        if others:
            subject = ngettext(
                "%(name)s og %(num)d anden takkede for dit indlæg i: %(title)s",
                "%(name)s og %(num)d andre takkede for dit indlæg i: %(title)s",
                others,
                name=name,
                title=topic.title,
            )
        else:
            subject = _(
                "%(name)s takkede for dit indlæg i: %(title)s", name=name, title=topic.title
            )
    else:
        # The place a new topic is in: its region, or its theme for the national scope.
        place = topic.theme.name if topic.region.is_national else topic.region.name
        subject = str(_SUBJECTS[notification.kind]) % {
            "name": name,
            "title": topic.title,
            "place": place,
        }
    subject = " ".join(subject.split())  # one header line, whatever a title holds
    return subject if len(subject) <= SUBJECT_LENGTH else subject[: SUBJECT_LENGTH - 1] + "…"


def _mailable_post(notification: Notification) -> Post | None:
    """The post a notification is about, if its e-mail should still go; else None."""
    user = notification.user
    if notification.is_read or not user.active or user.email_level == "never":
        return None
    if notification.kind not in _SUBJECTS and notification.kind != NotificationKind.THANKED:
        return None  # a kind this module has no e-mail for (it stays on the site)
    post = notification.post
    if post is None or post.is_deleted or post.topic.is_deleted:
        return None
    if not permissions.can(user, permissions.VIEW, post):
        return None
    return post


def queue_notification_mail(session: Session, notification: Notification) -> MailMessage | None:
    """Queue the e-mail about one notification, in the recipient's language; None if it
    should not go (read meanwhile, the member wants none or is deactivated, the post is
    gone or no longer theirs to see). Mutes and being on the forum meanwhile are checked by
    the worker for its whole batch (forum.notify.queue_due_emails). Flushes only; the worker
    commits."""
    post = _mailable_post(notification)
    if post is None:
        return None
    user = notification.user
    topic = post.topic
    ensure_html([post])
    context: dict[str, Any] = {
        "user": user,
        "notification": notification,
        "post": post,
        "topic": topic,
        "excerpt": markup.plain_text(post.body, limit=EXCERPT_LENGTH),
        "post_html": absolute_links(post.html) if len(post.html) <= POST_HTML_LIMIT else None,
        "post_link": external_url(
            "topics.permalink", slug=topic.slug, topic_id=topic.id, number=post.number
        ),
        "notifications_url": external_url("following.notifications"),
        "settings_url": external_url("users.preferences"),
        "unsubscribe_url": unsubscribe_url(user, NOTIFICATIONS),
        # An answer or thanks is about the member's own post: the subject says it all.
        "show_post": notification.kind not in (NotificationKind.ANSWER, NotificationKind.THANKED),
        "meeting": None,
    }
    meeting = topic.meeting if notification.kind in NotificationKind.ABOUT_MEETING else None
    if meeting is not None:
        # About the meeting itself: when and where, and a link to its page.
        context.update(
            meeting=meeting,
            show_post=False,
            post_link=external_url("meetings.show", meeting_id=meeting.id, slug=meeting.slug),
        )
    with force_locale(member_locale(user)):
        if meeting is not None:
            from forum.meetings import when_label

            context["meeting_when"] = when_label(meeting)
        context["subject"] = notification_subject(notification, post)
        context["reason"] = _reason(user, int(current_app.config["NOTIFY_EMAIL_DELAY_SECONDS"]))
        body = render_template("email/notification.txt", **context)
        html_body = render_html("email/notification.html", **context)
    return queue_mail(
        session,
        user.email,
        context["subject"],
        body,
        key=f"notify:{user.id}:{notification.id}",
        html_body=html_body,
        unsubscribe_url=context["unsubscribe_url"],
    )


def member_locale(user: User) -> str:
    """The language to write to a member in (their choice, if the forum speaks it)."""
    config = current_app.config
    return user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _reason(user: User, delay_seconds: int) -> str:
    """Why the member gets this e-mail (their setting), in the current locale."""
    if user.email_level == "always":
        return _("Du får en e-mail ved hver ny notifikation.")
    # Not mailed if read meanwhile, or if the member was on the forum since (forum.notify).
    return ngettext(
        "Du får en e-mail, når du ikke har været på forummet i %(num)d minut efter en "
        "notifikation.",
        "Du får en e-mail, når du ikke har været på forummet i %(num)d minutter efter en "
        "notifikation.",
        max(delay_seconds // 60, 1),
    )
