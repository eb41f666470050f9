"""The demo's meetings: last autumn's network meetings, whose material threads are already in
the demo content, and the coming round, dated from today so that they are always ahead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import places
from forum.meetings import MeetingInput, create_meeting
from forum.models import Meeting, MeetingKind, Topic, User
from forum.timeutil import utcnow


@dataclass(frozen=True)
class DemoMeeting:
    title: str
    kind: str
    region: str
    themes: tuple[str, ...]
    day: date
    starts: time
    ends: time
    place: str = ""
    online_url: str = ""
    agenda: str = ""
    capacity: int | None = None
    # The demo thread (by title) that already is this meeting's discussion.
    topic_title: str | None = None


# Held meetings: their material threads come from forum/demo/content.
HELD = (
    DemoMeeting(
        "Netværksmøde i Region Nordjylland, efteråret 2026",
        MeetingKind.NETWORK,
        "nordjylland",
        ("sagsbehandling", "ledelse"),
        date(2026, 9, 24),
        time(9, 30),
        time(15, 0),
        place="Hjørring Rådhus, byrådssalen, Springvandspladsen 5, 9800 Hjørring",
        topic_title="Materialer fra netværksmødet i Region Nordjylland, efteråret 2026",
    ),
    DemoMeeting(
        "Netværksmøde i Region Midtjylland, efteråret 2026",
        MeetingKind.NETWORK,
        "midtjylland",
        ("hverdagsliv",),
        date(2026, 10, 8),
        time(9, 30),
        time(15, 30),
        place="Viborg Rådhus, Prinsens Allé 5, 8800 Viborg",
        topic_title="Netværksmøde Region Midtjylland, efterår 2026: dagsorden, slides og referat",
    ),
    DemoMeeting(
        "Netværksmøde i Region Syddanmark, efteråret 2026",
        MeetingKind.NETWORK,
        "syddanmark",
        ("barnets-lov",),
        date(2026, 10, 29),
        time(9, 30),
        time(15, 30),
        place="Messe C, Vestre Ringvej 101, 7000 Fredericia",
        topic_title="Efterårets netværksmøde i Region Syddanmark 2026 – materialer og referat",
    ),
    DemoMeeting(
        "Netværksmøde i Region Sjælland, efteråret 2026",
        MeetingKind.NETWORK,
        "sjaelland",
        ("ledelse",),
        date(2026, 10, 1),
        time(9, 30),
        time(15, 0),
        place="Ringsted Kongrescenter, Nørretorv 1, 4100 Ringsted",
        topic_title="Materiale fra netværksmødet i Region Sjælland, efteråret 2026",
    ),
    DemoMeeting(
        "Netværksmøde i Region Hovedstaden, efteråret 2026",
        MeetingKind.NETWORK,
        "hovedstaden",
        ("hverdagsliv",),
        date(2026, 10, 8),
        time(9, 30),
        time(15, 0),
        place="KL-huset, Weidekampsgade 10, 2300 København S",
        topic_title="Materiale fra netværksmødet i Region Hovedstaden, efteråret 2026",
    ),
    DemoMeeting(
        "Landskonference 2025",
        MeetingKind.CONFERENCE,
        "landsdaekkende",
        ("barnets-lov", "ledelse"),
        date(2025, 11, 27),
        time(9, 30),
        time(15, 30),
        place="Messe C, Vestre Ringvej 101, 7000 Fredericia",
        capacity=300,
        topic_title=(
            "Landskonference 2025: Afslutning på ledernetværket 2022-2025 og startskud til ny runde"
        ),
    ),
)

_AGENDA = (
    "- 9.30 Ankomst og kaffe\n"
    "- 10.00 Velkomst og nyt fra netværket\n"
    "- 10.20 Oplæg: {topic}\n"
    "- 11.15 Erfaringsudveksling i kommunegrupper\n"
    "- 12.15 Frokost\n"
    "- 13.00 Sparring på medbragte ledelsesudfordringer\n"
    "- 14.30 Opsamling og næste skridt\n"
)


def _thursday(weeks_ahead: int) -> date:
    """The Thursday ``weeks_ahead`` weeks from today (network meetings are on Thursdays)."""
    today = utcnow().date()
    return today + timedelta(days=(3 - today.weekday()) % 7 + 7 * weeks_ahead)


def upcoming() -> tuple[DemoMeeting, ...]:
    """The next round, from three weeks ahead."""
    return (
        DemoMeeting(
            "Netværksmøde i Region Midtjylland: netværket omkring barnet",
            MeetingKind.NETWORK,
            "midtjylland",
            ("netvaerksanbringelser", "inddragelse"),
            _thursday(3),
            time(9, 30),
            time(15, 0),
            place="Randers Rådhus, Laksetorvet 1, 8900 Randers",
            agenda=_AGENDA.format(topic="*Netværksråd før en anbringelse*"),
            capacity=40,
        ),
        DemoMeeting(
            "Workshop: sagsskabeloner og den faste myndighedsperson",
            MeetingKind.WORKSHOP,
            "syddanmark",
            ("sagsbehandling",),
            _thursday(4),
            time(12, 30),
            time(16, 0),
            place="Kolding Rådhus, Akseltorv 1, 6000 Kolding",
            agenda="Vi arbejder med de nye sagsskabeloner. Tag en anonymiseret sagsgang med.",
            capacity=25,
        ),
        DemoMeeting(
            "Webinar: nøgletal om anbringelser",
            MeetingKind.WEBINAR,
            "landsdaekkende",
            ("anbringelser", "ledelse"),
            _thursday(5),
            time(14, 0),
            time(15, 0),
            online_url="https://teams.microsoft.com/l/meetup-join/demo",
            agenda="Gennemgang af nøgletalskataloget og spørgsmål fra kommunerne.",
        ),
        DemoMeeting(
            "Erfaringsnetværk om efterværn",
            MeetingKind.EXPERIENCE,
            "nordjylland",
            ("voksenliv",),
            _thursday(6),
            time(10, 0),
            time(14, 0),
            place="Aalborg Kommune, Boulevarden 13, 9000 Aalborg",
        ),
    )


def plan_meetings(session: Session, facilitator: User) -> int:
    """Add the demo's meetings (the held ones on their existing threads); how many."""
    added = 0
    for demo in (*HELD, *upcoming()):
        topic = None
        if demo.topic_title is not None:
            topic = session.scalar(select(Topic).where(Topic.title == demo.topic_title))
            if topic is None or session.scalar(
                select(Meeting.id).where(Meeting.topic_id == topic.id)
            ):
                continue  # the demo content changed: leave that meeting out
        create_meeting(
            session,
            facilitator,
            MeetingInput(
                title=demo.title,
                kind=demo.kind,
                region=places.region_by_slug(session, demo.region),
                themes=[places.theme_by_slug(session, slug) for slug in demo.themes],
                day=demo.day,
                starts=demo.starts,
                ends=demo.ends,
                place=demo.place,
                online_url=demo.online_url,
                agenda=demo.agenda,
                capacity=demo.capacity,
            ),
            topic=topic,
        )
        added += 1
    return added
