"""Meeting calendars: every calendar is read back as a calendar program reads it
(``icalendar.Calendar.from_ical``), and checked in the raw bytes where escaping matters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from icalendar.parser import unescape_backslash

from forum import calendars, markup, places
from forum import meetings as domain
from forum.models import Meeting
from forum.timeutil import utcnow

BASE_URL = "https://ledernet.example.dk"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINTER = date(2027, 3, 12)  # UTC+1
SUMMER = date(2027, 6, 10)  # UTC+2


@pytest.fixture(autouse=True)
def base_url(app):  # type: ignore[no-untyped-def]
    app.config["BASE_URL"] = BASE_URL
    return BASE_URL


def _input(session, **changes):  # type: ignore[no-untyped-def]
    values = {
        "title": "Netværksmøde i Region Midtjylland",
        "kind": "netvaerksmoede",
        "region": places.region_by_slug(session, "midtjylland"),
        "themes": [places.theme_by_slug(session, "netvaerksanbringelser")],
        "day": WINTER,
        "starts": time(9, 30),
        "ends": time(15, 0),
        "place": "Aarhus Rådhus, Rådhuspladsen 2",
        "agenda": "1. Velkomst\n2. Oplæg om **netværksanbringelser**",
    }
    values.update(changes)
    return domain.MeetingInput(**values)


def _meeting(session, facilitator, **changes) -> Meeting:  # type: ignore[no-untyped-def]
    return domain.create_meeting(session, facilitator, _input(session, **changes))


def _link(meeting: Meeting) -> str:
    return f"{BASE_URL}/moeder/{meeting.id}-{meeting.slug}"


def _calendar(meetings, **kwargs) -> Calendar:  # type: ignore[no-untyped-def]
    kwargs.setdefault("name", "Møder i Ledernetværket")
    return Calendar.from_ical(_bytes(meetings, **kwargs))


def _bytes(meetings, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    kwargs.setdefault("name", "Møder i Ledernetværket")
    return calendars.calendar_bytes(meetings, link=_link, **kwargs)


def _unescaped(value: object) -> str:
    """An X-WR-* value as text (icalendar reads unknown properties as they are written)."""
    return unescape_backslash(str(value))


def _event(meeting: Meeting):  # type: ignore[no-untyped-def]
    (event,) = _calendar([meeting]).walk("VEVENT")
    return event


def test_the_calendar_says_what_it_is_and_how_often_to_refresh(session, facilitator):
    raw = _bytes(
        [_meeting(session, facilitator)], name="Møder; Midtjylland, alle", description="Kalender"
    )
    calendar = Calendar.from_ical(raw)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert calendar["PRODID"] == calendars.PRODID
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Copenhagen"
    assert calendar["X-WR-CALDESC"] == "Kalender"
    # Written as TEXT: the semicolon and comma escaped (and read back as the name).
    assert b"X-WR-CALNAME:M\xc3\xb8der\\; Midtjylland\\, alle\r\n" in raw
    assert _unescaped(calendar["X-WR-CALNAME"]) == "Møder; Midtjylland, alle"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in raw
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)


def test_no_description_no_caldesc_and_an_empty_calendar_is_still_a_calendar(app):
    calendar = _calendar([])
    assert "X-WR-CALDESC" not in calendar
    assert calendar.walk("VEVENT") == [] and calendar.walk("VTIMEZONE") == []


def test_times_are_copenhagen_wall_clock_in_winter_and_in_summer(session, facilitator):
    winter = _meeting(session, facilitator, day=WINTER)
    summer = _meeting(session, facilitator, day=SUMMER, title="Workshop om familiepleje")
    # Stored in UTC: an hour earlier in winter, two in summer.
    assert winter.starts_at == datetime(2027, 3, 12, 8, 30)
    assert summer.starts_at == datetime(2027, 6, 10, 7, 30)
    raw = _bytes([winter, summer])
    calendar = Calendar.from_ical(raw)

    (timezone,) = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Copenhagen"
    # It comes before the events that use it.
    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")
    assert b"DTSTART;TZID=Europe/Copenhagen:20270312T093000\r\n" in raw
    assert b"DTSTART;TZID=Europe/Copenhagen:20270610T093000\r\n" in raw
    assert b"DTEND;TZID=Europe/Copenhagen:20270610T150000\r\n" in raw

    events = {event["UID"]: event for event in calendar.walk("VEVENT")}
    for meeting, utc_hour in ((winter, 8), (summer, 7)):
        event = events[calendars.meeting_uid(meeting)]
        assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (9, 30)
        assert start.astimezone(ZoneInfo("UTC")).hour == utc_hour
        assert event.decoded("DTEND").time() == time(15, 0)

    # The VTIMEZONE itself (for a program that does not know the zone's name) gives the same
    # offsets: +1 in March before the change, +2 in June.
    own = timezone.to_tz(lookup_tzid=False)
    assert own.utcoffset(datetime(2027, 3, 12, 9, 30)) == timedelta(hours=1)
    assert own.utcoffset(datetime(2027, 6, 10, 9, 30)) == timedelta(hours=2)
    assert own.utcoffset(datetime(2027, 12, 1, 9, 30)) == timedelta(hours=1)


def test_the_timezone_covers_the_years_of_the_meetings(session, facilitator):
    meetings = [
        _meeting(session, facilitator, day=date(2026, 11, 5)),
        _meeting(session, facilitator, day=date(2029, 7, 1)),
    ]
    (timezone,) = _calendar(meetings).walk("VTIMEZONE")
    own = timezone.to_tz(lookup_tzid=False)
    assert own.utcoffset(datetime(2026, 7, 1, 12)) == timedelta(hours=2)
    assert own.utcoffset(datetime(2029, 7, 1, 12)) == timedelta(hours=2)
    assert own.utcoffset(datetime(2029, 11, 1, 12)) == timedelta(hours=1)


def test_far_off_years_are_bounded(session, facilitator):
    """A year the form refuses (stored some other way) must not make a VTIMEZONE of
    thousands of transitions, or fail."""
    early, late = _meeting(session, facilitator), _meeting(session, facilitator)
    early.starts_at, early.ends_at = datetime(1, 1, 2, 8), datetime(1, 1, 2, 14)
    late.starts_at, late.ends_at = datetime(9999, 12, 30, 8), datetime(9999, 12, 30, 14)
    raw = _bytes([early, late])
    assert len(raw) < 30_000
    calendar = Calendar.from_ical(raw)
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert len(calendar.walk("VEVENT")) == 2


def test_the_uid_stays_and_the_sequence_counts_every_change(session, facilitator):
    meeting = _meeting(session, facilitator)
    first = _event(meeting)
    assert first["UID"] == f"meeting-{meeting.id}@ledernet.example.dk"
    assert first["SEQUENCE"] == 0
    assert first["STATUS"] == "CONFIRMED"

    meeting.updated_at = utcnow() - timedelta(minutes=5)  # so that the change is visible
    before = meeting.updated_at
    domain.update_meeting(
        session, facilitator, meeting, _input(session, title="Nyt navn til mødet", day=SUMMER)
    )
    changed = _event(meeting)
    assert changed["UID"] == first["UID"]
    assert changed["SEQUENCE"] == 1
    assert changed["SUMMARY"] == "Nyt navn til mødet"
    assert changed.decoded("LAST-MODIFIED") > before.replace(tzinfo=ZoneInfo("UTC"))
    assert changed.decoded("DTSTAMP") == changed.decoded("LAST-MODIFIED")
    assert changed.decoded("CREATED") == first.decoded("CREATED")

    domain.cancel_meeting(session, facilitator, meeting)
    cancelled = _event(meeting)
    assert cancelled["UID"] == first["UID"]
    assert cancelled["SEQUENCE"] == 2
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SUMMARY"] == "Aflyst: Nyt navn til mødet"
    assert "Mødet er aflyst." in cancelled["DESCRIPTION"]

    domain.reopen_meeting(session, facilitator, meeting)
    reopened = _event(meeting)
    assert (reopened["SEQUENCE"], reopened["STATUS"]) == (3, "CONFIRMED")


def test_the_same_meetings_give_the_same_bytes(session, facilitator):
    """Nothing in the output depends on the time of the request, so a client's copy can be
    compared (ETag) with the next one."""
    meeting = _meeting(session, facilitator)
    assert _bytes([meeting]) == _bytes([meeting])


def test_a_deleted_meeting_is_left_out_and_none_comes_twice(session, facilitator):
    kept = _meeting(session, facilitator)
    gone = _meeting(session, facilitator, title="Workshop der blev slettet")
    gone.deleted_at = utcnow()
    session.flush()
    calendar = _calendar([kept, gone, kept])
    assert [event["UID"] for event in calendar.walk("VEVENT")] == [calendars.meeting_uid(kept)]
    assert b"slettet" not in _bytes([kept, gone])
    assert _calendar([gone]).walk("VTIMEZONE") == []


def test_what_the_event_says(session, facilitator):
    meeting = _meeting(
        session, facilitator, kind="workshop", online_url="https://teams.example.dk/m/1"
    )
    event = _event(meeting)
    assert event["SUMMARY"] == "Netværksmøde i Region Midtjylland"
    assert event["LOCATION"] == "Aarhus Rådhus, Rådhuspladsen 2"
    assert event["URL"] == _link(meeting)
    assert event.categories == ["Workshop"]
    description = event["DESCRIPTION"]
    assert description.startswith("Workshop\nOnlinemøde: https://teams.example.dk/m/1\n\n")
    assert "1. Velkomst" in description and "netværksanbringelser" in description
    assert "**" not in description  # plain text, not Markdown
    assert description.endswith(f"Mødesiden: {_link(meeting)}")


def test_an_online_meeting_has_its_link_as_location(session, facilitator):
    meeting = _meeting(
        session, facilitator, place="", online_url="https://teams.example.dk/m/2", agenda=""
    )
    event = _event(meeting)
    assert event["LOCATION"] == "https://teams.example.dk/m/2"
    assert event["DESCRIPTION"] == (
        f"Netværksmøde\nOnlinemøde: https://teams.example.dk/m/2\n\nMødesiden: {_link(meeting)}"
    )


def test_a_stale_agenda_cache_is_not_shown(session, facilitator):
    """After a renderer change the agenda comes from its source, not the old HTML."""
    meeting = _meeting(session, facilitator)
    meeting.agenda_html = "<p>gammel</p>"
    meeting.agenda_html_version = markup.RENDERER_VERSION - 1
    description = _event(meeting)["DESCRIPTION"]
    assert "gammel" not in description and "1. Velkomst" in description


@pytest.mark.parametrize(
    "title",
    [
        "Møde; med semikolon, komma\nog ny linje",
        "Bagstreg \\ og \\n bogstaveligt, kolon: og ; igen",
        'Citat "her" og <b>ikke fed</b>',
    ],
)
def test_titles_with_special_characters_round_trip(session, facilitator, title):
    meeting = _meeting(session, facilitator)
    meeting.title = title  # past validation, which would make it one line
    meeting.place = "Sal 1; 2. sal, Rådhuset"
    raw = _bytes([meeting])
    # Every content line is one line: nothing the title holds breaks out of SUMMARY.
    for line in raw.split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert event["SUMMARY"] == title
    assert event["LOCATION"] == "Sal 1; 2. sal, Rådhuset"
    assert event["UID"] == calendars.meeting_uid(meeting)


def test_control_characters_are_dropped(session, facilitator):
    meeting = _meeting(session, facilitator)
    meeting.title = "Møde\x00 med\x07 kontrol\r\ntegn\x1b"
    meeting.place = "Sted\x0b\x0c her"
    raw = _bytes([meeting])
    assert not any(byte < 0x20 and byte not in (0x0D, 0x0A, 0x09) for byte in raw)
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert event["SUMMARY"] == "Møde med kontrol\ntegn"
    assert event["LOCATION"] == "Sted her"


@pytest.mark.parametrize(
    "agenda",
    [
        "ord " * 25_000,
        "x" * 100_000,
        "# Overskrift\n\n" + "- punkt med [link](https://example.dk)\n" * 2_500,
    ],
    ids=["words", "one-word", "list-of-links"],
)
@pytest.mark.parametrize("cached", [True, False], ids=["cached-html", "from-source"])
def test_a_huge_agenda_gives_a_bounded_description(session, facilitator, agenda, cached):
    """Pathological input (STYLE.md rule 15): 100,000 characters, past validation."""
    assert len(agenda) >= 90_000
    meeting = _meeting(session, facilitator)
    meeting.agenda = agenda
    meeting.agenda_html = str(markup.render(agenda)) if cached else ""
    meeting.agenda_html_version = markup.RENDERER_VERSION if cached else 0
    meeting.title = "T" * 5_000
    meeting.place = "S" * 5_000
    raw = _bytes([meeting])
    assert len(raw) < 12_000
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    description = event["DESCRIPTION"]
    assert len(description) <= calendars.AGENDA_LIMIT + 200
    assert "…" in description
    assert description.endswith(f"Mødesiden: {_link(meeting)}")
    assert len(event["SUMMARY"]) <= calendars.SUMMARY_LIMIT
    assert len(event["LOCATION"]) <= calendars.LOCATION_LIMIT


def test_a_long_calendar_name_and_description_are_one_bounded_line(app):
    raw = _bytes([], name="Navn\n" * 1_000, description="Om\r\nkalenderen " * 1_000)
    calendar = Calendar.from_ical(raw)
    assert len(_unescaped(calendar["X-WR-CALNAME"])) <= calendars.NAME_LIMIT
    assert len(_unescaped(calendar["X-WR-CALDESC"])) <= calendars.DESCRIPTION_LIMIT
    assert "\n" not in _unescaped(calendar["X-WR-CALNAME"])


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        (
            "netvaerksmoede-i-region-midtjylland",
            "moede-{id}-netvaerksmoede-i-region-midtjylland.ics",
        ),
        ("../../etc/passwd", "moede-{id}-etc-passwd.ics"),
        ('møde"; filename=x.exe', "moede-{id}-m-de-filename-x-exe.ics"),
        ("", "moede-{id}.ics"),
        ("a" * 300, "moede-{id}-" + "a" * 60 + ".ics"),
    ],
)
def test_meeting_filename_is_safe_ascii(session, facilitator, slug, expected):
    meeting = _meeting(session, facilitator)
    meeting.slug = slug
    name = calendars.meeting_filename(meeting)
    assert name == expected.format(id=meeting.id)
    assert name.isascii() and "/" not in name and '"' not in name


def test_a_calendar_of_many_meetings_has_one_timezone(session, facilitator):
    meetings = [
        _meeting(session, facilitator, day=WINTER + timedelta(days=40 * i)) for i in range(12)
    ]
    calendar = _calendar(meetings)
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert len({event["UID"] for event in calendar.walk("VEVENT")}) == 12
