"""Atom feeds for a closed network: a per-member secret token, and what each feed shows.

A feed reader has no session, so a feed URL carries the member's token:
``<user id>-<HMAC>``, the HMAC (SHA-256, keyed with ``SECRET_KEY`` and a purpose string of its
own) taken over the user id and ``users.feed_key_version``. Nothing is stored: renewing bumps
the version, and every URL made before stops working. A deactivated member's token is refused.

The list feeds (latest, a region, a theme) hold the newest topics, each as its opening post,
as Discourse's ``latest.rss`` does; a topic's feed holds its newest posts. A feed shows only
what the member may see (never anything deleted, not even to moderators), at most
``MAX_ENTRIES`` entries, in a constant number of statements however much there is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload

from forum import following, permissions
from forum.models import Municipality, Post, Region, Theme, Topic, User
from forum.topics import ensure_html
from forum.urls import MAX_ID, external_url

MAX_ENTRIES = 30
# Keeps these HMACs apart from every other use of SECRET_KEY (sessions, CSRF, invitations).
_PURPOSE = b"forum.feeds.token.v1"
# 18 bytes (144 bits) of the HMAC: 24 base64url characters, no padding.
_DIGEST_BYTES = 18
_DIGEST_CHARS = 24
_DIGEST_RE = re.compile(rf"[A-Za-z0-9_-]{{{_DIGEST_CHARS}}}\Z")
# Characters XML 1.0 forbids (lxml refuses to write them): C0 controls but tab, LF and CR,
# lone surrogates, and the two non-characters U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The year in the feed's tag: URIs (RFC 4151); fixed, so entry ids never change.
_TAG_YEAR = 2024


# -- the token -------------------------------------------------------------------------------


def _digest(user_id: int, version: int) -> str:
    key = current_app.config["SECRET_KEY"]
    key_bytes = key.encode() if isinstance(key, str) else bytes(key)
    message = b"%s\x00%d\x00%d" % (_PURPOSE, user_id, version)
    mac = hmac.new(key_bytes, message, hashlib.sha256).digest()[:_DIGEST_BYTES]
    return base64.urlsafe_b64encode(mac).decode("ascii")


def feed_token(user: User) -> str:
    """The member's current feed token, ``<user id>-<HMAC>``, for their feed URLs."""
    return f"{user.id}-{_digest(user.id, user.feed_key_version)}"


def _user_id(token: str) -> int | None:
    ident, dash, digest = (token or "").partition("-")
    # isascii: str.isdigit accepts "²" and other digits int() refuses; no leading zeros, so
    # that one member has exactly one spelling of their token.
    if not (dash and ident.isascii() and ident.isdigit() and _DIGEST_RE.match(digest)):
        return None
    if len(ident) > 10 or ident != str(int(ident)) or not 1 <= int(ident) <= MAX_ID:
        return None
    return int(ident)


def member_for_token(session: Session, token: str) -> User | None:
    """The active member whose current token this is; None for a forged, renewed or
    deactivated member's token."""
    user_id = _user_id(token)
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    expected = _digest(user.id, user.feed_key_version)
    given = token.partition("-")[2]
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        return None
    return user if user.active else None


def renew_token(session: Session, user: User) -> str:
    """Give the member a new token (every feed URL they had stops working); the new token."""
    # In SQL, so that two renewals at once still end on two different versions.
    user.feed_key_version = User.feed_key_version + 1
    session.flush()
    return feed_token(user)


@dataclass(frozen=True)
class FeedLink:
    """A feed the member's settings offer: what it is, and its URL (which holds the token)."""

    label: str
    url: str


def _home_region(session: Session, user: User) -> Region | None:
    if user.municipality_id is None:
        return None
    return session.scalar(
        select(Region)
        .join(Municipality, Municipality.region_id == Region.id)
        .where(Municipality.id == user.municipality_id)
    )


def feed_links(session: Session, user: User) -> list[FeedLink]:
    """The member's feed URLs for their settings: the latest topics, and their own region's."""
    token = feed_token(user)
    links = [FeedLink(_("Seneste emner"), external_url("feeds.latest", token=token))]
    region = _home_region(session, user)
    if region is not None:
        links.append(
            FeedLink(
                _("Nye emner i %(region)s", region=region.name),
                external_url("feeds.region", token=token, slug=region.slug),
            )
        )
    return links


def calendar_links(session: Session, user: User) -> list[FeedLink]:
    """Calendars to subscribe to (the same token): the member's own meetings, and their
    region's (forum.blueprints.meetings serves them)."""
    token = feed_token(user)
    links = [FeedLink(_("Mine møder"), external_url("meetings.my_calendar", token=token))]
    region = _home_region(session, user)
    if region is not None:
        links.append(
            FeedLink(
                _("Møder: %(region)s", region=region.name),
                external_url("meetings.region_calendar", token=token, slug=region.slug),
            )
        )
    return links


# -- what a feed holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One post in a feed."""

    id: str
    title: str
    link: str
    author: str
    published: datetime  # naive UTC, as stored
    updated: datetime
    html: str  # the post's sanitised HTML (forum.markup)
    categories: tuple[tuple[str, str], ...] = ()  # (term, label)


@dataclass(frozen=True)
class Feed:
    """A feed's head and entries, newest first; ``render_atom`` writes it."""

    id: str
    title: str
    link: str  # the page the feed follows
    self_link: str  # the feed's own URL
    updated: datetime
    language: str
    entries: list[Entry]


def feed_locale(user: User) -> str:
    """The language a member's feeds speak: theirs, or the forum's default."""
    config = current_app.config
    return user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def _tag(specific: str) -> str:
    """A tag: URI (RFC 4151) on the forum's host: stable whatever the URLs become."""
    return f"tag:{_host()},{_TAG_YEAR}:{specific}"


def _categories(topic: Topic) -> tuple[tuple[str, str], ...]:
    return ((topic.region.slug, topic.region.name), (topic.theme.slug, topic.theme.name))


def _visible(user: User, posts: list[Post]) -> list[Post]:
    """Posts the policy lets the member see, less anything deleted (for moderators too)."""
    shown = [
        post
        for post in posts
        if permissions.can(user, permissions.VIEW, post)
        and not post.is_deleted
        and not post.topic.is_deleted
    ]
    ensure_html(shown)  # an older renderer's HTML shown fresh, without writing
    return shown


def _opening_posts(session: Session, user: User, *where: Any) -> list[Post]:
    """The opening posts of the newest visible topics, with what an entry shows, in one
    statement (walking the topics' created_at index backwards)."""
    stmt = (
        select(Post)
        .join(Post.topic)
        .where(
            Post.number == 1,
            permissions.visible_topics(user),
            permissions.searchable_posts(),
            *where,
        )
        .options(
            contains_eager(Post.topic).options(joinedload(Topic.region), joinedload(Topic.theme)),
            joinedload(Post.author),
        )
        .order_by(Topic.created_at.desc(), Topic.id.desc())
        .limit(MAX_ENTRIES)
    )
    return _visible(user, list(session.scalars(stmt).unique()))


def _topic_entry(post: Post) -> Entry:
    topic = post.topic
    return Entry(
        id=_tag(f"post/{post.id}"),
        title=topic.title,
        link=external_url("topics.show", slug=topic.slug, topic_id=topic.id),
        author=post.author.display_name,
        published=post.created_at,
        updated=post.edited_at or post.created_at,
        html=post.html,
        categories=_categories(topic),
    )


def _post_entry(topic: Topic, post: Post) -> Entry:
    if post.is_first:
        title = topic.title
    else:
        title = _("%(title)s – svar %(number)d", title=topic.title, number=post.number - 1)
    return Entry(
        id=_tag(f"post/{post.id}"),
        title=title,
        link=external_url(
            "topics.permalink", slug=topic.slug, topic_id=topic.id, number=post.number
        ),
        author=post.author.display_name,
        published=post.created_at,
        updated=post.edited_at or post.created_at,
        html=post.html,
        categories=_categories(topic),
    )


def _feed(
    user: User, *, specific: str, title: str, link: str, self_link: str, entries: list[Entry]
) -> Feed:
    # An empty feed still needs an updated time, and a stable one (for the ETag): nothing has
    # happened there since the member joined.
    updated = max((entry.updated for entry in entries), default=user.created_at)
    return Feed(
        id=_tag(f"feed/{specific}"),
        title=_("Ledernetværket: %(title)s", title=title),
        link=link,
        self_link=self_link,
        updated=updated,
        language=feed_locale(user),
        entries=entries,
    )


def latest_feed(session: Session, user: User) -> Feed:
    """The newest topics across the network, less what the member muted."""
    hide = following.mute_filter(user, following.mutes(session, user))
    posts = _opening_posts(session, user, *([] if hide is None else [hide]))
    return _feed(
        user,
        specific="latest",
        title=_("Seneste emner"),
        link=external_url("browse.latest"),
        self_link=external_url("feeds.latest", token=feed_token(user)),
        entries=[_topic_entry(post) for post in posts],
    )


def region_feed(session: Session, user: User, region: Region) -> Feed:
    """The newest topics in a region."""
    posts = _opening_posts(session, user, Topic.region_id == region.id)
    return _feed(
        user,
        specific=f"region/{region.id}",
        title=region.name,
        link=external_url("browse.region", slug=region.slug),
        self_link=external_url("feeds.region", token=feed_token(user), slug=region.slug),
        entries=[_topic_entry(post) for post in posts],
    )


def theme_feed(session: Session, user: User, theme: Theme) -> Feed:
    """The newest topics in a theme, across all regions."""
    posts = _opening_posts(session, user, Topic.theme_id == theme.id)
    return _feed(
        user,
        specific=f"theme/{theme.id}",
        title=theme.name,
        link=external_url("browse.theme", slug=theme.slug),
        self_link=external_url("feeds.theme", token=feed_token(user), slug=theme.slug),
        entries=[_topic_entry(post) for post in posts],
    )


def feed_topic(session: Session, user: User, topic_id: int) -> Topic | None:
    """The topic for a topic feed, if the member may see it and it is not deleted."""
    topic = session.scalar(
        select(Topic)
        .where(Topic.id == topic_id)
        .options(joinedload(Topic.region), joinedload(Topic.theme))
    )
    if topic is None or topic.is_deleted or not permissions.can(user, permissions.VIEW, topic):
        return None
    return topic


def topic_feed(session: Session, user: User, topic: Topic) -> Feed:
    """A topic's newest posts (deleted ones left out), newest first."""
    posts = list(
        session.scalars(
            select(Post)
            .where(
                Post.topic_id == topic.id,
                Post.deleted_at.is_(None),
                permissions.visible_posts(user),
            )
            .options(joinedload(Post.author))
            .order_by(Post.number.desc())
            .limit(MAX_ENTRIES)
        )
    )
    return _feed(
        user,
        specific=f"topic/{topic.id}",
        title=topic.title,
        link=external_url("topics.show", slug=topic.slug, topic_id=topic.id),
        self_link=external_url("feeds.topic", token=feed_token(user), topic_id=topic.id),
        entries=[_post_entry(topic, post) for post in _visible(user, posts)],
    )


# -- Atom ------------------------------------------------------------------------------------


def _xml(text: str) -> str:
    """Text XML can carry: what it cannot (a control character in a title) is dropped."""
    return _NOT_XML.sub("", text)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def render_atom(feed: Feed) -> bytes:
    """The feed as an Atom 1.0 document (UTF-8)."""
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(_xml(feed.title))
    generator.updated(_utc(feed.updated))
    generator.link(href=feed.link, rel="alternate", type="text/html")
    generator.link(href=feed.self_link, rel="self", type="application/atom+xml")
    generator.language(feed.language)
    generator.generator(_("Ledernetværket"))
    for item in feed.entries:
        entry = generator.add_entry(order="append")  # feedgen prepends by default
        entry.id(item.id)
        entry.title(_xml(item.title))
        entry.link(href=item.link, rel="alternate", type="text/html")
        entry.author(name=_xml(item.author) or "?")
        entry.published(_utc(item.published))
        entry.updated(_utc(item.updated))
        # type="html": the sanitised HTML travels escaped, as text, and the reader renders it.
        entry.content(_xml(item.html), type="html")
        for term, label in item.categories:
            entry.category(term=term, label=_xml(label))
    return generator.atom_str(pretty=False, encoding="UTF-8", xml_declaration=True)
