"""Jinja filters and globals: Danish dates and numbers, the permission policy, labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import (
    TIMEDELTA_UNITS,
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from flask import Flask, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_number,
    format_timedelta,
    get_locale,
    get_timezone,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from forum import following, meetings, permissions
from forum.models import PinScope, Role, TopicKind
from forum.timeutil import utcnow
from forum.topics import KIND_LABELS
from forum.urls import ID, SLUG, pattern

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


# Babel's relative time depends only on the unit, the rounded number and the direction, but
# working it out walks the locale's data every time (a third of a list row's cost): the text
# is made by Babel once per (language, unit, number, direction) and then looked up.
_RELATIVE_TEXTS: dict[tuple[str, str, int, bool], str] = {}
_RELATIVE_THRESHOLD = 0.85  # Babel's default: 0.85 of a unit already counts as one


def relative_time(delta: timedelta) -> str:
    """'for 3 timer siden' / 'om 2 dage': Babel's wording (minutes at the finest), cached."""
    seconds = delta.total_seconds()
    unit, value = "minute", 0
    # The same rounding as babel.dates.format_timedelta, so the cache key decides the text.
    for unit, per_unit in TIMEDELTA_UNITS:
        amount = abs(seconds) / per_unit
        if amount >= _RELATIVE_THRESHOLD or unit == "minute":
            if unit == "minute" and amount > 0:
                amount = max(1, amount)
            value = int(round(amount))
            break
    key = (str(get_locale()), unit, value, seconds >= 0)
    text = _RELATIVE_TEXTS.get(key)
    if text is None:
        if len(_RELATIVE_TEXTS) > 10_000:  # bounded whatever dates come in
            _RELATIVE_TEXTS.clear()
        text = format_timedelta(
            delta, add_direction=True, granularity="minute", threshold=_RELATIVE_THRESHOLD
        )
        _RELATIVE_TEXTS[key] = text
    return text


_EXACT_PATTERNS: dict[str, tuple[str, DateTimePattern, DateTimePattern]] = {}


def exact_time(value: datetime) -> str:
    """What ``format_datetime(value, "medium")`` says ('2. dec. 2026 09.22.53'), for a naive
    UTC time, without looking the locale's patterns up again for every row of a list."""
    locale = get_locale()
    name = str(locale)
    patterns = _EXACT_PATTERNS.get(name)
    if patterns is None:
        # The same parts, glued the same way, as babel.dates.format_datetime uses.
        patterns = (
            str(get_datetime_format("medium", locale=locale)).replace("'", ""),
            get_date_format("medium", locale=locale),
            get_time_format("medium", locale=locale),
        )
        _EXACT_PATTERNS[name] = patterns
    glue, date_pattern, time_pattern = patterns
    local = value.replace(tzinfo=UTC).astimezone(get_timezone())
    return glue.replace("{0}", time_pattern.apply(local, locale)).replace(
        "{1}", date_pattern.apply(local, locale)
    )


def ago_filter(value: datetime | None) -> Markup:
    """'for 3 timer siden' with the exact time as a tooltip and machine-readable datetime."""
    if value is None:
        return Markup("")
    text = relative_time(value - utcnow())
    # Built with escape() rather than Markup.format, which costs as much as the rest of the
    # row's time formatting; the ISO time is digits and punctuation only.
    iso = value.isoformat(timespec="seconds")
    return Markup(
        f'<time datetime="{iso}Z" title="{escape(exact_time(value))}">{escape(text)}</time>'
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


def url_with(
    _endpoint: str | None = None, _values: dict[str, object] | None = None, **changes: object
) -> str:
    """The current page's URL with some query arguments changed (for pagination links).

    ``_endpoint`` with its path arguments ``_values`` names the page to link to instead, for a
    page shown at an address that decides what it shows itself: a post's permalink picks the
    page of its post (``?page`` would be ignored), a form's POST is no page to link to."""
    current = dict(request.view_args or {})
    view_args = current if _endpoint is None else dict(_values or {})
    args = query_args(exclude={**current, **view_args})
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    return url_for(_endpoint or request.endpoint or "browse.latest", **view_args, **args)


def topic_url(topic: object, **kwargs: object) -> str:
    """A topic's page: /t/<slug>/<id> (built from the request's pattern when plain)."""
    if kwargs:
        return url_for("topics.show", slug=topic.slug, topic_id=topic.id, **kwargs)  # type: ignore[attr-defined]
    return pattern("topics.show", slug=SLUG, topic_id=ID)(topic.slug, topic.id)  # type: ignore[attr-defined]


def post_url(post: object, topic: object | None = None) -> str:
    """A post's permalink: /t/<slug>/<id>/<number>."""
    topic = topic or post.topic  # type: ignore[attr-defined]
    return pattern("topics.permalink", slug=SLUG, topic_id=ID, number=ID)(
        topic.slug,  # type: ignore[attr-defined]
        topic.id,  # type: ignore[attr-defined]
        post.number,  # type: ignore[attr-defined]
    )


class RowKit:
    """What every row of a topic list needs besides its topic, worked out once per request:
    the links' patterns (forum.urls) and the labels in the reader's language. Asked per row,
    url_for and gettext were most of a list page's template time (30 rows, some 250 calls)."""

    def __init__(self) -> None:
        self.topic = pattern("topics.show", slug=SLUG, topic_id=ID)
        self.post = pattern("topics.permalink", slug=SLUG, topic_id=ID, number=ID)
        self.region = pattern("browse.region", slug=SLUG)
        self.theme = pattern("browse.theme", slug=SLUG)
        self.profile = pattern("users.profile", username=SLUG)
        self.kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
        self.new = gettext("ny")
        self.unread_title = gettext("Ulæste indlæg")
        self.pinned = gettext("Fastgjort")
        self.answered = gettext("Besvaret")
        self.locked = gettext("Låst")
        self.replies_title = gettext("Svar")
        self._counts: dict[tuple[str, int], str] = {}

    def replies(self, n: int) -> str:
        """ "3 svar", translated once per number on the page."""
        key = ("replies", n)
        text = self._counts.get(key)
        if text is None:
            text = self._counts[key] = ngettext("%(num)d svar", "%(num)d svar", n)
        return text

    def unread(self, n: int) -> str:
        """ "2 ulæste", translated once per number on the page."""
        key = ("unread", n)
        text = self._counts.get(key)
        if text is None:
            text = self._counts[key] = ngettext("%(num)d ulæst", "%(num)d ulæste", n)
        return text


def row_kit() -> RowKit:
    """The request's RowKit (made on first use, kept with the request as its patterns are)."""
    kit = request.environ.get("forum.row_kit")
    if kit is None:
        kit = request.environ["forum.row_kit"] = RowKit()
    return kit


_FEEDS = {
    "feeds.latest": "latest.atom",
    "feeds.region": "region/{slug}.atom",
    "feeds.theme": "tema/{slug}.atom",
    "feeds.topic": "t/{topic_id}.atom",
}


def feed_url(endpoint: str, **values: object) -> str:
    """Where a page links to its feed: /mit-feed/…, which sends the logged-in member on to
    their own address (forum.blueprints.feeds.mine), so that the token is not in the page."""
    return url_for("feeds.mine", feed=_FEEDS[endpoint].format(**values))


def meeting_url(meeting: object, **kwargs: object) -> str:
    """A meeting's page: /moeder/<id>-<slug> (built from the request's pattern when plain)."""
    if kwargs:
        return url_for("meetings.show", meeting_id=meeting.id, slug=meeting.slug, **kwargs)  # type: ignore[attr-defined]
    return pattern("meetings.show", meeting_id=ID, slug=SLUG)(meeting.id, meeting.slug)  # type: ignore[attr-defined]


def file_url(attachment: object, **kwargs: object) -> str:
    """A file's download address: /filer/<id>/<its name>."""
    return url_for(
        "files.download",
        attachment_id=attachment.id,  # type: ignore[attr-defined]
        name=attachment.filename,  # type: ignore[attr-defined]
        **kwargs,
    )


def filesize_filter(size: int) -> str:
    """Bytes as members read them: "830 kB", "2,4 MB" (in the current locale)."""
    from flask_babel import format_decimal

    if size < 1000 * 1000:
        return f"{format_decimal(max(1, round(size / 1000)))} kB"
    return f"{format_decimal(round(size / 1_000_000, 1))} MB"


def number_filter(value: object) -> str:
    """A count in the reader's locale ("1.234" in Danish); below a thousand no locale writes
    it differently, so those (nearly every count on a page) skip Babel's formatter."""
    if isinstance(value, int) and 0 <= value < 1000:
        return str(value)
    return format_number(value)


def bell_count() -> int:
    """The header bell: the member's unread notifications (one small count per page)."""
    from flask_login import current_user

    from forum import notify
    from forum.extensions import db

    if not current_user.is_authenticated:
        return 0
    return notify.bell_count(db.session, current_user)


def register(app: Flask) -> None:
    """Install filters and globals on the app."""
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(ago_filter, "ago")
    app.add_template_filter(number_filter, "number")
    app.add_template_global(permissions.can, "can")
    app.add_template_global(permissions, "perm")
    app.add_template_global(url_with, "url_with")
    app.add_template_global(topic_url, "topic_url")
    app.add_template_global(post_url, "post_url")
    app.add_template_global(row_kit, "row_kit")
    app.add_template_global(feed_url, "feed_url")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_global(KIND_LABELS, "KIND_LABELS")
    app.add_template_global(ROLE_LABELS, "ROLE_LABELS")
    app.add_template_global(PIN_LABELS, "PIN_LABELS")
    app.add_template_global(TopicKind, "TopicKind")
    app.add_template_global(bell_count, "bell_count")
    app.add_template_global(following.LEVEL_LABELS, "LEVEL_LABELS")
    app.add_template_global(following, "following")
    app.add_template_global(meeting_url, "meeting_url")
    app.add_template_global(file_url, "file_url")
    app.add_template_filter(filesize_filter, "filesize")
    app.add_template_global(meetings.KIND_LABELS, "MEETING_KIND_LABELS")
    app.add_template_filter(meetings.when_label, "meeting_when")
