"""Atom feeds, authenticated by the member's feed token alone, and renewing that token.

Feed readers have no session: the feed endpoints are public (forum.PUBLIC_ENDPOINTS) and the
token in the URL says whose feed it is, whoever asks. They start no session and set no
cookie, and answer anything wrong (a forged or renewed token, an unknown place, a topic the
member may not see, any other address under /feeds) with the same bare 404.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from forum import feeds
from forum.errors import NotFound
from forum.extensions import db
from forum.models import User
from forum.places import region_by_slug, theme_by_slug
from forum.urls import external_url, post_number

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
# The endpoints a feed reader calls without a session (the lead lists them as public).
FEED_ENDPOINTS = frozenset(
    {"feeds.latest", "feeds.region", "feeds.theme", "feeds.topic", "feeds.not_found"}
)


def _not_found() -> Response:
    # Plain text, not the HTML error page: that page is drawn for a browser with a session.
    return Response(_("Feedet findes ikke."), status=404, mimetype="text/plain")


def _serve(token: str, build: Callable[[User], feeds.Feed | None]) -> Response:
    """The feed ``build`` makes for the token's member, in their language; 404 if none."""
    member = feeds.member_for_token(db.session, token)
    if member is None:
        return _not_found()
    with force_locale(feeds.feed_locale(member)):
        try:
            feed = build(member)
        except NotFound:
            feed = None
        if feed is None:
            return _not_found()
        body = feeds.render_atom(feed)
    response = Response(body, status=200)
    response.headers["Content-Type"] = ATOM
    # Only the member's own reader may keep it, and must ask again (cheaply: 304) each time.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # An ETag of the document itself, and no Last-Modified: an entry can appear with an older
    # date (a topic restored, a region no longer muted), which If-Modified-Since would miss.
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/feeds/<token>/latest.atom")
def latest(token: str) -> Response:
    """The newest topics across the network, less what the member muted."""
    return _serve(token, lambda member: feeds.latest_feed(db.session, member))


@bp.route("/feeds/<token>/region/<slug>.atom")
def region(token: str, slug: str) -> Response:
    """The newest topics in a region."""
    return _serve(
        token,
        lambda member: feeds.region_feed(db.session, member, region_by_slug(db.session, slug)),
    )


@bp.route("/feeds/<token>/tema/<slug>.atom")
def theme(token: str, slug: str) -> Response:
    """The newest topics in a theme."""
    return _serve(
        token, lambda member: feeds.theme_feed(db.session, member, theme_by_slug(db.session, slug))
    )


# Not <int:topic_id>: an id out of range would then be a routing 404, answered with the HTML
# error page (which starts a session) instead of the feeds' own bare 404.
@bp.route("/feeds/<token>/t/<topic_id>.atom")
def topic(token: str, topic_id: str) -> Response:
    """A topic's newest posts."""
    try:
        wanted = post_number(topic_id) if topic_id.isascii() and topic_id.isdigit() else None
    except ValueError:  # 0, or beyond the largest id
        wanted = None

    def build(member: User) -> feeds.Feed | None:
        the_topic = None if wanted is None else feeds.feed_topic(db.session, member, wanted)
        return None if the_topic is None else feeds.topic_feed(db.session, member, the_topic)

    return _serve(token, build)


@bp.route("/feeds/<path:rest>")
def not_found(rest: str) -> Response:
    """Any other address under /feeds (a topic id out of range, a typo): the same bare 404,
    rather than the HTML error page, which would start a session."""
    return _not_found()


# What a page links to instead of its feed's own address, which carries the member's token:
# /mit-feed/<feed> (for a logged-in member) answers with a redirect to the member's address.
# The token so never stands in a page's HTML (screenshots, saved pages, add-ons); the
# browser shows the address to copy into a feed reader once the member asks for it.
MINE = frozenset({"feeds.latest", "feeds.region", "feeds.theme", "feeds.topic"})


@bp.route("/mit-feed/<path:feed>")
def mine(feed: str) -> Response:
    """The logged-in member's own address of ``feed`` ("latest.atom", "region/<slug>.atom",
    "tema/<slug>.atom", "t/<id>.atom"), as a redirect; anything else is not found."""
    token = feeds.feed_token(current_user)
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(f"/feeds/{token}/{feed}", method="GET")
    except HTTPException:
        endpoint, values = "", {}
    if endpoint == "feeds.topic":  # its id is checked by the feed itself; here too
        try:
            post_number(str(values["topic_id"]))
        except ValueError:
            endpoint = ""
    if endpoint not in MINE:
        raise NotFound(_("Feedet findes ikke."))
    response = redirect(external_url(endpoint, **values))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/indstillinger/feed/forny", methods=["POST"])
def renew():  # type: ignore[no-untyped-def]
    """Give the member new feed URLs; the old ones stop working."""
    feeds.renew_token(db.session, current_user._get_current_object())
    db.session.commit()
    flash(_("Dine feed-adresser er fornyet. De gamle adresser virker ikke længere."), "success")
    return redirect(url_for("users.preferences", _anchor="feeds"))
