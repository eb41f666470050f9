"""Meetings: planning them, their discussion topic, sign-ups and the waiting list.

A facilitator (or administrator) creates a meeting; its discussion topic (kind *material*, in
the meeting's region and first theme) is created with it, and through that topic's opening
post the region's followers are told (forum.notify's outbox, as for any new topic).

Times are entered and shown in Europe/Copenhagen and stored as naive UTC. A sign-up takes a
seat while there are seats; after that it joins the waiting list, which moves up in order
whenever a seat frees (a withdrawal, a larger capacity), and the member moved up is told.
Sign-ups for one meeting take a row lock on it (PostgreSQL), so two members signing up for the
last seat at once cannot both get it.

Domain functions take the session first, check the permission policy, validate, change models
and flush; the request commits.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_time, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from forum import markup, notify, permissions, privacy, reading
from forum import topics as topic_domain
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import (
    Attachment,
    Meeting,
    MeetingKind,
    MeetingSignup,
    MeetingTheme,
    NotificationKind,
    Region,
    SignupStatus,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.slugs import slugify
from forum.timeutil import to_naive_utc, utcnow

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

KIND_LABELS = {
    MeetingKind.NETWORK: _l("Netværksmøde"),
    MeetingKind.WORKSHOP: _l("Workshop"),
    MeetingKind.EXPERIENCE: _l("Erfaringsnetværk"),
    MeetingKind.CONFERENCE: _l("Konference"),
    MeetingKind.KICK_OFF: _l("Kick-off"),
    MeetingKind.WEBINAR: _l("Webinar"),
}

PLACE_MAX_LENGTH = 300
URL_MAX_LENGTH = 500
CAPACITY_MAX = 5000
# The files the region page's "Materialer" box shows at most (the rest are on /materialer).
PINNED_FILES_SHOWN = 30
# A meeting lasts at most this long (a two-day conference fits; a typo of a year does not).
LONGEST = timedelta(days=7)
# Dates a meeting may have: the network's own years (past meetings get pages for their
# materials), and a few years ahead; anything else is a typo.
EARLIEST_YEAR = 2020
YEARS_AHEAD = 5


def _require(user: User, action: str, obj: object = None) -> None:
    if not permissions.can(user, action, obj):
        raise NotAllowed(_l("Det har du ikke adgang til."))


# -- times -----------------------------------------------------------------------------------


def local_to_utc(day: date, at: time) -> datetime:
    """A date and a wall-clock time in Copenhagen as naive UTC (what the columns store)."""
    return to_naive_utc(datetime.combine(day, at, tzinfo=COPENHAGEN))


def to_local(value: datetime) -> datetime:
    """A stored (naive UTC) time as an aware time in Copenhagen."""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(COPENHAGEN)


def when_label(meeting: Meeting) -> str:
    """ "12. marts 2027, 9.30–15.00", or across days "12. marts 2027 9.30 – 13. marts 15.00"."""
    return _when(str(get_locale()), meeting.starts_at, meeting.ends_at)


@functools.lru_cache(maxsize=4096)
def _when(locale: str, starts_at: datetime, ends_at: datetime) -> str:
    # The same meetings are listed on page after page, and Babel's three formats are most of
    # a meeting row's cost: the text is made once per language and time (``locale`` is the
    # current one, which the formatting below reads; it is in the key for that reason).
    starts, ends = to_local(starts_at), to_local(ends_at)
    # The values are aware Copenhagen times: Flask-Babel must not shift them again.
    day = format_date(starts.replace(tzinfo=None), "long", rebase=False)
    start = format_time(starts.replace(tzinfo=None), "short", rebase=False)
    end = format_time(ends.replace(tzinfo=None), "short", rebase=False)
    if starts.date() == ends.date():
        return f"{day}, {start}–{end}"
    end_day = format_date(ends.replace(tzinfo=None), "long", rebase=False)
    return f"{day} {start} – {end_day} {end}"


# -- validation ------------------------------------------------------------------------------


@dataclass
class MeetingInput:
    """What a facilitator fills in; ``themes`` in order (the first is the topic's theme)."""

    title: str
    kind: str
    region: Region | None
    themes: list[Theme]
    day: date | None
    starts: time | None
    ends: time | None
    end_day: date | None = None
    place: str = ""
    online_url: str = ""
    agenda: str = ""
    capacity: int | None = None
    problems: list[Invalid] = field(default_factory=list)


@dataclass
class CleanMeeting:
    title: str
    kind: str
    region: Region
    themes: list[Theme]
    starts_at: datetime
    ends_at: datetime
    place: str
    online_url: str
    agenda: str
    capacity: int | None


def _clean(data: MeetingInput) -> CleanMeeting:
    """Validate every field at once, so that a facilitator sees every problem in one go."""
    problems = list(data.problems)

    def check(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Invalid as exc:
            problems.append(exc)
            return None

    title = check(topic_domain.clean_title, data.title)
    if data.kind not in MeetingKind.ALL:
        problems.append(Invalid(_l("Vælg en mødetype fra listen."), field="kind"))
    if data.region is None:
        problems.append(Invalid(_l("Vælg en region."), field="region"))
    if not data.themes:
        problems.append(Invalid(_l("Vælg mindst ét tema."), field="themes"))
    elif any(not theme.is_active for theme in data.themes):
        problems.append(Invalid(_l("Et af temaerne er ikke længere i brug."), field="themes"))
    starts_at = ends_at = None
    day_ok = False
    if data.day is None:
        problems.append(Invalid(_l("Skriv mødets dato."), field="day"))
    elif not EARLIEST_YEAR <= data.day.year <= utcnow().year + YEARS_AHEAD:
        problems.append(Invalid(_l("Skriv en dato inden for de næste par år."), field="day"))
    else:
        day_ok = True
    if data.starts is None:
        problems.append(Invalid(_l("Skriv hvornår mødet begynder."), field="starts"))
    if data.ends is None:
        problems.append(Invalid(_l("Skriv hvornår mødet slutter."), field="ends"))
    end_day = data.end_day or data.day
    if data.end_day and data.day and (data.end_day - data.day).days > LONGEST.days:
        problems.append(Invalid(_l("Et møde kan højst vare en uge."), field="end_day"))
        day_ok = False
    if day_ok and data.day and data.starts and data.ends and end_day:
        starts_at = local_to_utc(data.day, data.starts)
        ends_at = local_to_utc(end_day, data.ends)
        if ends_at <= starts_at:
            problems.append(Invalid(_l("Mødet skal slutte efter, det begynder."), field="ends"))
    place = " ".join((data.place or "").split())
    online_url = (data.online_url or "").strip()
    if not place and not online_url:
        problems.append(Invalid(_l("Skriv et sted eller et link til onlinemødet."), field="place"))
    if len(place) > PLACE_MAX_LENGTH:
        problems.append(
            Invalid(_l("Skriv højst %(max)d tegn.", max=PLACE_MAX_LENGTH), field="place")
        )
    check(privacy.check_personal_data, place, "place")
    if online_url and not _is_web_address(online_url):
        problems.append(
            Invalid(_l("Skriv et fuldt link, der begynder med https://"), field="online_url")
        )
    agenda = (data.agenda or "").strip()
    limit = current_app.config["BODY_MAX_LENGTH"]
    if len(agenda) > limit:
        problems.append(
            Invalid(_l("Dagsordenen må højst være %(limit)d tegn.", limit=limit), field="agenda")
        )
    # Markdown: the rendered page is checked as well as the source.
    check(lambda: privacy.check_personal_data(agenda, "agenda", markdown=True))
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        problems.append(
            Invalid(
                _l("Antal pladser skal være mellem 1 og %(max)d.", max=CAPACITY_MAX),
                field="capacity",
            )
        )
    if problems:
        raise Invalid.combine(problems)
    return CleanMeeting(
        title=title,
        kind=data.kind,
        region=data.region,  # type: ignore[arg-type]
        themes=list(dict.fromkeys(data.themes)),
        starts_at=starts_at,  # type: ignore[arg-type]
        ends_at=ends_at,  # type: ignore[arg-type]
        place=place,
        online_url=online_url,
        agenda=agenda,
        capacity=data.capacity,
    )


def _is_web_address(value: str) -> bool:
    if len(value) > URL_MAX_LENGTH or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _render_agenda(meeting: Meeting) -> None:
    meeting.agenda_html = str(markup.render(meeting.agenda))
    meeting.agenda_html_version = markup.RENDERER_VERSION


def ensure_agenda_html(meeting: Meeting) -> None:
    """Fresh agenda HTML when an older renderer cached it, without writing (a GET never does)."""
    if meeting.agenda_html_version != markup.RENDERER_VERSION:
        set_committed_value(meeting, "agenda_html", str(markup.render(meeting.agenda)))


def _opening_text() -> str:
    """The discussion topic's first post: what the thread is for (the meeting page has the rest)."""
    return str(
        _l(
            "Tråden til mødet. Skriv spørgsmål og ønsker til mødet her, og del bagefter, "
            "hvad I tager med hjem. Tid, sted, dagsorden og tilmelding står på mødesiden."
        )
    )


# -- writing ---------------------------------------------------------------------------------


def create_meeting(
    session: Session, user: User, data: MeetingInput, *, topic: Topic | None = None
) -> Meeting:
    """Plan a meeting with its discussion topic; the region's followers hear of it.

    ``topic``: a thread that already carries the meeting's talk (the demo's material posts),
    used instead of a new one; nobody is told again."""
    _require(user, permissions.CREATE_MEETING)
    clean = _clean(data)
    told = topic is not None
    if topic is None:
        topic = topic_domain.build_topic(
            session,
            user,
            title=clean.title,
            body=_opening_text(),
            kind=TopicKind.MATERIAL,
            region=clean.region,
            theme=clean.themes[0],
        )
    meeting = Meeting(topic=topic, created_by=user)
    _apply(meeting, clean)
    meeting.theme_links = [
        MeetingTheme(theme=theme, position=position) for position, theme in enumerate(clean.themes)
    ]
    session.add(meeting)
    session.flush()
    if told:
        return meeting
    reading.started(session, user, topic)
    if meeting.ends_at > utcnow():
        # Told through the topic's opening post: forum.notify sees the meeting behind it. A
        # past meeting (its page made afterwards, for the materials) is news to nobody.
        notify.enqueue(session, "post", topic_domain.topic_first_post(session, topic), user)
    return meeting


def _apply(meeting: Meeting, clean: CleanMeeting) -> None:
    meeting.title = clean.title
    meeting.slug = slugify(clean.title)
    meeting.kind = clean.kind
    meeting.region = clean.region
    meeting.starts_at = clean.starts_at
    meeting.ends_at = clean.ends_at
    meeting.place = clean.place
    meeting.online_url = clean.online_url
    meeting.agenda = clean.agenda
    meeting.capacity = clean.capacity
    _render_agenda(meeting)


def update_meeting(session: Session, user: User, meeting: Meeting, data: MeetingInput) -> None:
    """Change a meeting; calendars pick the change up (SEQUENCE), and seats freed by a larger
    capacity go to the waiting list."""
    _require(user, permissions.EDIT_MEETING, meeting)
    clean = _clean(data)
    old_title = meeting.title
    _apply(meeting, clean)
    wanted = [theme.id for theme in clean.themes]
    if [link.theme_id for link in meeting.theme_links] != wanted:
        # The old rows go first: a theme kept at a new position is the same primary key.
        meeting.theme_links = []
        session.flush()
        meeting.theme_links = [
            MeetingTheme(theme=theme, position=i) for i, theme in enumerate(clean.themes)
        ]
    # The discussion topic lives where the meeting is: its region and first theme.
    meeting.topic.region = clean.region
    meeting.topic.theme = clean.themes[0]
    if meeting.topic.title == old_title:
        meeting.topic.title = clean.title
        meeting.topic.slug = slugify(clean.title)
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.flush()
    _fill_seats(session, meeting)


def cancel_meeting(session: Session, user: User, meeting: Meeting) -> None:
    """Cancel: calendars show it cancelled, and everyone signed up is told."""
    _require(user, permissions.EDIT_MEETING, meeting)
    if meeting.is_cancelled:
        return
    meeting.cancelled_at = utcnow()
    meeting.sequence += 1
    meeting.updated_at = meeting.cancelled_at
    session.flush()
    signed_up = [s.user_id for s in signups(session, meeting) if s.user_id != user.id]
    key = f"cancelled:{meeting.id}:{meeting.sequence}"
    _tell(session, meeting, signed_up, NotificationKind.MEETING_CANCELLED, key, user.id)


def reopen_meeting(session: Session, user: User, meeting: Meeting) -> None:
    """Undo a cancellation (the calendars update again)."""
    _require(user, permissions.EDIT_MEETING, meeting)
    if not meeting.is_cancelled:
        return
    _lock(session, meeting)
    meeting.cancelled_at = None
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.flush()
    _fill_seats(session, meeting)  # seats freed while it was cancelled


def _tell(
    session: Session,
    meeting: Meeting,
    user_ids: list[int],
    kind: str,
    key: str,
    actor_id: int | None = None,
) -> int:
    """Notify these members about the meeting (linked through its topic's opening post, so
    the e-mail can go as for any notification); a key already used is not used again."""
    if not user_ids:
        return 0
    opening = topic_domain.topic_first_post(session, meeting.topic)
    now = utcnow()
    levels = session.execute(
        select(User.id, User.email_level).where(User.id.in_(user_ids), User.active)
    )
    return notify.add_many(
        session,
        [
            {
                "user_id": user_id,
                "kind": kind,
                "key": key,
                "actor_id": actor_id,
                "topic_id": meeting.topic_id,
                "post_id": opening.id,
                "email_due_at": notify.email_due(level, kind, now),
            }
            for user_id, level in levels
        ],
    )


# -- pinned materials ------------------------------------------------------------------------


def pin_materials(
    session: Session, user: User, meeting: Meeting, until: datetime | None = None
) -> None:
    """Pin the meeting's materials to its region's page (a national meeting's to every
    region's page), optionally until a moment (naive UTC); pinning again renews the pin."""
    _require(user, permissions.PIN_MATERIALS, meeting)
    now = utcnow()
    if until is not None and until <= now:
        raise Invalid(_l("Datoen skal ligge i fremtiden."), field="until")
    meeting.materials_pinned_at = now
    meeting.materials_pinned_until = until
    session.flush()


def unpin_materials(session: Session, user: User, meeting: Meeting) -> None:
    """Take the meeting's materials off the region page (the files stay on the meeting)."""
    _require(user, permissions.PIN_MATERIALS, meeting)
    meeting.materials_pinned_at = None
    meeting.materials_pinned_until = None
    session.flush()


@dataclass(frozen=True)
class PinnedMaterials:
    """One pinned meeting's files, newest first, for the region page's "Materialer" box."""

    meeting: Meeting
    files: list[Attachment]


def pinned_materials(
    session: Session, region_ids: list[int], *, limit: int = PINNED_FILES_SHOWN
) -> list[PinnedMaterials]:
    """The files (at most ``limit``) of the meetings pinned to these regions' pages, by
    meeting, the latest meeting first: one statement, on the index of pinned meetings. What
    every member may see: no deleted file and nothing of a deleted meeting; a cancelled
    meeting's materials stay while they are pinned."""
    if not region_ids:
        return []
    now = utcnow()
    rows = list(
        session.scalars(
            select(Attachment)
            .join(Meeting, Meeting.id == Attachment.meeting_id)
            .where(
                Meeting.materials_pinned_at.is_not(None),
                (Meeting.materials_pinned_until.is_(None)) | (Meeting.materials_pinned_until > now),
                Meeting.region_id.in_(region_ids),
                Meeting.deleted_at.is_(None),
                Attachment.deleted_at.is_(None),
            )
            .options(contains_eager(Attachment.meeting))
            .order_by(
                Meeting.starts_at.desc(),
                Meeting.id.desc(),
                Attachment.created_at.desc(),
                Attachment.id.desc(),
            )
            .limit(limit)
        )
    )
    groups: dict[int, PinnedMaterials] = {}
    for attachment in rows:
        meeting = attachment.meeting
        assert meeting is not None  # joined above
        groups.setdefault(meeting.id, PinnedMaterials(meeting, [])).files.append(attachment)
    return list(groups.values())


# -- signing up ------------------------------------------------------------------------------


def _lock(session: Session, meeting: Meeting) -> None:
    """Hold the meeting's row until commit, so sign-ups for it are counted one at a time."""
    session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())


def signup_of(session: Session, user: Any, meeting: Meeting) -> MeetingSignup | None:
    if getattr(user, "id", None) is None:
        return None
    return session.scalar(
        select(MeetingSignup).where(
            MeetingSignup.meeting_id == meeting.id, MeetingSignup.user_id == user.id
        )
    )


def sign_up(session: Session, user: User, meeting: Meeting) -> MeetingSignup:
    """Take a seat, or a place on the waiting list when the meeting is full."""
    if not permissions.can(user, permissions.SIGN_UP, meeting):
        if meeting.is_cancelled:
            raise Invalid(_l("Mødet er aflyst."))
        if meeting.ends_at <= utcnow():
            raise Invalid(_l("Mødet er holdt, så tilmeldingen er lukket."))
        raise NotAllowed(_l("Det har du ikke adgang til."))
    _lock(session, meeting)
    # Read again under the lock: a cancellation or a new capacity committed meanwhile counts.
    session.refresh(meeting, attribute_names=["cancelled_at", "capacity", "deleted_at"])
    if meeting.is_cancelled or meeting.is_deleted:
        raise Invalid(_l("Mødet er aflyst."))
    existing = signup_of(session, user, meeting)
    if existing is not None:
        return existing
    status = SignupStatus.CONFIRMED
    if meeting.capacity is not None and seats_taken(session, meeting) >= meeting.capacity:
        status = SignupStatus.WAITING
    signup = MeetingSignup(meeting=meeting, user_id=user.id, status=status)
    session.add(signup)
    session.flush()
    return signup


def withdraw(session: Session, user: User, meeting: Meeting) -> bool:
    """Give up one's seat (or place in the queue); the first waiting member moves up."""
    _lock(session, meeting)
    signup = signup_of(session, user, meeting)
    if signup is None:
        return False
    session.delete(signup)
    session.flush()
    _fill_seats(session, meeting)
    return True


def seats_taken(session: Session, meeting: Meeting) -> int:
    return session.scalar(
        select(func.count(MeetingSignup.id)).where(
            MeetingSignup.meeting_id == meeting.id,
            MeetingSignup.status == SignupStatus.CONFIRMED,
        )
    )


def _fill_seats(session: Session, meeting: Meeting) -> int:
    """Move waiting members up, in order, into free seats; tells each. How many moved."""
    if meeting.is_cancelled or meeting.is_deleted or meeting.ends_at <= utcnow():
        return 0  # nobody is moved up into a meeting that will not take place
    free = None if meeting.capacity is None else meeting.capacity - seats_taken(session, meeting)
    if free is not None and free <= 0:
        return 0
    query = (
        select(MeetingSignup)
        .where(
            MeetingSignup.meeting_id == meeting.id,
            MeetingSignup.status == SignupStatus.WAITING,
        )
        .order_by(MeetingSignup.created_at, MeetingSignup.id)
    )
    if free is not None:
        query = query.limit(free)
    moved = session.scalars(query).all()
    now = utcnow()
    for signup in moved:
        signup.status = SignupStatus.CONFIRMED
        signup.promoted_at = now
        session.flush()
        _tell(session, meeting, [signup.user_id], NotificationKind.SEAT, f"seat:{signup.id}")
    return len(moved)


def signups(session: Session, meeting: Meeting) -> list[MeetingSignup]:
    """Everyone signed up: seats first, then the waiting list, each in sign-up order."""
    return list(
        session.scalars(
            select(MeetingSignup)
            .where(MeetingSignup.meeting_id == meeting.id)
            .options(joinedload(MeetingSignup.user).joinedload(User.municipality))
            .order_by(
                MeetingSignup.status != SignupStatus.CONFIRMED,
                MeetingSignup.created_at,
                MeetingSignup.id,
            )
        )
    )


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waiting: int


def counts(session: Session, meeting_ids: list[int]) -> dict[int, Counts]:
    """Seats taken and members waiting, per meeting, in one statement."""
    if not meeting_ids:
        return {}
    rows = session.execute(
        select(MeetingSignup.meeting_id, MeetingSignup.status, func.count())
        .where(MeetingSignup.meeting_id.in_(meeting_ids))
        .group_by(MeetingSignup.meeting_id, MeetingSignup.status)
    )
    found: dict[int, dict[str, int]] = {}
    for meeting_id, status, number in rows:
        found.setdefault(meeting_id, {})[status] = number
    return {
        meeting_id: Counts(
            found.get(meeting_id, {}).get(SignupStatus.CONFIRMED, 0),
            found.get(meeting_id, {}).get(SignupStatus.WAITING, 0),
        )
        for meeting_id in meeting_ids
    }


# The columns of the sign-up list a facilitator exports.
CSV_COLUMNS = (
    _l("Navn"),
    _l("Stilling"),
    _l("Kommune eller organisation"),
    _l("Region"),
    _l("E-mail"),
    _l("Status"),
    _l("Tilmeldt"),
)


def signups_csv(session: Session, meeting: Meeting) -> str:
    """The sign-up list as CSV for a spreadsheet: semicolons and a byte order mark, as Danish
    Excel expects; a cell that a spreadsheet would run as a formula is quoted as text."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(column) for column in CSV_COLUMNS])
    for signup in signups(session, meeting):
        member = signup.user
        municipality = member.municipality
        region = municipality.region.name if municipality is not None else ""
        status = _l("Venteliste") if signup.is_waiting else _l("Tilmeldt")
        created = to_local(signup.created_at).strftime("%d-%m-%Y %H:%M")
        writer.writerow(
            [
                _cell(value)
                for value in (
                    member.display_name,
                    member.job_title,
                    member.affiliation,
                    region,
                    member.email,
                    str(status),
                    created,
                )
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    # CSV injection (OWASP): =, +, -, @, tab and CR start a formula in Excel and LibreOffice.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


# -- reading ---------------------------------------------------------------------------------


def get_meeting(session: Session, user: Any, meeting_id: int) -> Meeting:
    meeting = session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.region),
            joinedload(Meeting.topic),
            selectinload(Meeting.theme_links).joinedload(MeetingTheme.theme),
        )
    )
    if meeting is None or not permissions.can(user, permissions.VIEW, meeting):
        raise NotFound(_l("Mødet findes ikke."))
    return meeting


def meetings_query(
    *, region: Region | None = None, theme: Theme | None = None, upcoming: bool = True
) -> Select:
    """Meetings members see in lists: upcoming (not yet ended) soonest first, or past ones
    newest first; cancelled ones stay, marked, so nobody wonders where a meeting went."""
    now = utcnow()
    query = (
        select(Meeting)
        .where(Meeting.deleted_at.is_(None))
        .options(
            joinedload(Meeting.region),
            selectinload(Meeting.theme_links).joinedload(MeetingTheme.theme),
        )
    )
    if region is not None:
        query = query.where(Meeting.region_id == region.id)
    if theme is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingTheme.meeting_id).where(MeetingTheme.theme_id == theme.id))
        )
    if upcoming:
        return query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at, Meeting.id)
    return query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc(), Meeting.id.desc())


def next_meetings(
    session: Session, *, region_ids: list[int] | None = None, limit: int = 3
) -> list[Meeting]:
    """The next meetings (not cancelled), in these regions or everywhere, for the region page
    and the member's front page: one statement (the themes are not shown there)."""
    query = (
        select(Meeting)
        .where(
            Meeting.deleted_at.is_(None),
            Meeting.cancelled_at.is_(None),
            Meeting.ends_at >= utcnow(),
        )
        .options(joinedload(Meeting.region))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if region_ids is not None:
        query = query.where(Meeting.region_id.in_(region_ids))
    return list(session.scalars(query))


def my_meetings(session: Session, user: User) -> list[Meeting]:
    """The meetings a member signed up for (seat or waiting list), for their calendar."""
    return list(
        session.scalars(
            select(Meeting)
            .join(MeetingSignup, MeetingSignup.meeting_id == Meeting.id)
            .where(MeetingSignup.user_id == user.id, Meeting.deleted_at.is_(None))
            .options(joinedload(Meeting.region))
            .order_by(Meeting.starts_at.desc())
            .limit(500)
        )
    )


# How far back a subscribed calendar reaches (and so keeps cancellations and changes).
CALENDAR_PAST = timedelta(days=180)


def calendar_meetings(session: Session, *, region: Region | None = None) -> list[Meeting]:
    """A subscribable calendar's meetings: the coming ones and the last half year's, cancelled
    ones included (a calendar program must see STATUS:CANCELLED to take the entry away)."""
    query = (
        select(Meeting)
        .where(Meeting.deleted_at.is_(None), Meeting.ends_at >= utcnow() - CALENDAR_PAST)
        .options(joinedload(Meeting.region))
        .order_by(Meeting.starts_at)
        .limit(500)
    )
    if region is not None:
        query = query.where(Meeting.region_id == region.id)
    return list(session.scalars(query))


def my_signups(session: Session, user: Any, meeting_ids: list[int]) -> dict[int, str]:
    """The member's sign-up status per meeting, for the meetings on a page (one statement)."""
    if not meeting_ids or getattr(user, "id", None) is None:
        return {}
    return dict(
        session.execute(
            select(MeetingSignup.meeting_id, MeetingSignup.status).where(
                MeetingSignup.user_id == user.id, MeetingSignup.meeting_id.in_(meeting_ids)
            )
        ).all()
    )


def by_topic(session: Session, topic_ids: set[int]) -> dict[int, Meeting]:
    """The meetings behind these discussion topics, by topic id (no statement for none)."""
    if not topic_ids:
        return {}
    found = session.scalars(select(Meeting).where(Meeting.topic_id.in_(topic_ids)))
    return {meeting.topic_id: meeting for meeting in found}
