"""Meetings as iCalendar (RFC 5545): one meeting to download, or a calendar to subscribe to.

Times are written as Copenhagen wall-clock times with ``TZID=Europe/Copenhagen`` and one
VTIMEZONE for the years the meetings fall in, so a calendar shows 9.30 as 9.30 on both sides
of a daylight-saving change. Each meeting keeps one ``UID`` for life, and its ``SEQUENCE``
(bumped by every change in forum.meetings) tells a calendar that has it which copy is newer;
a cancelled meeting stays in the calendar as ``STATUS:CANCELLED`` so it disappears from the
member's own calendar, while a deleted one is simply left out.

The output depends only on the meetings (``DTSTAMP`` is the last change, not the time of the
request), so the same calendar is byte for byte the same until something changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vDuration, vText

from forum import markup
from forum.meetings import COPENHAGEN, KIND_LABELS, to_local
from forum.models import Meeting

TZID = "Europe/Copenhagen"
PRODID = "-//Ledernetvaerket//Forum//DA"
# How often a subscribed calendar should fetch the feed again (clients may ask less often).
REFRESH = timedelta(hours=1)
# The agenda's share of an event's DESCRIPTION, in characters of plain text.
AGENDA_LIMIT = 3000
# How much of an agenda's cached HTML is read for that: plenty for the text of all but the
# most link-dense agendas, and a calendar of many long agendas stays quick.
AGENDA_HTML_LIMIT = 8 * AGENDA_LIMIT
# Bounds for the short fields: the columns' sizes, in case a model comes from elsewhere.
SUMMARY_LIMIT = 200
LOCATION_LIMIT = 500
NAME_LIMIT = 200
DESCRIPTION_LIMIT = 1000
URL_LIMIT = 2000
# The VTIMEZONE lists every transition in the years it covers; no calendar needs centuries.
_FIRST_YEAR, _LAST_YEAR, _MAX_YEARS = 1970, 2200, 60

# RFC 5545 TEXT allows no control characters but tab (newlines are written escaped);
# lone surrogates cannot be written as UTF-8 at all.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NEWLINES = re.compile(r"\r\n?")
_NOT_URL = re.compile(r"[\x00-\x20\x7f]")
_TRAILING = " \t\n,;:.-\u2013\u2014"
_NOT_FILENAME = re.compile(r"[^a-z0-9-]+")


def calendar_bytes(
    meetings: Iterable[Meeting],
    *,
    name: str,
    link: Callable[[Meeting], str],
    description: str = "",
) -> bytes:
    """These meetings (deleted ones left out) as an iCalendar file, in the order given;
    ``link`` gives each meeting's page."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # X-WR-* are not in icalendar's type table: written as TEXT, or nothing would escape them.
    calendar.add("X-WR-CALNAME", vText(_one_line(name, NAME_LIMIT)))
    calendar.add("X-WR-TIMEZONE", TZID)
    if description.strip():
        calendar.add("X-WR-CALDESC", vText(_one_line(description, DESCRIPTION_LIMIT)))
    # RFC 7986 for the clients that read it, X-PUBLISHED-TTL for Outlook and older ones.
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    years: list[int] = []
    seen: set[int] = set()
    for meeting in meetings:
        # One event per UID: a calendar program keeps only one of two anyway.
        if meeting.is_deleted or meeting.id in seen:
            continue
        seen.add(meeting.id)
        calendar.add_component(_event(meeting, link(meeting)))
        years += (meeting.starts_at.year, meeting.ends_at.year)
    if years:
        # Before the events, as RFC 5545 readers that read in one pass need it.
        calendar.subcomponents.insert(0, _timezone(min(years), max(years)))
    return calendar.to_ical()


def meeting_filename(meeting: Meeting) -> str:
    """A safe ASCII file name for one meeting's calendar: ``moede-12-netvaerksmoede.ics``."""
    slug = _NOT_FILENAME.sub("-", (meeting.slug or "").lower()).strip("-")[:60].rstrip("-")
    return f"moede-{meeting.id}-{slug}.ics" if slug else f"moede-{meeting.id}.ics"


def meeting_uid(meeting: Meeting) -> str:
    """The meeting's UID: its id on the forum's host, never changed by an edit."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"meeting-{meeting.id}@{host}"


def _event(meeting: Meeting, page: str) -> Event:
    event = Event()
    event.add("UID", meeting_uid(meeting))
    event.add("SEQUENCE", meeting.sequence or 0)
    changed = _utc(meeting.updated_at or meeting.created_at)
    event.add("DTSTAMP", changed)
    if meeting.created_at is not None:
        event.add("CREATED", _utc(meeting.created_at))
    event.add("LAST-MODIFIED", changed)
    event.add("DTSTART", to_local(meeting.starts_at))
    event.add("DTEND", to_local(meeting.ends_at))
    # As typed (a validated title is one line already); icalendar escapes what TEXT must.
    title = _cut(_text(meeting.title), SUMMARY_LIMIT)
    if meeting.is_cancelled:
        event.add("STATUS", "CANCELLED")
        title = _("Aflyst: %(title)s", title=title)
    else:
        event.add("STATUS", "CONFIRMED")
    event.add("SUMMARY", title)
    online = _url(meeting.online_url or "")
    location = _one_line(meeting.place or "", LOCATION_LIMIT) or online
    if location:
        event.add("LOCATION", location)
    page = _url(page)
    if page:
        event.add("URL", page)
    kind = str(KIND_LABELS.get(meeting.kind, meeting.kind))
    event.add("CATEGORIES", [kind])
    event.add("DESCRIPTION", _description(meeting, kind, online, page))
    return event


def _description(meeting: Meeting, kind: str, online: str, page: str) -> str:
    """Kind, online link, agenda and the meeting page, as paragraphs of plain text."""
    head = [kind]
    if meeting.is_cancelled:
        head.append(_("Mødet er aflyst."))
    if online:
        head.append(_("Onlinemøde: %(url)s", url=online))
    parts = ["\n".join(head)]
    agenda = _agenda_text(meeting)
    if agenda:
        parts.append(agenda)
    if page:
        parts.append(_("Mødesiden: %(url)s", url=page))
    return "\n\n".join(parts)


def _agenda_text(meeting: Meeting) -> str:
    # The cached HTML when it is current (a calendar of many meetings must not render each
    # agenda again); it is what forum.markup.plain_text would derive the text from anyway.
    if not meeting.agenda:
        return ""
    if meeting.agenda_html_version != markup.RENDERER_VERSION:
        return _text(markup.plain_text(meeting.agenda, limit=AGENDA_LIMIT)).strip()
    html = meeting.agenda_html
    shortened = len(html) > AGENDA_HTML_LIMIT
    if shortened:
        # Only the beginning is read (to the end of a tag): the rest would be cut away anyway.
        html = html[: html.rfind(">", 0, AGENDA_HTML_LIMIT) + 1]
    text = _cut(_text(markup.text_of_html(html)).strip(), AGENDA_LIMIT)
    if shortened and not text.endswith("…"):
        text = text.rstrip(_TRAILING) + " …"
    return text


def _text(value: str) -> str:
    return _CONTROL.sub("", _NEWLINES.sub("\n", value))


def _one_line(value: str, limit: int) -> str:
    return _cut(" ".join(_text(value).split()), limit)


def _cut(value: str, limit: int) -> str:
    """At most ``limit`` characters, the last one '…' when something was cut."""
    if len(value) <= limit:
        return value
    head = value[: limit - 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > limit // 2:  # at a word boundary, unless that loses half
        head = head[:space]
    return head.rstrip(_TRAILING) + "…"


def _url(value: str) -> str:
    """A link as a URI value: nothing a content line cannot carry (icalendar refuses CR/LF)."""
    value = _NOT_URL.sub("", _CONTROL.sub("", value))
    return value if len(value) <= URL_LIMIT else ""


def _utc(value: datetime) -> datetime:
    """A stored (naive UTC) time, aware, so it is written with a Z."""
    return value.replace(tzinfo=UTC)


def _timezone(first_year: int, last_year: int) -> Timezone:
    """Europe/Copenhagen's VTIMEZONE for these years (bounded, whatever years are stored)."""
    first = min(max(first_year, _FIRST_YEAR), _LAST_YEAR)
    last = min(max(last_year, first), first + _MAX_YEARS, _LAST_YEAR)
    return Timezone.from_ical(_timezone_ical(first, last))


@lru_cache(maxsize=32)
def _timezone_ical(first_year: int, last_year: int) -> bytes:
    # icalendar walks the zone's transitions to build this; cached as bytes, as a component
    # is mutable and one must not be shared between calendars.
    return Timezone.from_tzinfo(
        COPENHAGEN, TZID, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    ).to_ical()
