"""Domain tests for forum.meetings: planning, validation, the discussion topic, sign-ups and the
waiting list, cancelling, the CSV export, lists, and the permission rules behind them."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime, time, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import markup, notify, permissions, places
from forum import meetings as domain
from forum import topics as topic_domain
from forum.errors import Invalid, NotAllowed
from forum.extensions import db
from forum.models import (
    Attachment,
    MailMessage,
    Meeting,
    MeetingKind,
    MeetingSignup,
    Notification,
    NotificationKind,
    Role,
    SignupStatus,
    TopicKind,
    User,
)
from forum.timeutil import utcnow
from tests import factories

BASE = "https://forum.ledernet.example"
TITLE = "Netværksmøde om netværksanbringelser"
# Far enough ahead that sign-ups stay open whatever day the suite runs.
SOON = date.today() + timedelta(days=30)
WINTER = date(2030, 1, 15)  # CET, UTC+1
SUMMER = date(2030, 6, 15)  # CEST, UTC+2
CPR = "010203-1234"  # 1 February 1903, serial 1234: a valid date, so a likely CPR number


def meeting_input(session, **changes) -> domain.MeetingInput:  # type: ignore[no-untyped-def]
    """What a facilitator fills in, with sensible defaults; keyword arguments override them."""
    values = {
        "title": TITLE,
        "kind": MeetingKind.NETWORK,
        "region": places.region_by_slug(session, "midtjylland"),
        "themes": [places.theme_by_slug(session, "netvaerksanbringelser")],
        "day": SOON,
        "starts": time(9, 30),
        "ends": time(15, 0),
        "place": "Aarhus Rådhus, mødesal 1",
        "agenda": "1. Velkomst\n2. Erfaringer fra kommunerne",
        "capacity": None,
    }
    values.update(changes)
    return domain.MeetingInput(**values)


def plan(session, user, **changes) -> Meeting:  # type: ignore[no-untyped-def]
    return domain.create_meeting(session, user, meeting_input(session, **changes))


def theme(session, slug):  # type: ignore[no-untyped-def]
    return places.theme_by_slug(session, slug)


def members(session, n: int) -> list:  # type: ignore[no-untyped-def]
    return [factories.user(session, municipality="Odense") for _ in range(n)]


def statuses(session, meeting) -> dict[int, str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {s.user_id: s.status for s in domain.signups(session, meeting)}


def notified(session, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The members told with ``kind``, in the order they were told."""
    return list(
        session.scalars(
            select(Notification.user_id).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def held(session, meeting) -> None:  # type: ignore[no-untyped-def]
    """Move a meeting into the past (it has ended)."""
    meeting.starts_at = utcnow() - timedelta(hours=5)
    meeting.ends_at = utcnow() - timedelta(hours=1)
    session.flush()


# -- create_meeting ----------------------------------------------------------------------------


def test_only_facilitators_and_administrators_plan_meetings(session, member, facilitator, admin):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        plan(session, member)
    assert session.scalar(select(func.count(Meeting.id))) == 0
    assert plan(session, facilitator).created_by == facilitator
    assert plan(session, admin, title="Workshop om familiepleje").created_by == admin
    facilitator.active = False
    with pytest.raises(NotAllowed):
        plan(session, facilitator, title="Et møde mere i regionen")


def test_a_meeting_comes_with_its_discussion_topic(session, facilitator):  # type: ignore[no-untyped-def]
    themes = [theme(session, "familiepleje"), theme(session, "netvaerksanbringelser")]
    meeting = plan(session, facilitator, themes=themes, kind=MeetingKind.WORKSHOP)
    session.commit()
    meeting_id, topic_id = meeting.id, meeting.topic_id
    session.expire_all()

    meeting = session.get(Meeting, meeting_id)
    topic = meeting.topic
    assert topic.id == topic_id and topic.meeting is meeting
    assert topic.kind == TopicKind.MATERIAL
    assert topic.region.slug == "midtjylland"
    assert topic.theme.slug == "familiepleje"  # the first theme, not the second
    assert [t.slug for t in meeting.themes] == ["familiepleje", "netvaerksanbringelser"]
    assert topic.title == meeting.title == TITLE
    assert meeting.slug == "netvaerksmoede-om-netvaerksanbringelser"
    assert meeting.kind == MeetingKind.WORKSHOP and meeting.sequence == 0
    assert topic.author_id == facilitator.id
    opening = topic_domain.topic_first_post(session, topic)
    assert "mødesiden" in opening.body


def test_the_agenda_goes_through_the_markup_pipeline(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(
        session,
        facilitator,
        agenda="**Velkomst**\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>",
    )
    assert "<strong>Velkomst</strong>" in meeting.agenda_html
    # Raw HTML is shown as text, never run.
    assert "<script" not in meeting.agenda_html and "<img" not in meeting.agenda_html
    assert "&lt;script&gt;" in meeting.agenda_html
    assert meeting.agenda_html_version == markup.RENDERER_VERSION
    assert str(meeting.agenda_rendered) == meeting.agenda_html


def test_a_stale_agenda_is_rendered_again_without_writing(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, agenda="*Velkomst*")
    session.commit()
    meeting.agenda_html, meeting.agenda_html_version = "<p>gammel</p>", 0
    session.commit()
    domain.ensure_agenda_html(meeting)
    assert "<em>Velkomst</em>" in meeting.agenda_html
    assert not session.dirty  # a GET never writes


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(WINTER, 8), (SUMMER, 7)],  # 09:30 in Copenhagen is 08:30 UTC in winter, 07:30 in summer
)
def test_copenhagen_times_are_stored_as_utc(session, facilitator, day, utc_hour):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, day=day, starts=time(9, 30), ends=time(15, 0))
    assert meeting.starts_at == datetime.combine(day, time(utc_hour, 30))
    assert meeting.ends_at == datetime.combine(day, time(utc_hour + 6, 0))
    assert meeting.starts_at.tzinfo is None
    assert domain.when_label(meeting).endswith(" 2030, 09.30–15.00")  # local, not UTC


def test_when_label_shows_local_time_and_both_days_when_the_meeting_spans_two(session, facilitator):  # type: ignore[no-untyped-def]
    winter = plan(session, facilitator, day=WINTER)
    assert domain.when_label(winter) == "15. januar 2030, 09.30–15.00"
    summer = plan(
        session,
        facilitator,
        title="Konference om anbringelser",
        day=SUMMER,
        end_day=SUMMER + timedelta(days=1),
        starts=time(9, 30),
        ends=time(15, 0),
    )
    assert domain.when_label(summer) == "15. juni 2030 09.30 – 16. juni 2030 15.00"


def test_local_to_utc_and_back(app):  # type: ignore[no-untyped-def]
    stored = domain.local_to_utc(WINTER, time(23, 30))
    assert stored == datetime(2030, 1, 15, 22, 30)
    assert domain.to_local(stored).strftime("%Y-%m-%d %H:%M %Z") == "2030-01-15 23:30 CET"


# -- validation ----------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(session, facilitator):  # type: ignore[no-untyped-def]
    data = meeting_input(
        session,
        title="Møde",
        kind="fest",
        region=None,
        themes=[],
        starts=time(15, 0),
        ends=time(9, 0),
        place="",
        online_url="javascript:alert(1)",
        agenda=f"Barnets CPR er {CPR}.",
        capacity=0,
    )
    with pytest.raises(Invalid) as caught:
        domain.create_meeting(session, facilitator, data)
    problems = [caught.value, *caught.value.also]
    assert [p.field for p in problems] == [
        "title",
        "kind",
        "region",
        "themes",
        "ends",
        "online_url",
        "agenda",
        "capacity",
    ]
    assert all(str(p.message) for p in problems)
    assert session.scalar(select(func.count(Meeting.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "Kort"}, "title"),
        ({"title": f"Møde om {CPR}"}, "title"),
        ({"kind": "fest"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"region": None}, "region"),
        ({"themes": []}, "themes"),
        ({"day": None}, "day"),
        ({"starts": None}, "starts"),
        ({"ends": None}, "ends"),
        ({"starts": time(15, 0), "ends": time(9, 0)}, "ends"),
        ({"starts": time(9, 0), "ends": time(9, 0)}, "ends"),
        ({"end_day": SOON - timedelta(days=1)}, "ends"),
        ({"end_day": SOON + timedelta(days=8)}, "end_day"),
        ({"place": "", "online_url": ""}, "place"),
        ({"place": "   \n\t ", "online_url": "  "}, "place"),
        ({"place": "x" * 301}, "place"),
        ({"place": f"Hos familien, {CPR}"}, "place"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"online_url": "JavaScript:alert(1)"}, "online_url"),
        ({"online_url": "ftp://filer.kommune.dk/"}, "online_url"),
        ({"online_url": "teams.microsoft.com/l/meetup"}, "online_url"),
        ({"online_url": "https://"}, "online_url"),
        ({"online_url": "https://teams.microsoft.com/l/meetup join"}, "online_url"),
        ({"online_url": "https://a.dk/" + "x" * 500}, "online_url"),
        ({"agenda": f"Sagen om {CPR} tages op."}, "agenda"),
        ({"agenda": "Sagen om [010203](/x)-1234 tages op."}, "agenda"),  # only on the page
        ({"agenda": "too long"}, "agenda"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 6000}, "capacity"),
    ],
)
def test_a_problem_is_named_beside_its_field(app, session, facilitator, changes, field):  # type: ignore[no-untyped-def]
    if changes.get("agenda") == "too long":
        changes = {"agenda": "x" * (app.config["BODY_MAX_LENGTH"] + 1)}
    with pytest.raises(Invalid) as caught:
        plan(session, facilitator, **changes)
    problems = [caught.value, *caught.value.also]
    assert [p.field for p in problems] == [field]


def test_a_cpr_message_masks_the_number(session, facilitator):  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as caught:
        plan(session, facilitator, place=f"Hos {CPR}")
    assert "010203-****" in str(caught.value.message) and "1234" not in str(caught.value.message)


@pytest.mark.parametrize(
    "changes",
    [
        {"place": "", "online_url": "https://teams.microsoft.com/l/meetup-join/19%3a"},
        {"place": "", "online_url": "http://zoom.us/j/123"},
        {"capacity": 1},
        {"capacity": 5000},
        {"capacity": None},
        {"kind": MeetingKind.WEBINAR},
        {"end_day": SOON + timedelta(days=1), "starts": time(15, 0), "ends": time(9, 0)},
        {"end_day": SOON + timedelta(days=6)},
        {"agenda": ""},
        # Ordinary numbers in municipal prose are not CPR numbers.
        {"place": "Rådhuset, tlf. 1234 5678, lokale 2.14", "agenda": "Kl. 12-05-2024 14:30"},
    ],
)
def test_good_input_is_accepted(session, facilitator, changes):  # type: ignore[no-untyped-def]
    assert plan(session, facilitator, **changes).id is not None


def test_spaces_are_tidied(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(
        session,
        facilitator,
        title="  Netværksmøde   i  Aarhus ",
        place="  Aarhus\n Rådhus ",
        online_url=" https://zoom.us/j/1 ",
        agenda="\n\n  Velkomst  \n\n",
    )
    assert (meeting.title, meeting.place) == ("Netværksmøde i Aarhus", "Aarhus Rådhus")
    assert (meeting.online_url, meeting.agenda) == ("https://zoom.us/j/1", "Velkomst")


def test_an_inactive_theme_is_refused(session, facilitator):  # type: ignore[no-untyped-def]
    retired = theme(session, "adoption")
    retired.is_active = False
    with pytest.raises(Invalid) as caught:
        plan(session, facilitator, themes=[theme(session, "ledelse"), retired])
    assert caught.value.field == "themes"


def test_a_theme_given_twice_is_linked_once(session, facilitator):  # type: ignore[no-untyped-def]
    first, second = theme(session, "ledelse"), theme(session, "adoption")
    meeting = plan(session, facilitator, themes=[first, second, first])
    assert [t.slug for t in meeting.themes] == ["ledelse", "adoption"]


def test_every_missing_time_field_is_named(session, facilitator):  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as caught:
        plan(session, facilitator, day=None, starts=None, ends=None)
    assert {p.field for p in [caught.value, *caught.value.also]} == {"day", "starts", "ends"}


# -- telling the region ----------------------------------------------------------------------------


def test_region_followers_hear_of_a_new_meeting(session, member, other_member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    session.commit()
    notify.run(session)
    session.expire_all()
    rows = session.scalars(select(Notification)).all()
    # Mette (Norddjurs, Region Midtjylland) hears by default; Søren (Odense) does not; nor
    # the facilitator, who planned it.
    assert [(n.user_id, n.kind) for n in rows] == [(member.id, NotificationKind.MEETING)]
    assert rows[0].topic_id == meeting.topic_id and rows[0].actor_id == facilitator.id
    assert notify.label(rows[0]) == "Jonas Facilitator har planlagt et møde"
    assert notified(session, NotificationKind.NEW_TOPIC) == []


def test_an_ordinary_topic_is_still_a_new_topic(session, member, facilitator):  # type: ignore[no-untyped-def]
    factories.topic(session, facilitator)
    first = session.scalars(select(Notification)).all()
    assert first == []  # factories do not enqueue; the meeting's topic does
    plan(session, facilitator)
    topic_domain.create_topic(
        session,
        facilitator,
        title="Et almindeligt emne i regionen",
        body="Hvordan gør I?",
        kind=TopicKind.DISCUSSION,
        region=places.region_by_slug(session, "midtjylland"),
        theme=theme(session, "ledelse"),
    )
    session.commit()
    notify.run(session)
    kinds = sorted(
        session.scalars(select(Notification.kind).where(Notification.user_id == member.id))
    )
    assert kinds == [NotificationKind.MEETING, NotificationKind.NEW_TOPIC]


def test_the_e_mail_about_a_new_meeting_links_to_the_meeting_page(
    app, session, member, facilitator
):  # type: ignore[no-untyped-def]
    if "meetings.show" not in app.view_functions:
        pytest.skip("meetings blueprint not yet registered")
    app.config["BASE_URL"] = BASE
    member.email_level = "always"
    meeting = plan(session, facilitator, online_url="https://zoom.us/j/42")
    session.commit()
    notify.run(session)
    message = session.scalars(
        select(MailMessage).where(MailMessage.recipient == member.email)
    ).one()
    assert message.subject == f"Nyt møde i Region Midtjylland: {TITLE}"
    page = f"{BASE}/moeder/{meeting.id}-{meeting.slug}"
    topic_link = f"{BASE}/t/{meeting.topic.slug}/{meeting.topic_id}"
    for body in (message.body, message.html_body):
        assert page in body
        assert topic_link not in body
    assert domain.when_label(meeting) in message.body
    assert "Aarhus Rådhus, mødesal 1" in message.body and "https://zoom.us/j/42" in message.body
    assert "mødesiden" not in message.body  # the opening post is not quoted
    notification = session.scalars(select(Notification)).one()
    assert notification.emailed_at is not None


# -- signing up and the waiting list ---------------------------------------------------------------


def test_seats_then_the_waiting_list_which_moves_up_in_order(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=2)
    a, b, c, d = members(session, 4)
    results = [domain.sign_up(session, who, meeting) for who in (a, b, c, d)]
    assert [s.status for s in results] == [
        SignupStatus.CONFIRMED,
        SignupStatus.CONFIRMED,
        SignupStatus.WAITING,
        SignupStatus.WAITING,
    ]
    assert [s.is_waiting for s in results] == [False, False, True, True]
    assert all(s.promoted_at is None for s in results)
    assert domain.seats_taken(session, meeting) == 2

    assert domain.withdraw(session, a, meeting) is True
    assert statuses(session, meeting) == {
        b.id: SignupStatus.CONFIRMED,
        c.id: SignupStatus.CONFIRMED,
        d.id: SignupStatus.WAITING,
    }
    assert domain.signup_of(session, c, meeting).promoted_at is not None
    assert domain.signup_of(session, b, meeting).promoted_at is None
    assert notified(session, NotificationKind.SEAT) == [c.id]

    assert domain.withdraw(session, b, meeting) is True
    assert notified(session, NotificationKind.SEAT) == [c.id, d.id]
    assert set(statuses(session, meeting).values()) == {SignupStatus.CONFIRMED}
    seat = session.scalars(select(Notification).where(Notification.user_id == d.id)).one()
    assert seat.topic_id == meeting.topic_id and seat.actor_id is None
    assert notify.label(seat) == "Du har fået en plads på mødet"


def test_withdrawing_from_the_waiting_list_moves_nobody_up(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b, c = members(session, 3)
    for who in (a, b, c):
        domain.sign_up(session, who, meeting)
    assert domain.withdraw(session, b, meeting) is True
    assert statuses(session, meeting) == {a.id: SignupStatus.CONFIRMED, c.id: SignupStatus.WAITING}
    assert notified(session, NotificationKind.SEAT) == []


def test_signing_up_twice_keeps_one_row(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    first = domain.sign_up(session, member, meeting)
    again = domain.sign_up(session, member, meeting)
    assert again.id == first.id and again.status == SignupStatus.CONFIRMED
    assert session.scalar(select(func.count(MeetingSignup.id))) == 1


def test_withdrawing_when_not_signed_up(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    assert domain.withdraw(session, member, meeting) is False
    assert domain.signup_of(session, member, meeting) is None
    assert domain.signup_of(session, AnonymousUserMixin(), meeting) is None


def test_no_capacity_means_no_waiting_list(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=None)
    people = members(session, 5)
    assert {domain.sign_up(session, p, meeting).status for p in people} == {SignupStatus.CONFIRMED}


def test_a_larger_capacity_moves_the_waiting_list_up(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b, c, d = members(session, 4)
    for who in (a, b, c, d):
        domain.sign_up(session, who, meeting)
    domain.update_meeting(session, facilitator, meeting, meeting_input(session, capacity=3))
    assert statuses(session, meeting) == {
        a.id: SignupStatus.CONFIRMED,
        b.id: SignupStatus.CONFIRMED,
        c.id: SignupStatus.CONFIRMED,
        d.id: SignupStatus.WAITING,
    }
    assert notified(session, NotificationKind.SEAT) == [b.id, c.id]
    # No limit at all: everyone still waiting moves up.
    domain.update_meeting(session, facilitator, meeting, meeting_input(session, capacity=None))
    assert notified(session, NotificationKind.SEAT) == [b.id, c.id, d.id]


def test_a_smaller_capacity_takes_no_seat_away(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=3)
    a, b, c, d = members(session, 4)
    for who in (a, b, c, d):
        domain.sign_up(session, who, meeting)
    domain.update_meeting(session, facilitator, meeting, meeting_input(session, capacity=1))
    assert domain.seats_taken(session, meeting) == 3
    # Over capacity: a withdrawal frees no seat yet.
    domain.withdraw(session, a, meeting)
    assert statuses(session, meeting)[d.id] == SignupStatus.WAITING
    assert notified(session, NotificationKind.SEAT) == []


def test_no_signing_up_for_a_cancelled_ended_or_deleted_meeting(session, member, facilitator):  # type: ignore[no-untyped-def]
    cancelled = plan(session, facilitator)
    domain.cancel_meeting(session, facilitator, cancelled)
    with pytest.raises(Invalid):
        domain.sign_up(session, member, cancelled)
    ended = plan(session, facilitator)
    held(session, ended)
    with pytest.raises(Invalid):
        domain.sign_up(session, member, ended)
    deleted = plan(session, facilitator)
    deleted.deleted_at = utcnow()
    with pytest.raises(NotAllowed):
        domain.sign_up(session, member, deleted)
    assert session.scalar(select(func.count(MeetingSignup.id))) == 0


def test_one_may_sign_up_while_the_meeting_is_on(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    meeting.starts_at = utcnow() - timedelta(hours=1)
    meeting.ends_at = utcnow() + timedelta(hours=1)
    assert domain.sign_up(session, member, meeting).status == SignupStatus.CONFIRMED


def test_the_anonymous_and_the_deactivated_cannot_sign_up(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    with pytest.raises(NotAllowed):
        domain.sign_up(session, AnonymousUserMixin(), meeting)
    member.active = False
    with pytest.raises(NotAllowed):
        domain.sign_up(session, member, meeting)


def test_withdrawing_after_the_meeting_moves_nobody_up(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b = members(session, 2)
    domain.sign_up(session, a, meeting)
    domain.sign_up(session, b, meeting)
    held(session, meeting)
    domain.withdraw(session, a, meeting)
    assert notified(session, NotificationKind.SEAT) == []


# -- cancel and reopen -------------------------------------------------------------------------


def test_cancelling_tells_everyone_signed_up_once(session, member, facilitator, admin):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    waiting = factories.user(session, municipality="Odense")
    domain.sign_up(session, member, meeting)
    domain.sign_up(session, waiting, meeting)
    bystander = factories.user(session, municipality="Aarhus")
    with pytest.raises(NotAllowed):
        domain.cancel_meeting(session, member, meeting)
    domain.cancel_meeting(session, admin, meeting)
    assert meeting.is_cancelled and meeting.sequence == 1
    told = notified(session, NotificationKind.MEETING_CANCELLED)
    assert sorted(told) == sorted([member.id, waiting.id]) and bystander.id not in told
    row = session.scalars(select(Notification).where(Notification.user_id == member.id)).one()
    assert row.actor_id == admin.id and row.topic_id == meeting.topic_id
    assert notify.label(row) == "Et møde, du er tilmeldt, er aflyst"

    domain.cancel_meeting(session, admin, meeting)  # again: nothing changes, nobody told twice
    assert meeting.sequence == 1
    assert len(notified(session, NotificationKind.MEETING_CANCELLED)) == 2


def test_cancelling_a_meeting_nobody_signed_up_for(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    domain.cancel_meeting(session, facilitator, meeting)
    assert meeting.is_cancelled and session.scalar(select(func.count(Notification.id))) == 0


def test_a_deactivated_member_is_not_told_of_the_cancellation(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    domain.sign_up(session, member, meeting)
    member.active = False
    domain.cancel_meeting(session, facilitator, meeting)
    assert notified(session, NotificationKind.MEETING_CANCELLED) == []


def test_reopening_a_cancelled_meeting(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    domain.reopen_meeting(session, facilitator, meeting)  # not cancelled: nothing to undo
    assert meeting.sequence == 0
    domain.cancel_meeting(session, facilitator, meeting)
    with pytest.raises(NotAllowed):
        domain.reopen_meeting(session, member, meeting)
    domain.reopen_meeting(session, facilitator, meeting)
    assert not meeting.is_cancelled and meeting.sequence == 2
    assert domain.sign_up(session, member, meeting).status == SignupStatus.CONFIRMED


def test_while_cancelled_a_withdrawal_moves_nobody_up(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b = members(session, 2)
    domain.sign_up(session, a, meeting)
    domain.sign_up(session, b, meeting)
    domain.cancel_meeting(session, facilitator, meeting)
    domain.withdraw(session, a, meeting)
    assert statuses(session, meeting) == {b.id: SignupStatus.WAITING}
    assert notified(session, NotificationKind.SEAT) == []


def test_reopening_fills_the_seats_freed_while_cancelled(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b = members(session, 2)
    domain.sign_up(session, a, meeting)
    domain.sign_up(session, b, meeting)
    domain.cancel_meeting(session, facilitator, meeting)
    domain.withdraw(session, a, meeting)
    domain.reopen_meeting(session, facilitator, meeting)
    assert statuses(session, meeting) == {b.id: SignupStatus.CONFIRMED}
    assert notified(session, NotificationKind.SEAT) == [b.id]


def test_the_one_who_cancels_is_not_told(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    domain.sign_up(session, facilitator, meeting)
    domain.sign_up(session, member, meeting)
    domain.cancel_meeting(session, facilitator, meeting)
    assert notified(session, NotificationKind.MEETING_CANCELLED) == [member.id]


# -- update_meeting ----------------------------------------------------------------------------


def test_update_counts_the_changes_and_the_topic_follows_the_title(session, facilitator, admin):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    session.commit()
    created = meeting.updated_at
    domain.update_meeting(
        session,
        admin,
        meeting,
        meeting_input(session, title="Netværksmøde i Randers", starts=time(10, 0), agenda="*Ny*"),
    )
    session.commit()
    session.expire_all()
    assert meeting.sequence == 1 and meeting.updated_at >= created
    assert (meeting.title, meeting.slug) == ("Netværksmøde i Randers", "netvaerksmoede-i-randers")
    assert (meeting.topic.title, meeting.topic.slug) == (meeting.title, meeting.slug)
    assert "<em>Ny</em>" in meeting.agenda_html
    assert domain.to_local(meeting.starts_at).time() == time(10, 0)
    domain.update_meeting(
        session, admin, meeting, meeting_input(session, title="Netværksmøde i Randers")
    )
    assert meeting.sequence == 2


def test_a_topic_renamed_on_its_own_keeps_its_title(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    meeting.topic.title = "Spørgsmål til netværksmødet"
    domain.update_meeting(
        session, facilitator, meeting, meeting_input(session, title="Nyt navn på mødet")
    )
    assert meeting.topic.title == "Spørgsmål til netværksmødet"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (["ledelse", "adoption"], ["adoption", "ledelse"]),  # reordered
        (["ledelse", "adoption"], ["familiepleje", "ledelse"]),  # replaced; one kept, moved
        (["ledelse"], ["ledelse", "adoption", "familiepleje"]),  # added
        (["ledelse", "adoption", "familiepleje"], ["familiepleje"]),  # removed
        (["ledelse", "adoption"], ["ledelse", "adoption"]),  # unchanged
    ],
)
def test_themes_can_be_reordered_and_replaced(session, facilitator, before, after):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, themes=[theme(session, s) for s in before])
    session.commit()
    domain.update_meeting(
        session,
        facilitator,
        meeting,
        meeting_input(session, themes=[theme(session, s) for s in after]),
    )
    session.commit()
    session.expire_all()
    assert [t.slug for t in meeting.themes] == after
    assert [link.position for link in meeting.theme_links] == list(range(len(after)))


def test_an_invalid_update_changes_nothing(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    with pytest.raises(Invalid):
        domain.update_meeting(session, facilitator, meeting, meeting_input(session, title="x"))
    assert meeting.title == TITLE and meeting.sequence == 0


def test_members_cannot_change_a_meeting(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    with pytest.raises(NotAllowed):
        domain.update_meeting(
            session, member, meeting, meeting_input(session, title="Overtaget møde")
        )
    assert meeting.title == TITLE


def test_the_topic_follows_a_new_region_and_first_theme(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, themes=[theme(session, "ledelse")])
    domain.update_meeting(
        session,
        facilitator,
        meeting,
        meeting_input(
            session,
            region=places.region_by_slug(session, "syddanmark"),
            themes=[theme(session, "adoption"), theme(session, "ledelse")],
        ),
    )
    assert meeting.region.slug == "syddanmark"
    assert (meeting.topic.region.slug, meeting.topic.theme.slug) == ("syddanmark", "adoption")


# -- the sign-up list as CSV -------------------------------------------------------------------


def test_signups_csv(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=2)
    first = factories.user(session, name="Mette Kjær", municipality="Norddjurs", job_title="Chef")
    kl = factories.user(session, name="Karen KL", organisation="KL", municipality=None)
    waiting = factories.user(session, name="Søren Holm", municipality="Odense")
    for who in (first, kl, waiting):
        domain.sign_up(session, who, meeting)
    text = domain.signups_csv(session, meeting)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == [
        "Navn",
        "Stilling",
        "Kommune eller organisation",
        "Region",
        "E-mail",
        "Status",
        "Tilmeldt",
    ]
    assert [row[0] for row in rows[1:]] == ["Mette Kjær", "Karen KL", "Søren Holm"]
    assert rows[1][:6] == [
        "Mette Kjær",
        "Chef",
        "Norddjurs",
        "Region Midtjylland",
        first.email,
        "Tilmeldt",
    ]
    assert rows[2][2:4] == ["KL", ""]  # an organisation has no region
    assert rows[3][5] == "Venteliste"
    local = domain.to_local(domain.signup_of(session, first, meeting).created_at)
    assert rows[1][6] == local.strftime("%d-%m-%Y %H:%M")
    assert text.count("\r\n") == 4


def test_waiting_members_come_last_even_when_an_earlier_seat_frees(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator, capacity=1)
    a, b, c = members(session, 3)
    for who in (a, b, c):
        domain.sign_up(session, who, meeting)
    rows = list(csv.reader(io.StringIO(domain.signups_csv(session, meeting)[1:]), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [a.display_name, b.display_name, c.display_name]
    assert [row[5] for row in rows[1:]] == ["Tilmeldt", "Venteliste", "Venteliste"]


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("https://evil.example","Klik")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_a_formula_in_the_csv_is_made_text(session, facilitator, name):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    domain.sign_up(session, factories.user(session, name=name, job_title="=1+1"), meeting)
    rows = list(csv.reader(io.StringIO(domain.signups_csv(session, meeting)[1:]), delimiter=";"))
    assert rows[1][0] == "'" + name
    assert rows[1][1] == "'=1+1"


def test_csv_of_an_empty_meeting_is_just_the_header(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    assert domain.signups_csv(session, meeting).count("\r\n") == 1


# -- counts ----------------------------------------------------------------------------------


def test_counts_for_several_meetings_in_one_statement(session, facilitator, count_queries):  # type: ignore[no-untyped-def]
    full = plan(session, facilitator, capacity=1)
    open_ = plan(session, facilitator, title="Workshop om familiepleje")
    empty = plan(session, facilitator, title="Webinar om tidlig indsats")
    a, b, c = members(session, 3)
    for who in (a, b, c):
        domain.sign_up(session, who, full)
    domain.sign_up(session, a, open_)
    session.commit()
    ids = [full.id, open_.id, empty.id]
    with count_queries() as counter:
        found = domain.counts(session, ids)
    assert counter.count == 1
    assert found == {
        full.id: domain.Counts(confirmed=1, waiting=2),
        open_.id: domain.Counts(confirmed=1, waiting=0),
        empty.id: domain.Counts(confirmed=0, waiting=0),
    }
    with count_queries() as counter:
        assert domain.counts(session, []) == {}
    assert counter.count == 0


# -- lists -----------------------------------------------------------------------------------


@pytest.fixture
def calendar(session, facilitator):  # type: ignore[no-untyped-def]
    """Meetings around now: two ahead, one on now, one cancelled, two held, one deleted, and
    one ahead in another region with another theme."""
    now = utcnow()

    def at(title, start, hours=3, **changes):  # type: ignore[no-untyped-def]
        meeting = plan(session, facilitator, title=title, **changes)
        meeting.starts_at, meeting.ends_at = start, start + timedelta(hours=hours)
        return meeting

    found = {
        "in_10_days": at("Om ti dage i regionen", now + timedelta(days=10)),
        "in_5_days": at("Om fem dage i regionen", now + timedelta(days=5)),
        "now": at("Lige nu i regionen", now - timedelta(hours=1)),
        "cancelled": at("Aflyst om en uge", now + timedelta(days=7)),
        "held_5_days_ago": at("Holdt for fem dage siden", now - timedelta(days=5)),
        "held_10_days_ago": at("Holdt for ti dage siden", now - timedelta(days=10)),
        "deleted": at("Slettet om tre dage", now + timedelta(days=3)),
        "south": at(
            "Om to dage i Syddanmark",
            now + timedelta(days=2),
            region=places.region_by_slug(session, "syddanmark"),
            themes=[theme(session, "ledelse"), theme(session, "adoption")],
        ),
    }
    domain.cancel_meeting(session, facilitator, found["cancelled"])
    found["deleted"].deleted_at = now
    session.commit()
    return found


def titles(session, query) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.title for m in session.scalars(query)]


def test_upcoming_soonest_first_past_newest_first(session, calendar):  # type: ignore[no-untyped-def]
    assert titles(session, domain.meetings_query()) == [
        "Lige nu i regionen",
        "Om to dage i Syddanmark",
        "Om fem dage i regionen",
        "Aflyst om en uge",  # cancelled ones stay, marked
        "Om ti dage i regionen",
    ]
    assert titles(session, domain.meetings_query(upcoming=False)) == [
        "Holdt for fem dage siden",
        "Holdt for ti dage siden",
    ]


def test_lists_by_region_and_theme(session, calendar):  # type: ignore[no-untyped-def]
    south = places.region_by_slug(session, "syddanmark")
    assert titles(session, domain.meetings_query(region=south)) == ["Om to dage i Syddanmark"]
    assert titles(session, domain.meetings_query(region=south, upcoming=False)) == []
    # A meeting is found by any of its themes, not only the first.
    assert titles(session, domain.meetings_query(theme=theme(session, "adoption"))) == [
        "Om to dage i Syddanmark"
    ]
    midt = places.region_by_slug(session, "midtjylland")
    assert (
        titles(session, domain.meetings_query(region=midt, theme=theme(session, "ledelse"))) == []
    )
    assert (
        len(titles(session, domain.meetings_query(theme=theme(session, "netvaerksanbringelser"))))
        == 4
    )


def test_next_meetings_leaves_out_cancelled_and_ended_ones(session, calendar):  # type: ignore[no-untyped-def]
    upcoming = [m.title for m in domain.next_meetings(session, limit=10)]
    assert upcoming == [
        "Lige nu i regionen",
        "Om to dage i Syddanmark",
        "Om fem dage i regionen",
        "Om ti dage i regionen",
    ]
    assert [m.title for m in domain.next_meetings(session)] == upcoming[:3]
    midt = places.region_by_slug(session, "midtjylland")
    assert [m.title for m in domain.next_meetings(session, region_ids=[midt.id], limit=2)] == [
        "Lige nu i regionen",
        "Om fem dage i regionen",
    ]
    assert domain.next_meetings(session, region_ids=[]) == []


def test_next_meetings_is_one_statement(session, calendar, count_queries):  # type: ignore[no-untyped-def]
    session.expire_all()
    with count_queries() as counter:
        found = domain.next_meetings(session, limit=10)
        regions = [m.region.name for m in found]
    assert counter.count == 1 and len(regions) == 4


def test_my_meetings(session, member, calendar):  # type: ignore[no-untyped-def]
    domain.sign_up(session, member, calendar["in_5_days"])
    domain.sign_up(session, member, calendar["now"])
    session.commit()
    assert [m.title for m in domain.my_meetings(session, member)] == [
        "Om fem dage i regionen",
        "Lige nu i regionen",
    ]


def test_get_meeting_hides_deleted_ones_from_members(session, member, facilitator, calendar):  # type: ignore[no-untyped-def]
    from forum.errors import NotFound

    deleted = calendar["deleted"]
    with pytest.raises(NotFound):
        domain.get_meeting(session, member, deleted.id)
    with pytest.raises(NotFound):
        domain.get_meeting(session, member, 2_000_000)
    assert domain.get_meeting(session, facilitator, deleted.id) is deleted
    assert domain.get_meeting(session, member, calendar["now"].id) is calendar["now"]


# -- pinned materials ------------------------------------------------------------------------------


def attach(session, meeting, uploader, name: str, **changes):  # type: ignore[no-untyped-def]
    """A file row among a meeting's materials (the bytes do not matter to the lists)."""
    attachment = Attachment(
        digest=name.encode().hex().ljust(64, "0")[:64], size=2_400_000, kind="pdf",
        mime="application/pdf", filename=name, uploader=uploader, meeting=meeting, **changes,
    )  # fmt: skip
    session.add(attachment)
    session.flush()
    return attachment


def pinned_titles(session, *slugs: str) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    ids = [places.region_by_slug(session, slug).id for slug in slugs]
    return [
        (group.meeting.title, [f.filename for f in group.files])
        for group in domain.pinned_materials(session, ids)
    ]


def test_pinning_a_meetings_materials_and_taking_them_off(session, member, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    attach(session, meeting, facilitator, "dagsorden.pdf")
    assert not meeting.materials_pinned()
    with pytest.raises(NotAllowed):
        domain.pin_materials(session, member, meeting)
    domain.pin_materials(session, facilitator, meeting)
    assert meeting.materials_pinned() and meeting.materials_pinned_until is None
    assert pinned_titles(session, "midtjylland") == [(TITLE, ["dagsorden.pdf"])]
    with pytest.raises(NotAllowed):
        domain.unpin_materials(session, member, meeting)
    domain.unpin_materials(session, facilitator, meeting)
    assert not meeting.materials_pinned() and meeting.materials_pinned_at is None
    assert pinned_titles(session, "midtjylland") == []


def test_a_pin_until_a_date_runs_out(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    attach(session, meeting, facilitator, "slides.pdf")
    with pytest.raises(Invalid) as refused:
        domain.pin_materials(session, facilitator, meeting, utcnow() - timedelta(minutes=1))
    assert refused.value.field == "until" and not meeting.materials_pinned()
    domain.pin_materials(session, facilitator, meeting, utcnow() + timedelta(days=2))
    assert meeting.materials_pinned()
    assert not meeting.materials_pinned(utcnow() + timedelta(days=3))
    assert pinned_titles(session, "midtjylland") == [(TITLE, ["slides.pdf"])]
    meeting.materials_pinned_until = utcnow() - timedelta(seconds=1)  # run out
    session.flush()
    assert pinned_titles(session, "midtjylland") == []


def test_pinned_materials_are_their_regions_and_the_national_ones(session, facilitator):  # type: ignore[no-untyped-def]
    """A region's page shows its own pinned meetings and the national ones; cancelled ones
    stay while pinned; deleted files, deleted meetings and unpinned ones do not."""
    now = utcnow()
    national = places.region_by_slug(session, "landsdaekkende")
    made = {
        "midt": plan(session, facilitator, title="Netværksmøde i Midtjylland"),
        "national": plan(session, facilitator, title="Landskonferencen", region=national),
        "south": plan(
            session,
            facilitator,
            title="Netværksmøde i Syddanmark",
            region=places.region_by_slug(session, "syddanmark"),
        ),
        "cancelled": plan(session, facilitator, title="Aflyst workshop"),
        "deleted": plan(session, facilitator, title="Slettet møde"),
        "unpinned": plan(session, facilitator, title="Ikke fastgjort"),
    }
    for offset, meeting in enumerate(made.values()):
        meeting.starts_at = now + timedelta(days=10 - offset)
        meeting.ends_at = meeting.starts_at + timedelta(hours=3)
        attach(session, meeting, facilitator, f"{meeting.slug}.pdf")
        if meeting is not made["unpinned"]:
            domain.pin_materials(session, facilitator, meeting)
    attach(session, made["midt"], facilitator, "slettet.pdf", deleted_at=now)
    attach(session, made["midt"], facilitator, "referat.pdf", created_at=now + timedelta(hours=1))
    domain.cancel_meeting(session, facilitator, made["cancelled"])
    made["deleted"].deleted_at = now
    session.flush()

    assert pinned_titles(session, "midtjylland", "landsdaekkende") == [
        ("Netværksmøde i Midtjylland", ["referat.pdf", "netvaerksmoede-i-midtjylland.pdf"]),
        ("Landskonferencen", ["landskonferencen.pdf"]),
        ("Aflyst workshop", ["aflyst-workshop.pdf"]),  # cancelled, still pinned
    ]
    assert [title for title, _files in pinned_titles(session, "syddanmark", "landsdaekkende")] == [
        "Landskonferencen",
        "Netværksmøde i Syddanmark",
    ]
    assert domain.pinned_materials(session, []) == []


def test_pinned_materials_are_one_statement_and_bounded(session, facilitator, count_queries):  # type: ignore[no-untyped-def]
    for n in range(4):
        meeting = plan(session, facilitator, title=f"Fastgjort møde nummer {n}")
        for k in range(3):
            attach(session, meeting, facilitator, f"fil-{n}-{k}.pdf")
        domain.pin_materials(session, facilitator, meeting)
    session.commit()
    midt = places.region_by_slug(session, "midtjylland").id
    session.expire_all()
    with count_queries() as counter:
        groups = domain.pinned_materials(session, [midt], limit=5)
        shown = [(g.meeting.title, g.meeting.is_cancelled, len(g.files)) for g in groups]
    assert counter.count == 1
    assert sum(count for _title, _cancelled, count in shown) == 5


# -- the permission rules ------------------------------------------------------------------------

ROLES = ("member", "facilitator", "admin", "inactive", "anonymous")


@pytest.fixture
def who(session):  # type: ignore[no-untyped-def]
    return {
        "member": factories.user(session, municipality="Aarhus"),
        "facilitator": factories.user(session, role=Role.FACILITATOR, organisation="KL"),
        "admin": factories.user(session, role=Role.ADMIN, organisation="KL"),
        "inactive": factories.user(session, role=Role.FACILITATOR, organisation="KL", active=False),
        "anonymous": AnonymousUserMixin(),
    }


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        # state: "open", "cancelled", "ended", "deleted"; allowed: the roles that may.
        ("open", permissions.CREATE_MEETING, {"facilitator", "admin"}),
        ("open", permissions.EDIT_MEETING, {"facilitator", "admin"}),
        ("cancelled", permissions.EDIT_MEETING, {"facilitator", "admin"}),  # to reopen it
        ("ended", permissions.EDIT_MEETING, {"facilitator", "admin"}),
        ("deleted", permissions.EDIT_MEETING, set()),
        ("open", permissions.SIGN_UP, {"member", "facilitator", "admin"}),
        ("cancelled", permissions.SIGN_UP, set()),
        ("ended", permissions.SIGN_UP, set()),
        ("deleted", permissions.SIGN_UP, set()),
        ("open", permissions.VIEW_SIGNUPS, {"facilitator", "admin"}),
        ("ended", permissions.VIEW_SIGNUPS, {"facilitator", "admin"}),
        ("open", permissions.VIEW, {"member", "facilitator", "admin"}),
        ("cancelled", permissions.VIEW, {"member", "facilitator", "admin"}),
        ("deleted", permissions.VIEW, {"facilitator", "admin"}),
        ("open", permissions.PIN_MATERIALS, {"facilitator", "admin"}),
        ("cancelled", permissions.PIN_MATERIALS, {"facilitator", "admin"}),
        ("ended", permissions.PIN_MATERIALS, {"facilitator", "admin"}),
        ("deleted", permissions.PIN_MATERIALS, set()),
    ],
)
def test_meeting_permissions(session, facilitator, who, state, action, allowed):  # type: ignore[no-untyped-def]
    meeting = plan(session, facilitator)
    if state == "cancelled":
        domain.cancel_meeting(session, facilitator, meeting)
    elif state == "ended":
        held(session, meeting)
    elif state == "deleted":
        meeting.deleted_at = utcnow()
    obj = None if action == permissions.CREATE_MEETING else meeting
    assert {role for role in ROLES if permissions.can(who[role], action, obj)} == allowed
    assert action in permissions.ACTIONS


# -- PostgreSQL: the last seat ---------------------------------------------------------------------


def test_two_members_for_the_last_seat_only_one_gets_it(app, session, facilitator):  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite has none")
    meeting = plan(session, facilitator, capacity=1)
    first, second = members(session, 2)
    session.commit()
    ids = (meeting.id, first.id, second.id)
    results: dict[str, str] = {}
    locked = threading.Event()

    def sign_up_as(name: str, user_id: int, commit_after: threading.Event | None) -> None:
        with app.app_context(), Session(db.engine) as own:
            found = own.get(Meeting, ids[0])
            user = own.get(User, user_id)
            signup = domain.sign_up(own, user, found)
            results[name] = signup.status
            if commit_after is not None:
                locked.set()
                commit_after.wait(30)
            own.commit()

    go = threading.Event()
    holder = threading.Thread(target=sign_up_as, args=("first", ids[1], go))
    holder.start()
    waiter = threading.Thread(target=sign_up_as, args=("second", ids[2], None))
    try:
        assert locked.wait(30)
        waiter.start()
        waiter.join(1.0)
        # The second member waits on the meeting's row while the first one's is held.
        assert waiter.is_alive() and "second" not in results
    finally:
        go.set()  # even when an assertion failed: no transaction left open for the next test
        holder.join(30)
        if waiter.ident is not None:
            waiter.join(30)
    assert results == {"first": SignupStatus.CONFIRMED, "second": SignupStatus.WAITING}
    session.expire_all()
    assert domain.seats_taken(session, meeting) == 1
