"""Meetings over HTTP: planning one, its page, signing up, the sign-up list, and calendars."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time, timedelta

import pytest

from forum import feeds, places
from forum import meetings as domain
from forum.extensions import db
from forum.models import Meeting, MeetingSignup, SignupStatus, TopicKind
from forum.timeutil import utcnow
from tests import factories


def _input(session, **changes):  # type: ignore[no-untyped-def]
    day = (utcnow() + timedelta(days=30)).date()
    values = {
        "title": "Netværksmøde i Region Syddanmark",
        "kind": "netvaerksmoede",
        "region": places.region_by_slug(session, "syddanmark"),
        "themes": [places.theme_by_slug(session, "netvaerksanbringelser")],
        "day": day,
        "starts": time(9, 30),
        "ends": time(15, 0),
        "place": "Vejle Rådhus, Skolegade 1, 7100 Vejle",
        "agenda": "1. Velkomst\n2. Oplæg om **netværksanbringelser**",
    }
    values.update(changes)
    return domain.MeetingInput(**values)


def _meeting(session, facilitator, **changes) -> Meeting:  # type: ignore[no-untyped-def]
    meeting = domain.create_meeting(session, facilitator, _input(session, **changes))
    session.commit()
    return meeting


def _form(**changes: object) -> dict[str, object]:
    day = (utcnow() + timedelta(days=30)).date()
    data: dict[str, object] = {
        "title": "Workshop om familiepleje",
        "kind": "workshop",
        "region": "syddanmark",
        "theme": "familiepleje",
        "other_themes": ["netvaerksanbringelser"],
        "day": day.isoformat(),
        "starts": "09:30",
        "ends": "15:00",
        "place": "Kolding Bibliotek",
        "online_url": "",
        "agenda": "1. Velkomst",
        "capacity": "",
    }
    data.update(changes)
    return data


# -- planning --------------------------------------------------------------------------------


def test_a_facilitator_plans_a_meeting_with_its_discussion_topic(
    client, auth, session, facilitator
):
    auth.login(facilitator)
    assert client.get("/moeder/ny").status_code == 200
    response = client.post("/moeder/ny", data=_form())
    assert response.status_code == 302
    meeting = session.query(Meeting).one()
    assert response.headers["Location"].endswith(f"/moeder/{meeting.id}-{meeting.slug}")
    assert [t.slug for t in meeting.themes] == ["familiepleje", "netvaerksanbringelser"]
    # Entered in Copenhagen, stored in UTC (an hour or two earlier).
    assert domain.to_local(meeting.starts_at).time() == time(9, 30)
    assert meeting.topic.kind == TopicKind.MATERIAL
    assert meeting.topic.theme.slug == "familiepleje"
    assert meeting.topic.region.slug == "syddanmark"

    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Workshop om familiepleje" in page
    assert "9.30" in page or "09.30" in page or "09:30" in page
    assert f'href="/t/{meeting.topic.slug}/{meeting.topic.id}"' in page
    assert "Kolding Bibliotek" in page
    # The list shows it among the upcoming meetings.
    listing = client.get("/moeder").get_data(True)
    assert "Workshop om familiepleje" in listing


def test_bad_input_keeps_the_form_with_danish_messages(client, auth, session, facilitator):
    auth.login(facilitator)
    response = client.post(
        "/moeder/ny",
        data=_form(
            title="Møde",
            ends="08:00",
            place="",
            online_url="javascript:alert(1)",
            agenda="Husk barnets cpr 010203-1234",
        ),
    )
    assert response.status_code == 400
    page = response.get_data(True)
    assert "Skriv en titel på mindst 5 tegn." in page
    assert "Mødet skal slutte efter, det begynder." in page
    assert "https://" in page and "Skriv et fuldt link" in page
    assert "CPR" in page or "cpr" in page
    # Nothing the facilitator typed is lost.
    assert "Husk barnets cpr 010203-1234" in page
    assert 'value="Møde"' in page
    assert session.query(Meeting).count() == 0


def test_members_may_not_plan_or_edit_meetings(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(member)
    assert client.get("/moeder/ny").status_code == 403
    assert client.post("/moeder/ny", data=_form()).status_code == 403
    assert client.get(f"/moeder/{meeting.id}/rediger").status_code == 403
    assert client.post(f"/moeder/{meeting.id}/aflys").status_code == 403
    assert client.get(f"/moeder/{meeting.id}/tilmeldte.csv").status_code == 403
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Redigér mødet" not in page and "tilmeldte.csv" not in page


def test_editing_keeps_times_in_copenhagen_and_bumps_the_sequence(
    client, auth, session, facilitator
):
    year = utcnow().year + 1
    meeting = _meeting(session, facilitator, day=date(year, 3, 12))
    auth.login(facilitator)
    page = client.get(f"/moeder/{meeting.id}/rediger").get_data(True)
    assert 'value="09:30"' in page and f'value="{year}-03-12"' in page
    response = client.post(
        f"/moeder/{meeting.id}/rediger",
        data=_form(
            title="Netværksmøde, flyttet", day=f"{year}-06-10", starts="10:00", ends="14:00"
        ),
    )
    assert response.status_code == 302
    session.expire_all()
    meeting = session.get(Meeting, meeting.id)
    assert meeting.title == "Netværksmøde, flyttet"
    assert meeting.sequence == 1
    assert domain.to_local(meeting.starts_at).time() == time(10, 0)  # summer time: UTC+2
    assert meeting.starts_at.hour == 8
    assert meeting.topic.title == "Netværksmøde, flyttet"


def test_the_slug_is_canonical(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(member)
    for path in (f"/moeder/{meeting.id}", f"/moeder/{meeting.id}-forkert"):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"].endswith(f"/moeder/{meeting.id}-{meeting.slug}")
    assert client.get("/moeder/999999-x").status_code == 404


def test_the_list_filters_by_region_and_theme(client, auth, session, member, facilitator):
    _meeting(session, facilitator, title="Møde i Syddanmark om netværk")
    _meeting(
        session,
        facilitator,
        title="Møde i Nordjylland om familiepleje",
        region=places.region_by_slug(session, "nordjylland"),
        themes=[places.theme_by_slug(session, "familiepleje")],
    )
    auth.login(member)
    page = client.get("/moeder?region=nordjylland").get_data(True)
    assert "Møde i Nordjylland" in page and "Møde i Syddanmark" not in page
    page = client.get("/moeder?tema=netvaerksanbringelser").get_data(True)
    assert "Møde i Syddanmark" in page and "Møde i Nordjylland" not in page
    assert client.get("/moeder?region=atlantis").status_code == 404


# -- signing up ------------------------------------------------------------------------------


def test_sign_up_fills_seats_then_the_waiting_list(client, auth, session, facilitator):
    meeting = _meeting(session, facilitator, capacity=1)
    first, second = factories.user(session), factories.user(session)
    session.commit()
    auth.login(first)
    assert client.post(f"/moeder/{meeting.id}/tilmeld").status_code == 302
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Du er tilmeldt." in page and "1 af 1 pladser er taget." in page
    auth.logout()
    auth.login(second)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Skriv mig på ventelisten" in page
    client.post(f"/moeder/{meeting.id}/tilmeld")
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Du står på ventelisten." in page
    auth.logout()

    auth.login(first)
    client.post(f"/moeder/{meeting.id}/afmeld")
    session.expire_all()
    moved = session.query(MeetingSignup).one()
    assert moved.user_id == second.id and moved.status == SignupStatus.CONFIRMED


def test_a_cancelled_meeting_takes_no_sign_ups(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    client.post(f"/moeder/{meeting.id}/aflys")
    auth.logout()
    auth.login(member)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Mødet er aflyst." in page and ">Tilmeld<" not in page
    response = client.post(f"/moeder/{meeting.id}/tilmeld", follow_redirects=True)
    assert "Mødet er aflyst." in response.get_data(True)
    assert session.query(MeetingSignup).count() == 0


def test_the_facilitator_sees_and_exports_the_sign_ups(client, auth, session, facilitator):
    meeting = _meeting(session, facilitator)
    odense = factories.user(session, name='=HYPERLINK("x")', municipality="Odense")
    domain.sign_up(session, odense, meeting)
    session.commit()
    auth.login(facilitator)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Odense" in page and "tilmeldte.csv" in page
    response = client.get(f"/moeder/{meeting.id}/tilmeldte.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Navn"
    assert rows[1][0].startswith("'=")  # a formula is text, not run
    assert rows[1][2] == "Odense"


# -- calendars -------------------------------------------------------------------------------


def test_add_to_calendar_downloads_an_ics_file(client, auth, session, member, facilitator):
    icalendar = pytest.importorskip("icalendar")
    meeting = _meeting(session, facilitator)
    auth.login(member)
    response = client.get(f"/moeder/{meeting.id}/kalender.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["SUMMARY"]).endswith(meeting.title)


def test_subscribed_calendars_work_by_token_alone(client, auth, session, member, facilitator):
    icalendar = pytest.importorskip("icalendar")
    meeting = _meeting(session, facilitator)
    domain.sign_up(session, member, meeting)
    session.commit()
    token = feeds.feed_token(member)
    for path in (f"/kalender/{token}/region/syddanmark.ics", f"/kalender/{token}/mine.ics"):
        response = client.get(path)  # no session at all
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers
        calendar = icalendar.Calendar.from_ical(response.get_data())
        assert [str(e["UID"]) for e in calendar.walk("VEVENT")], path
    # A wrong or renewed token, an unknown region: the same bare 404.
    assert client.get("/kalender/1-forkert/mine.ics").status_code == 404
    assert client.get(f"/kalender/{token}/region/atlantis.ics").status_code == 404
    for stray in (f"/kalender/{token}/noget.ics", "/kalender/x"):
        response = client.get(stray)
        assert response.status_code == 404 and "Set-Cookie" not in response.headers
    # A calendar program that already has this version gets a 304.
    first = client.get(f"/kalender/{token}/mine.ics")
    again = client.get(
        f"/kalender/{token}/mine.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    feeds.renew_token(session, member)
    session.commit()
    assert client.get(f"/kalender/{token}/mine.ics").status_code == 404


def test_a_deactivated_members_calendar_stops(client, session, member, facilitator):
    _meeting(session, facilitator)
    token = feeds.feed_token(member)
    member.active = False
    session.commit()
    assert client.get(f"/kalender/{token}/region/syddanmark.ics").status_code == 404


def test_pages_need_a_login(client, session, facilitator):
    meeting = _meeting(session, facilitator)
    for path in (
        "/moeder",
        f"/moeder/{meeting.id}-{meeting.slug}",
        f"/moeder/{meeting.id}/kalender.ics",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_meeting_list_has_a_fixed_statement_count(
    client, auth, session, member, facilitator, count_queries
):
    auth.login(member)
    _meeting(session, facilitator)
    client.get("/moeder")
    with count_queries() as few:
        client.get("/moeder")
    for n in range(6):
        meeting = _meeting(session, facilitator, title=f"Endnu et møde nummer {n}")
        domain.sign_up(session, member, meeting)
    session.commit()
    with count_queries() as many:
        assert client.get("/moeder").status_code == 200
    assert many.count == few.count


def test_the_topic_page_links_back_to_its_meeting(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(member)
    page = client.get(f"/t/{meeting.topic.slug}/{meeting.topic.id}").get_data(True)
    assert "Tråden til mødet" in page
    assert f'href="/moeder/{meeting.id}-{meeting.slug}"' in page


def test_region_and_front_page_show_the_next_meetings(client, auth, session, facilitator):
    _meeting(session, facilitator, title="Netværksmøde om familiepleje i Syddanmark")
    odense = factories.user(session, municipality="Odense")  # Region Syddanmark
    aarhus = factories.user(session, municipality="Aarhus")  # Region Midtjylland
    session.commit()
    auth.login(odense)
    assert "Netværksmøde om familiepleje" in client.get("/").get_data(True)
    assert "Netværksmøde om familiepleje" in client.get("/region/syddanmark").get_data(True)
    assert "Netværksmøde om familiepleje" not in client.get("/region/midtjylland").get_data(True)
    auth.logout()
    auth.login(aarhus)  # neither their region nor one they follow
    assert "Netværksmøde om familiepleje" not in client.get("/").get_data(True)


def test_region_followers_hear_of_a_new_meeting(client, auth, session, member, facilitator):
    from forum import notify

    odense = factories.user(session, municipality="Odense")
    session.commit()
    meeting = _meeting(session, facilitator)
    notify.run(session)
    session.commit()
    auth.login(odense)
    page = client.get("/notifikationer").get_data(True)
    assert "har planlagt et møde" in page
    assert f'href="/moeder/{meeting.id}-{meeting.slug}"' in page


def _bell(html: str) -> int:
    found = re.search(r'<span class="bell-count" aria-hidden="true">(\d+)</span>', html)
    return int(found[1]) if found else 0


def test_the_meeting_page_marks_its_notifications_read(client, auth, session, facilitator):
    from forum import notify
    from forum.models import Notification, NotificationKind

    odense = factories.user(session, municipality="Odense")  # follows Region Syddanmark
    session.commit()
    meeting = _meeting(session, facilitator)
    other = _meeting(session, facilitator, title="Et andet møde i Syddanmark")
    auth.login(odense)
    assert client.post(f"/moeder/{meeting.id}/tilmeld").status_code == 302
    auth.logout()
    auth.login(facilitator)
    assert client.post(f"/moeder/{meeting.id}/aflys").status_code == 302
    auth.logout()
    notify.run(session)
    session.commit()

    def about(m: Meeting) -> list[Notification]:
        session.expire_all()
        return list(
            session.scalars(
                db.select(Notification).where(
                    Notification.user_id == odense.id, Notification.topic_id == m.topic_id
                )
            )
        )

    told = about(meeting)
    assert sorted(n.kind for n in told) == [
        NotificationKind.MEETING,
        NotificationKind.MEETING_CANCELLED,
    ]
    assert all(n.read_at is None and n.email_due_at is not None for n in told)  # to be mailed
    auth.login(odense)
    assert _bell(client.get("/notifikationer").get_data(True)) == 3

    assert client.get(f"/moeder/{meeting.id}-{meeting.slug}").status_code == 200

    # Read, and so never e-mailed; another meeting's stays unread.
    assert all(n.read_at is not None and n.email_due_at is None for n in about(meeting))
    assert [n.read_at for n in about(other)] == [None]
    assert _bell(client.get("/notifikationer").get_data(True)) == 1
    assert notify.queue_due_emails(session) == 0


def test_a_seat_notification_is_read_on_the_meeting_page(
    client, auth, session, facilitator, count_queries
):
    from forum import notify
    from forum.models import Notification, NotificationKind

    meeting = _meeting(session, facilitator, capacity=1)
    first, second = factories.user(session), factories.user(session)
    session.commit()
    for who in (first, second):
        auth.login(who)
        client.post(f"/moeder/{meeting.id}/tilmeld")
        auth.logout()
    auth.login(first)
    client.post(f"/moeder/{meeting.id}/afmeld")
    auth.logout()
    seat = session.scalar(
        db.select(Notification).where(
            Notification.user_id == second.id, Notification.kind == NotificationKind.SEAT
        )
    )
    assert seat is not None and seat.read_at is None
    auth.login(second)
    client.get(f"/moeder/{meeting.id}-{meeting.slug}")
    session.expire_all()
    assert seat.read_at is not None and seat.email_due_at is None
    assert notify.unread_count(session, second) == 0
    # Nothing left unread: the page writes nothing (a GET's only writes are such markers).
    with count_queries() as counter:
        assert client.get(f"/moeder/{meeting.id}-{meeting.slug}").status_code == 200
    writes = {"INSERT", "UPDATE", "DELETE"}
    assert not [s for s in counter.statements if s.split(None, 1)[0].upper() in writes]


def test_the_settings_offer_the_calendars(client, auth, session, member):
    auth.login(member)
    page = client.get("/indstillinger").get_data(True)
    token = feeds.feed_token(member)
    assert f"/kalender/{token}/mine.ics" in page
    assert f"/kalender/{token}/region/midtjylland.ics" in page  # Aarhus is in Midtjylland


# -- pinned materials on the region page -----------------------------------------------------


def _file(session, meeting, uploader, name: str, **changes):  # type: ignore[no-untyped-def]
    """A file row among the meeting's materials (the region page lists it; no bytes needed)."""
    from forum.models import Attachment

    attachment = Attachment(
        digest=name.encode().hex().ljust(64, "0")[:64], size=2_400_000, kind="pdf",
        mime="application/pdf", filename=name, uploader=uploader, meeting=meeting, **changes,
    )  # fmt: skip
    session.add(attachment)
    session.commit()
    return attachment


def _materials_box(html: str) -> str:
    """The region page's "Materialer" box ("" when there is none)."""
    start = html.find('<section class="pinned-materials"')
    return "" if start < 0 else html[start : html.index("</section>", start)]


def test_a_facilitator_pins_the_materials_to_the_region_page(
    client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)  # in Region Syddanmark
    slides = _file(session, meeting, facilitator, "slides-efteraar-2026.pdf")
    page_url = f"/moeder/{meeting.id}-{meeting.slug}"
    auth.login(facilitator)
    page = client.get(page_url).get_data(True)
    assert f'action="/moeder/{meeting.id}/fastgoer"' in page
    assert "Fastgør på regionens side" in page
    until = (utcnow() + timedelta(days=60)).date()
    response = client.post(f"/moeder/{meeting.id}/fastgoer", data={"pin-until": until.isoformat()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page_url}#materialer")
    session.expire_all()
    assert meeting.materials_pinned()
    # Until and including the day, in Copenhagen.
    assert domain.to_local(meeting.materials_pinned_until).date() == until
    page = client.get(page_url).get_data(True)
    assert "Materialerne er fastgjort på siden for Region Syddanmark til og med" in page
    assert f'action="/moeder/{meeting.id}/loesgoer"' in page
    auth.logout()

    auth.login(member)
    assert f"/moeder/{meeting.id}/fastgoer" not in client.get(page_url).get_data(True)
    box = _materials_box(client.get("/region/syddanmark").get_data(True))
    assert f'href="/filer/{slides.id}/slides-efteraar-2026.pdf"' in box
    assert "slides-efteraar-2026.pdf" in box and "PDF · 2,4 MB" in box
    assert f'href="{page_url}#materialer"' in box and meeting.title in box
    # Not on another region's page, nor on the region's later pages or a theme's.
    assert _materials_box(client.get("/region/midtjylland").get_data(True)) == ""
    assert _materials_box(client.get("/region/syddanmark?page=2").get_data(True)) == ""
    assert _materials_box(client.get("/tema/netvaerksanbringelser").get_data(True)) == ""
    auth.logout()

    auth.login(facilitator)
    assert client.post(f"/moeder/{meeting.id}/loesgoer").status_code == 302
    session.expire_all()
    assert not meeting.materials_pinned()
    assert _materials_box(client.get("/region/syddanmark").get_data(True)) == ""


def test_a_national_meetings_materials_are_on_every_region_page(
    client, auth, session, member, facilitator
):
    national = places.region_by_slug(session, "landsdaekkende")
    meeting = _meeting(session, facilitator, title="Landskonference 2026", region=national)
    _file(session, meeting, facilitator, "program.pdf")
    _file(session, meeting, facilitator, "gammelt-program.pdf", deleted_at=utcnow())
    auth.login(facilitator)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Fastgør på alle regioners sider" in page
    client.post(f"/moeder/{meeting.id}/fastgoer", data={"pin-until": ""})
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Materialerne er fastgjort på alle regioners sider." in page
    auth.logout()
    auth.login(member)
    for slug in ("nordjylland", "midtjylland", "syddanmark", "sjaelland", "hovedstaden"):
        box = _materials_box(client.get(f"/region/{slug}").get_data(True))
        assert "program.pdf" in box and "gammelt-program.pdf" not in box, slug


@pytest.mark.parametrize(
    ("until", "message"),
    [("i morgen", "Skriv en gyldig dato"), ("2020-01-01", "Datoen skal ligge i fremtiden")],
)
def test_a_bad_date_pins_nothing_and_says_why(client, auth, session, facilitator, until, message):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    response = client.post(
        f"/moeder/{meeting.id}/fastgoer", data={"pin-until": until}, follow_redirects=True
    )
    assert message in response.get_data(True)
    session.expire_all()
    assert meeting.materials_pinned_at is None


def test_a_cancelled_meetings_pinned_materials_stay_marked(client, auth, session, facilitator):
    meeting = _meeting(session, facilitator)
    _file(session, meeting, facilitator, "referat.pdf")
    domain.pin_materials(session, facilitator, meeting)
    domain.cancel_meeting(session, facilitator, meeting)
    session.commit()
    auth.login(facilitator)
    box = _materials_box(client.get("/region/syddanmark").get_data(True))
    assert "referat.pdf" in box and "Aflyst" in box
    meeting.deleted_at = utcnow()  # a deleted meeting's files are gone with it
    session.commit()
    assert _materials_box(client.get("/region/syddanmark").get_data(True)) == ""


def test_the_region_page_with_pinned_materials_has_a_fixed_statement_count(
    app, client, auth, session, member, facilitator, count_queries
):
    def statements() -> int:
        session.commit()
        with app.app_context():
            assert client.get("/region/syddanmark").status_code == 200  # warm-up
        with app.app_context(), count_queries() as counter:
            assert client.get("/region/syddanmark").status_code == 200
        return counter.count

    auth.login(member)
    first = _meeting(session, facilitator)
    _file(session, first, facilitator, "en.pdf")
    none = statements()  # a meeting with a file, nothing pinned
    domain.pin_materials(session, facilitator, first)
    one = statements()
    national = places.region_by_slug(session, "landsdaekkende")
    for n in range(5):
        meeting = _meeting(session, facilitator, title=f"Endnu et møde nummer {n}", region=national)
        for k in range(4):
            _file(session, meeting, facilitator, f"fil-{n}-{k}.pdf")
        domain.pin_materials(session, facilitator, meeting)
        if n % 2:
            domain.cancel_meeting(session, facilitator, meeting)
    many = statements()
    with app.app_context():
        assert "fil-4-3.pdf" in client.get("/region/syddanmark").get_data(True)
    assert none == one == many  # the box's one statement runs, pins or none
