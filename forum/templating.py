"""Jinja filters and globals: Danish dates and numbers, the permission policy, labels."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_number, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from forum import permissions
from forum.models import PinScope, Role, TopicKind
from forum.timeutil import utcnow
from forum.topics import KIND_LABELS

ROLE_LABELS = {
    Role.MEMBER: _l("Deltager"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.ADMIN: _l("Administrator"),
}

PIN_LABELS = {
    PinScope.GLOBAL: _l("Forsiden"),
    PinScope.REGION: _l("Regionen"),
    PinScope.THEME: _l("Temaet"),
}


def datetime_filter(value: datetime | None, style: str = "medium") -> str:
    """'12. mar. 2025 14.05' in the member's language and Danish time."""
    if value is None:
        return ""
    return format_datetime(value, style)


def date_filter(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, style)


def ago_filter(value: datetime | None) -> Markup:
    """'for 3 timer siden' with the exact time as a tooltip and machine-readable datetime."""
    if value is None:
        return Markup("")
    delta = value - utcnow()
    text = format_timedelta(delta, add_direction=True, granularity="minute")
    return Markup('<time datetime="{iso}Z" title="{exact}">{text}</time>').format(
        iso=value.isoformat(timespec="seconds"), exact=format_datetime(value, "medium"), text=text
    )


def query_args(exclude: dict[str, object] | None = None) -> dict[str, str]:
    """The request's query arguments that are safe to pass on to ``url_for``.

    Names of view arguments and url_for's own ``_external``-style keywords are dropped, so
    that ``?slug=x`` or ``?_method=POST`` cannot break (or redirect) the URL being built.
    """
    reserved = set(exclude or {})
    return {
        key: value
        for key, value in request.args.items()
        if not key.startswith("_") and key not in reserved
    }


def url_with(**changes: object) -> str:
    """The current page's URL with some query arguments changed (for pagination links)."""
    view_args = dict(request.view_args or {})
    args = query_args(exclude=view_args)
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    return url_for(request.endpoint or "browse.latest", **view_args, **args)


def topic_url(topic: object, **kwargs: object) -> str:
    return url_for("topics.show", slug=topic.slug, topic_id=topic.id, **kwargs)  # type: ignore[attr-defined]


def post_url(post: object, topic: object | None = None) -> str:
    topic = topic or post.topic  # type: ignore[attr-defined]
    return url_for(
        "topics.permalink",
        slug=topic.slug,  # type: ignore[attr-defined]
        topic_id=topic.id,  # type: ignore[attr-defined]
        number=post.number,  # type: ignore[attr-defined]
    )


def register(app: Flask) -> None:
    """Install filters and globals on the app."""
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(ago_filter, "ago")
    app.add_template_filter(format_number, "number")
    app.add_template_global(permissions.can, "can")
    app.add_template_global(permissions, "perm")
    app.add_template_global(url_with, "url_with")
    app.add_template_global(topic_url, "topic_url")
    app.add_template_global(post_url, "post_url")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_global(KIND_LABELS, "KIND_LABELS")
    app.add_template_global(ROLE_LABELS, "ROLE_LABELS")
    app.add_template_global(PIN_LABELS, "PIN_LABELS")
    app.add_template_global(TopicKind, "TopicKind")
