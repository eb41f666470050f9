"""Unsubscribing from an e-mail's link: a page to confirm, and the RFC 8058 one-click POST.

Both are open without a login (the link is the permission, and it can only switch e-mail off)
and the POST needs no CSRF token: a mail client's one-click request has none. A GET changes
nothing, because mail scanners open every link in a message.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template
from flask_babel import force_locale

from forum import unsubscribe as domain
from forum.emails import member_locale
from forum.extensions import csrf, db
from forum.models import User

bp = Blueprint("unsubscribe", __name__)


def _page(template: str, user: User, scope: str, token: str) -> Response:
    # In the member's language: they are not logged in, so the request cannot say it.
    with force_locale(member_locale(user)):
        body = render_template(
            template, scope=scope, token=token, subscribed=domain.is_subscribed(user, scope)
        )
    response = make_response(body)
    # The page holds a working link: no cache may keep it (the visitor is not logged in, so
    # the app's own "private, no-store" for members' pages does not apply).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/afmeld/<token>")
def confirm(token: str) -> Response:
    """What the link will stop, and a button; nothing changes until it is pressed."""
    user, scope = domain.read(db.session, token)
    return _page("unsubscribe/confirm.html", user, scope, token)


@bp.post("/afmeld/<token>")
@csrf.exempt
def apply(token: str) -> Response:
    """Switch the e-mail off: the confirm page's button, or a mail client's one-click POST
    (body ``List-Unsubscribe=One-Click``); either way 200 and a page saying it is done."""
    user, scope = domain.apply(db.session, token)
    db.session.commit()
    return _page("unsubscribe/done.html", user, scope, token)
