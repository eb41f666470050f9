"""Following and muting from the pages, the bell and /notifikationer, e-mail settings, and the
member's own front page (*Til dig*)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from forum import following, notify, places, reading
from forum import topics as domain
from forum.extensions import db
from forum.models import Notification, PinScope, TopicKind, TopicMember
from forum.timeutil import utcnow
from tests import factories


def _titles(html: str) -> list[str]:
    return re.findall(r'class="topic-title" href="[^"]+">([^<]+)</a>', html)


def _level(session, user, topic) -> int:  # type: ignore[no-untyped-def]
    row = session.get(TopicMember, (user.id, topic.id))
    return reading.NORMAL if row is None else row.level


def _started(session, author, title, theme="netvaerksanbringelser", kind=TopicKind.DISCUSSION):  # type: ignore[no-untyped-def]
    """A topic opened as a member does (they watch it from then on)."""
    return domain.create_topic(
        session,
        author,
        title=title,
        body="Hvordan gør I?",
        kind=kind,
        region=places.region_by_slug(session, "midtjylland"),
        theme=places.theme_by_slug(session, theme),
    )


def _bell(html: str) -> int:
    match = re.search(r'class="bell-count"[^>]*>(\d+)', html)
    return int(match.group(1)) if match else 0


# -- following and muting --------------------------------------------------------------------


def test_the_topic_menu_shows_the_level_and_sets_it(client, auth, session, member, other_member):
    topic = factories.topic(session, other_member)
    auth.login(member)
    html = client.get(f"/t/{topic.slug}/{topic.id}").get_data(True)
    assert 'class="follow-menu"' in html
    assert re.search(r"<summary[^>]*>\s*Normal\s*</summary>", html)

    response = client.post(f"/t/{topic.id}/foelg", data={"level": str(following.WATCHING)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{topic.slug}/{topic.id}#foelg")
    assert _level(session, member, topic) == following.WATCHING
    html = client.get(f"/t/{topic.slug}/{topic.id}").get_data(True)
    assert re.search(r"<summary[^>]*>\s*Følger\s*</summary>", html)
    assert 'aria-pressed="true"' in html


@pytest.mark.parametrize("level", ["", "7", "abc", "-1", str(following.WATCHING_FIRST_POST)])
def test_a_bad_level_changes_nothing(client, auth, session, member, other_member, level):
    topic = factories.topic(session, other_member)
    auth.login(member)
    response = client.post(f"/t/{topic.id}/foelg", data={"level": level}, follow_redirects=True)
    assert response.status_code == 200
    assert "Vælg et niveau fra listen." in response.get_data(True)
    assert _level(session, member, topic) == reading.NORMAL


def test_the_follow_redirect_stays_on_the_site(client, auth, session, member, other_member):
    topic = factories.topic(session, other_member)
    auth.login(member)
    response = client.post(f"/t/{topic.id}/foelg", data={"level": "2", "next": "//evil.example/x"})
    assert response.headers["Location"].endswith(f"/t/{topic.slug}/{topic.id}#foelg")


def test_region_and_theme_pages_have_the_menu_with_the_default(client, auth, member):
    auth.login(member)  # Norddjurs: Region Midtjylland is the member's own region
    html = client.get("/region/midtjylland").get_data(True)
    assert re.search(r"<summary[^>]*>\s*Følger første indlæg\s*</summary>", html)
    html = client.get("/region/syddanmark").get_data(True)
    assert re.search(r"<summary[^>]*>\s*Normal\s*</summary>", html)
    html = client.get("/tema/familiepleje").get_data(True)
    assert 'action="/tema/familiepleje/foelg"' in html


def test_muting_a_region_takes_it_out_of_the_network_wide_lists(
    app, client, auth, session, member, other_member
):
    app.config["TOPICS_PER_PAGE"] = 2
    auth.login(member)  # before the topics: they are new to the member
    muted = [factories.topic(session, other_member, region="syddanmark") for _ in range(3)]
    kept = factories.topic(session, other_member, region="midtjylland")
    assert len(_titles(client.get("/latest").get_data(True))) == 2
    assert 'page=2"' in client.get("/latest").get_data(True)

    client.post("/region/syddanmark/foelg", data={"level": str(following.MUTED)})
    latest = client.get("/latest").get_data(True)
    assert _titles(latest) == [kept.title]
    assert 'page=2"' not in latest  # the pagination counts without them
    assert _titles(client.get("/new").get_data(True)) == [kept.title]
    # The region's own page still shows them: the member chose to look there.
    assert set(_titles(client.get("/region/syddanmark").get_data(True))) <= {t.title for t in muted}
    assert len(_titles(client.get("/region/syddanmark").get_data(True))) == 2


def test_a_muted_topic_is_left_out_everywhere(client, auth, session, member, other_member):
    auth.login(member)
    quiet = factories.topic(session, other_member, region="midtjylland", title="Stille emne")
    loud = factories.topic(session, other_member, region="midtjylland", title="Andet emne")
    client.post(f"/t/{quiet.id}/foelg", data={"level": str(following.MUTED)})
    for url in ("/latest", "/region/midtjylland", "/new", "/"):
        titles = _titles(client.get(url).get_data(True))
        assert quiet.title not in titles, url
    assert loud.title in _titles(client.get("/latest").get_data(True))


def test_a_muted_theme_is_left_out_of_unread(client, auth, session, member, other_member):
    topic = _started(session, member, "Plejefamilier i vores kommune", theme="familiepleje")
    domain.reply(session, other_member, topic, "Et svar, du ikke har læst")
    auth.login(member)
    assert _titles(client.get("/unread").get_data(True)) == [topic.title]
    client.post("/tema/familiepleje/foelg", data={"level": str(following.MUTED)})
    assert _titles(client.get("/unread").get_data(True)) == []


def test_the_settings_page_sets_places_and_e_mail(client, auth, session, member):
    auth.login(member)
    html = client.get("/indstillinger").get_data(True)
    assert 'id="foelg-region-midtjylland"' in html
    assert 'id="foelg-tema-familiepleje"' in html
    response = client.post(
        "/region/hovedstaden/foelg",
        data={"level": str(following.WATCHING), "next": "/indstillinger#foelger"},
    )
    assert response.headers["Location"].endswith("/indstillinger#foelger")
    region = places.region_by_slug(session, "hovedstaden")
    assert following.region_level(session, member, region) == following.WATCHING

    response = client.post(
        "/indstillinger/e-mail", data={"email_level": "always", "digest_period": "daily"}
    )
    assert response.status_code == 302
    session.refresh(member)
    assert (member.email_level, member.digest_period) == ("always", "daily")


def test_a_bad_e_mail_setting_is_refused_beside_the_field(client, auth, session, member):
    auth.login(member)
    response = client.post(
        "/indstillinger/e-mail", data={"email_level": "hourly", "digest_period": "weekly"}
    )
    assert response.status_code == 400
    assert "Vælg en af mulighederne på listen." in response.get_data(True)
    session.refresh(member)
    assert member.email_level == "away"


# -- the bell and /notifikationer -------------------------------------------------------------


def _notified(session, member, other_member):  # type: ignore[no-untyped-def]
    """Three replies from a colleague to the member's sparring question, fanned out."""
    topic = _started(session, member, "Hvordan gør I med netværket?", kind=TopicKind.SPARRING)
    for n in range(3):
        domain.reply(session, other_member, topic, f"Svar nummer {n} til dig")
    db.session.commit()
    notify.run(session)
    return topic


def test_the_bell_counts_and_the_list_links_to_each_post(
    client, auth, session, member, other_member
):
    topic = _notified(session, member, other_member)
    auth.login(member)
    html = client.get("/notifikationer").get_data(True)
    assert _bell(html) == 3
    assert "3 ulæste" in html  # for screen readers
    assert html.count("Søren Holm svarede i dit emne") == 3
    for number in (2, 3, 4):
        assert f'href="/t/{topic.slug}/{topic.id}/{number}#p{number}"' in html


def test_the_bell_is_a_plain_link_without_a_count_when_all_is_read(client, auth, member):
    auth.login(member)
    html = client.get("/").get_data(True)
    assert 'class="bell"' in html and 'href="/notifikationer"' in html
    assert _bell(html) == 0
    assert "Ingen notifikationer endnu" in client.get("/notifikationer").get_data(True)


def test_mark_one_and_all_read(client, auth, session, member, other_member):
    _notified(session, member, other_member)
    first = session.scalars(db.select(Notification).order_by(Notification.id)).first()
    auth.login(member)
    client.post("/notifikationer/laest", data={"id": str(first.id)})
    assert _bell(client.get("/notifikationer").get_data(True)) == 2
    client.post("/notifikationer/laest", data={})
    assert _bell(client.get("/notifikationer").get_data(True)) == 0


def test_nobody_marks_another_members_notifications(client, auth, session, member, other_member):
    _notified(session, member, other_member)
    first = session.scalars(db.select(Notification).order_by(Notification.id)).first()
    auth.login(other_member)
    client.post("/notifikationer/laest", data={"id": str(first.id)})
    client.post("/notifikationer/laest", data={})
    db.session.expire_all()
    assert session.get(Notification, first.id).read_at is None


def test_reading_the_topic_marks_its_notifications_read(
    app, client, auth, session, member, other_member
):
    app.config["POSTS_PER_PAGE"] = 3
    topic = _notified(session, member, other_member)
    auth.login(member)
    client.get(f"/t/{topic.slug}/{topic.id}")  # posts 1-3: the replies 2 and 3
    db.session.expire_all()
    unread = session.scalars(
        db.select(Notification.post_number).where(Notification.read_at.is_(None))
    ).all()
    assert unread == [4]
    assert _bell(client.get("/notifikationer").get_data(True)) == 1


# -- Til dig ----------------------------------------------------------------------------------


def test_til_dig_shows_what_is_for_the_member(client, auth, session, member, other_member):
    aarhus = factories.user(session, name="Anne Aarhus", municipality="Aarhus")
    # Unread: a topic the member started has a new reply.
    mine = _started(session, member, "Mit eget emne")
    domain.reply(session, other_member, mine, "Et nyt svar")
    auth.login(member)  # first login: the cut-off for "new" is now
    session.refresh(member)
    # New in the member's own region (followed by default), and elsewhere (not followed).
    followed = factories.topic(session, other_member, title="Nyt i Midtjylland")
    factories.topic(session, other_member, region="syddanmark", title="Nyt i Syddanmark")
    # An open sparring question from a colleague in the region, and an answered one.
    open_question = factories.topic(
        session, aarhus, kind=TopicKind.SPARRING, title="Hvem kan hjælpe med plejefamilier?"
    )
    answered = factories.topic(
        session, aarhus, kind=TopicKind.SPARRING, replies=1, repliers=[other_member]
    )
    domain.mark_answer(session, aarhus, answered, factories.post(session, answered, 2))
    pinned = factories.topic(session, other_member, region="nordjylland", title="Fastgjort")
    pinned.pin_scope = PinScope.GLOBAL
    db.session.commit()

    html = client.get("/").get_data(True)
    assert "<h1>Til dig</h1>" in html
    sections = dict(
        re.findall(r'<h2 id="([a-z]+)">[^<]*</h2>\s*<ul class="topic-list">(.*?)</ul>', html, re.S)
    )
    assert _titles(sections["ulaeste"]) == [mine.title]
    assert followed.title in _titles(sections["nye"])
    assert "Nyt i Syddanmark" not in _titles(sections["nye"])
    assert _titles(sections["sparring"]) == [open_question.title]
    assert pinned.title in _titles(sections["materialer"])
    assert 'href="/latest"' in html
    assert 'id="omraader"' in html  # regions and themes one tap away


def test_til_dig_offers_each_open_question_once_and_only_to_those_who_could_help(
    client, auth, session, member, other_member
):
    aarhus = factories.user(session, name="Anne Aarhus", municipality="Aarhus")
    auth.login(member)
    fresh = factories.topic(session, aarhus, kind=TopicKind.SPARRING, title="Helt nyt spørgsmål")
    busy = factories.topic(
        session,
        aarhus,
        kind=TopicKind.SPARRING,
        title="Travlt spørgsmål",
        replies=3,
        repliers=[other_member],
    )
    helped = factories.topic(
        session,
        aarhus,
        kind=TopicKind.SPARRING,
        title="Besvaret af mig",
        replies=1,
        repliers=[member],
    )
    old = factories.topic(
        session,
        aarhus,
        kind=TopicKind.SPARRING,
        title="Gammelt spørgsmål",
        created_at=utcnow() - timedelta(days=40),
    )
    db.session.commit()
    html = client.get("/").get_data(True)
    sections = dict(
        re.findall(r'<h2 id="([a-z]+)">[^<]*</h2>\s*<ul class="topic-list">(.*?)</ul>', html, re.S)
    )
    # The fewest replies first; not one the member answered in, nor one past 30 days.
    assert _titles(sections["sparring"]) == [fresh.title, busy.title]
    assert helped.title not in _titles(sections["sparring"])
    assert old.title not in html
    # Shown once: a new open question is under the questions, not also under "new".
    shown = [title for section in sections.values() for title in _titles(section)]
    assert shown.count(fresh.title) == 1


def test_til_dig_leaves_out_what_is_muted(client, auth, session, member, other_member):
    auth.login(member)
    question = factories.topic(session, other_member, kind=TopicKind.SPARRING)
    client.post("/region/midtjylland/foelg", data={"level": str(following.MUTED)})
    html = client.get("/").get_data(True)
    assert question.title not in html


def test_til_dig_for_a_new_member_points_to_the_network(client, auth, session):
    newcomer = factories.user(session, name="Ny Leder", organisation="KL")
    auth.login(newcomer)
    html = client.get("/").get_data(True)
    assert "Intet nyt til dig lige nu" in html


def test_til_dig_shows_only_what_the_member_may_see(
    client, auth, session, member, other_member, facilitator
):
    aarhus = factories.user(session, name="Anne Aarhus", municipality="Aarhus")
    gone = factories.topic(session, aarhus, kind=TopicKind.SPARRING, title="Slettet spørgsmål")
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    auth.login(member)
    assert "Slettet spørgsmål" not in client.get("/").get_data(True)


def test_the_notifications_page_statements_do_not_grow(
    app, client, auth, session, count_queries, member, other_member
):
    from tests.blueprints.test_browse import _count_statements

    _notified(session, member, other_member)
    auth.login(member)
    small, _ = _count_statements(app, client, count_queries, "/notifikationer")
    for _n in range(3):
        _notified(session, member, factories.user(session, name=f"Kollega {_n}"))
    large, statements = _count_statements(app, client, count_queries, "/notifikationer")
    assert large == small, "\n".join(statements)
    mine = db.select(db.func.count(Notification.id)).where(Notification.user_id == member.id)
    assert session.scalar(mine) == 12


def test_place_levels_know_the_mutes_that_mutes_reads(session, member, other_member):  # type: ignore[no-untyped-def]
    """Til dig reads the member's levels and mutes in one statement (PlaceLevels.mutes):
    the same answer as following.mutes, whatever is muted."""
    topic = factories.topic(session, other_member)
    region = places.region_by_slug(session, "syddanmark")
    theme = places.theme_by_slug(session, "adoption")
    assert following.place_levels(session, member).mutes() == following.mutes(session, member)
    following.set_region_level(session, member, region, reading.MUTED)
    following.set_region_level(session, member, places.region_by_slug(session, "midtjylland"), 3)
    following.set_theme_level(session, member, theme, reading.MUTED)
    following.set_topic_level(session, member, topic, reading.MUTED)
    session.commit()
    found = following.place_levels(session, member).mutes()
    assert found == following.mutes(session, member)
    assert (found.regions, found.themes, found.topics) == ({region.id}, {theme.id}, 1)
