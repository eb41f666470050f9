"""Tak and Gem over HTTP: buttons, toggles, who thanked, bookmarks, the saved-posts list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from forum import reactions
from forum.extensions import db
from forum.models import Notification, Post
from forum.models.reactions import Bookmark, PostThanks
from forum.timeutil import utcnow
from forum.topics import append_post, delete_post
from tests import factories

VALID_CPR = "120590-1234"  # a likely CPR number (tests/test_privacy.py)


def location(response) -> str:  # type: ignore[no-untyped-def]
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


@pytest.fixture
def topic(session, member, other_member):  # type: ignore[no-untyped-def]
    """member's topic with a reply (2) by other_member."""
    return factories.topic(session, member, replies=1, repliers=[other_member])


@pytest.fixture
def reply(session, topic):  # type: ignore[no-untyped-def]
    return factories.post(session, topic, 2)


def count_of(post_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Post.thanks_count).where(Post.id == post_id))


def footer_of(html: str, number: int) -> str:
    article = html.split(f'id="p{number}"', 1)[1].split("</article>", 1)[0]
    return article.split('<footer class="post-actions">', 1)[1].split("</footer>", 1)[0]


# -- thanks ----------------------------------------------------------------------------------


def test_thanks_button_in_the_footer(client, auth, topic, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    html = client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True)
    footer = footer_of(html, 2)
    assert f'action="/p/{reply_id}/tak"' in footer
    assert 'aria-pressed="false"' in footer
    assert 'name="tak" value="1"' in footer
    assert 'name="csrf_token"' in footer
    # Member's own opening post: no button, and no count while nobody thanked.
    assert "/tak" not in footer_of(html, 1)

    response = client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    assert response.status_code == 302
    assert location(response) == f"/t/{topic.slug}/{topic.id}/2#p2"
    footer = footer_of(client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True), 2)
    assert 'aria-pressed="true"' in footer and 'name="tak" value="0"' in footer
    assert f'href="/p/{reply_id}/tak"' in footer and ">1</a>" in footer


def test_own_post_shows_the_count_only(client, auth, session, topic, member, other_member, reply):  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    auth.login(other_member)
    footer = footer_of(client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True), 2)
    assert "thanks-form" not in footer and "thanks-button" not in footer
    assert "1 tak" in footer


def test_double_click_counts_once(client, auth, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    assert client.post(f"/p/{reply_id}/tak", data={"tak": "1"}).status_code == 302
    assert client.post(f"/p/{reply_id}/tak", data={"tak": "1"}).status_code == 302
    assert count_of(reply_id) == 1
    assert db.session.scalar(select(func.count()).select_from(PostThanks)) == 1
    # Without a wish, it toggles; "0" takes it back, twice is still once.
    assert client.post(f"/p/{reply_id}/tak").status_code == 302
    assert count_of(reply_id) == 0
    client.post(f"/p/{reply_id}/tak")
    client.post(f"/p/{reply_id}/tak", data={"tak": "0"})
    client.post(f"/p/{reply_id}/tak", data={"tak": "0"})
    assert count_of(reply_id) == 0


def test_thanks_as_json(client, auth, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    response = client.post(
        f"/p/{reply_id}/tak", data={"tak": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"count": 1, "thanked": True}
    response = client.post(
        f"/p/{reply_id}/tak", data={"tak": "0"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.get_json() == {"count": 0, "thanked": False}


def test_own_post_is_refused(client, auth, other_member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(other_member)
    response = client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    assert response.status_code == 403
    assert "Du kan ikke sige tak for dit eget indlæg." in response.get_data(as_text=True)
    response = client.post(
        f"/p/{reply_id}/tak", data={"tak": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.get_json() == {"error": "Du kan ikke sige tak for dit eget indlæg."}
    assert count_of(reply_id) == 0


def test_thanks_notify_the_author_once_per_post(client, auth, session, member, other_member, reply):  # type: ignore[no-untyped-def]
    reply_id, author_id = reply.id, other_member.id
    colleague = factories.user(session, name="Anne Andersen")
    auth.login(member)
    client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    auth.logout()
    auth.login(colleague)
    client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    db.session.expire_all()
    (row,) = db.session.scalars(select(Notification))
    assert (row.user_id, row.count, row.actor_id, row.read_at, row.email_due_at) == (
        author_id,
        2,
        colleague.id,
        None,
        None,
    )
    assert reactions.thanks_label(row) == "Anne Andersen og 1 anden sagde tak"


def _bell(html: str) -> int:
    match = re.search(r'class="bell-count"[^>]*>(\d+)', html)
    return int(match.group(1)) if match else 0


def test_taking_back_and_thanking_again_does_not_light_the_bell(
    client, auth, session, member, other_member, reply
):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    auth.logout()
    auth.login(other_member)
    html = client.get("/notifikationer").get_data(True)
    assert "Mette Kjær sagde tak" in html
    client.post("/notifikationer/laest", data={})
    auth.logout()
    auth.login(member)
    for _ in range(3):
        client.post(f"/p/{reply_id}/tak", data={"tak": "0"})
        client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    auth.logout()
    auth.login(other_member)
    html = client.get("/notifikationer").get_data(True)
    assert _bell(html) == 0
    assert html.count("Mette Kjær sagde tak") == 1


def test_thanks_all_taken_back_leave_the_list_and_the_bell(
    client, auth, session, member, other_member, reply
):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    client.post(f"/p/{reply_id}/tak", data={"tak": "1"})
    client.post(f"/p/{reply_id}/tak", data={"tak": "0"})
    auth.logout()
    auth.login(other_member)
    html = client.get("/notifikationer").get_data(True)
    assert _bell(html) == 0
    assert "sagde tak" not in html
    assert "Ingen notifikationer endnu" in html


def test_who_thanked(client, auth, session, topic, member, facilitator, reply):  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    reply_id = reply.id
    auth.login(facilitator)
    html = client.get(f"/p/{reply_id}/tak").get_data(as_text=True)
    assert 'href="/u/mette-kjaer"' in html and "Mette Kjær" in html
    assert f'href="/t/{topic.slug}/{topic.id}/2#p2"' in html


def test_who_thanked_leaves_deactivated_members_unnamed(
    client, auth, session, member, other_member, facilitator, reply
):  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    reactions.thank(session, facilitator, reply)
    member.active = False
    session.commit()
    reply_id = reply.id
    auth.login(other_member)
    html = client.get(f"/p/{reply_id}/tak").get_data(as_text=True)
    assert "Jonas Facilitator" in html
    assert "Mette Kjær" not in html and "/u/mette-kjaer" not in html


def test_who_thanked_a_deleted_post_only_for_moderators(
    client, auth, session, member, facilitator, reply
):  # type: ignore[no-untyped-def]
    reactions.thank(session, member, reply)
    delete_post(session, facilitator, reply)
    reply_id = reply.id
    auth.login(member)
    assert client.get(f"/p/{reply_id}/tak").status_code == 404
    assert client.post(f"/p/{reply_id}/tak", data={"tak": "1"}).status_code == 404
    auth.logout()
    auth.login(facilitator)
    assert client.get(f"/p/{reply_id}/tak").status_code == 200
    assert client.post(f"/p/{reply_id}/tak", data={"tak": "1"}).status_code == 403


def test_thanks_need_login_and_a_csrf_token(make_app, client, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    assert "/login" in client.get(f"/p/{reply_id}/tak").headers["Location"]
    other = make_app(WTF_CSRF_ENABLED=True)
    browser = other.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post(
        "/login",
        data={"email": member.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert browser.post(f"/p/{reply_id}/tak", data={"tak": "1"}).status_code == 400
    assert browser.post(f"/p/{reply_id}/gem", data={"quick": "1"}).status_code == 400
    reactions.save_bookmark(db.session, member, db.session.get(Post, reply_id))
    db.session.commit()
    assert browser.post(f"/p/{reply_id}/gem", data={"action": "remove"}).status_code == 400
    assert db.session.scalar(select(func.count(Bookmark.id))) == 1
    db.session.execute(Bookmark.__table__.delete())
    assert count_of(reply_id) == 0
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0


# -- bookmarks -------------------------------------------------------------------------------


def test_quick_save_and_remove(client, auth, topic, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    footer = footer_of(client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True), 2)
    assert f'action="/p/{reply_id}/gem"' in footer and 'name="quick" value="1"' in footer
    response = client.post(f"/p/{reply_id}/gem", data={"quick": "1"})
    assert location(response) == f"/t/{topic.slug}/{topic.id}/2#p2"
    (saved,) = db.session.scalars(select(Bookmark))
    assert (saved.post_id, saved.remind_at, saved.note) == (reply_id, None, "")
    footer = footer_of(client.get(f"/t/{topic.slug}/{topic.id}").get_data(as_text=True), 2)
    assert f'href="/p/{reply_id}/gem"' in footer and "Gemt" in footer
    page = client.get(f"/p/{reply_id}/gem").get_data(as_text=True)
    assert 'name="action" value="remove"' in page
    response = client.post(f"/p/{reply_id}/gem", data={"action": "remove"})
    assert location(response) == f"/t/{topic.slug}/{topic.id}/2#p2"
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0


def test_removing_the_bookmark_of_a_post_deleted_since_lands_on_the_saved_list(
    client, auth, session, member, facilitator, reply
):  # type: ignore[no-untyped-def]
    reactions.save_bookmark(session, member, reply)
    delete_post(session, facilitator, reply)
    session.commit()
    reply_id = reply.id
    auth.login(member)
    response = client.post(f"/p/{reply_id}/gem", data={"action": "remove"})
    assert location(response) == "/u/mette-kjaer/gemt"
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0
    assert "fjernet fra dine gemte" in client.get("/u/mette-kjaer/gemt").get_data(as_text=True)


def test_save_with_a_reminder_and_a_note(client, auth, member, reply):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    before = utcnow()
    response = client.post(
        f"/p/{reply_id}/gem", data={"reminder": "week", "note": "Til teammødet", "day": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    (saved,) = db.session.scalars(select(Bookmark))
    assert saved.note == "Til teammødet"
    week = timedelta(days=7)
    # Naive UTC, a week on (give or take an hour where summer time starts or ends).
    assert (
        before + week - timedelta(hours=1)
        <= saved.remind_at
        <= utcnow() + week + timedelta(hours=1)
    )
    day = date.today() + timedelta(days=40)
    response = client.post(
        f"/p/{reply_id}/gem", data={"reminder": "date", "day": day.isoformat(), "note": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    (saved,) = db.session.scalars(select(Bookmark))
    nine = datetime.combine(day, time(9), tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert saved.remind_at == nine.astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC
    assert saved.remind_at.hour in (7, 8)  # 9:00 Danish summer or winter time
    assert saved.note == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reminder": "date", "day": "2020-01-01"}, "Vælg en dag i fremtiden til påmindelsen."),
        ({"reminder": "date", "day": ""}, "Vælg den dag, du vil mindes om indlægget."),
        ({"reminder": "date", "day": "i morgen"}, "Skriv en gyldig dato."),
        ({"reminder": "om-et-aar"}, "Vælg en af påmindelserne på listen."),
        ({"note": "x" * 201}, "Skriv højst 200 tegn."),
        ({"note": f"Drengen {VALID_CPR}"}, "CPR-nummer"),
    ],
)
def test_bad_bookmark_input_keeps_the_form(client, auth, member, reply, data, message):  # type: ignore[no-untyped-def]
    reply_id = reply.id
    auth.login(member)
    response = client.post(f"/p/{reply_id}/gem", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Traceback" not in html
    if "note" in data:
        assert data["note"][:50] in html  # the member's text is kept
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0


def test_deleted_post_cannot_be_saved(client, auth, session, member, facilitator, reply):  # type: ignore[no-untyped-def]
    delete_post(session, facilitator, reply)
    reply_id = reply.id
    auth.login(member)
    assert client.post(f"/p/{reply_id}/gem", data={"quick": "1"}).status_code == 404
    assert client.post(f"/p/{reply_id}/gem", data={"action": "remove"}).status_code == 404
    auth.logout()
    auth.login(facilitator)
    assert client.post(f"/p/{reply_id}/gem", data={"quick": "1"}).status_code == 403


# -- the saved-posts list --------------------------------------------------------------------


def test_saved_list_newest_first_with_deleted_posts_without_text(
    client, auth, session, member, other_member, facilitator
):  # type: ignore[no-untyped-def]
    first = factories.topic(
        session, other_member, title="Familiepleje i praksis", body="Første tekst her."
    )
    second = factories.topic(
        session, other_member, title="Efterværn for unge", body="Anden tekst her."
    )
    gone = factories.topic(session, other_member, title="Forsvundet emne", body="Hemmelig tekst.")
    for n, t in enumerate([first, second, gone]):
        saved = reactions.save_bookmark(session, member, factories.post(session, t, 1))
        saved.created_at = utcnow() - timedelta(hours=10 - n)
    reactions.save_bookmark(
        session, member, factories.post(session, second, 1), remind_at=utcnow() + timedelta(days=1)
    )
    delete_post(session, facilitator, factories.post(session, gone, 1))
    auth.login(member)
    html = client.get("/u/mette-kjaer/gemt").get_data(as_text=True)
    assert html.index("Indlægget er slettet") < html.index("Efterværn for unge")
    assert html.index("Efterværn for unge") < html.index("Familiepleje i praksis")
    assert "Første tekst her." in html and "Anden tekst her." in html
    assert "Hemmelig tekst" not in html and "Forsvundet emne" not in html
    assert "påmindelse" in html
    # One remove button each, and removing returns to the list (also for the deleted post).
    assert html.count('name="action" value="remove"') == 3
    gone_post = factories.post(session, gone, 1).id
    response = client.post(f"/p/{gone_post}/gem", data={"action": "remove", "back": "liste"})
    assert location(response) == "/u/mette-kjaer/gemt"
    assert db.session.scalar(select(func.count(Bookmark.id))) == 2


def test_saved_list_is_only_for_its_owner(client, auth, session, member, other_member, admin):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member)
    reactions.save_bookmark(session, member, factories.post(session, topic, 1), note="Privat note")
    for who in (other_member, admin):
        auth.login(who)
        assert client.get("/u/mette-kjaer/gemt").status_code == 404
        auth.logout()
    auth.login(member)
    response = client.get("/u/mette-kjaer/gemt")
    assert response.status_code == 200 and "Privat note" in response.get_data(as_text=True)


def test_profile_links_to_the_saved_list_for_its_owner_only(client, auth, member, other_member):  # type: ignore[no-untyped-def]
    auth.login(member)
    assert 'href="/u/mette-kjaer/gemt"' in client.get("/u/mette-kjaer").get_data(as_text=True)
    assert "/gemt" not in client.get("/u/soeren-holm").get_data(as_text=True)


def test_saved_list_is_paginated(client, auth, session, app, member, other_member):  # type: ignore[no-untyped-def]
    app.config["TOPICS_PER_PAGE"] = 2
    topic = factories.topic(session, other_member, replies=4)
    for n in range(1, 6):
        reactions.save_bookmark(session, member, factories.post(session, topic, n))
    auth.login(member)
    html = client.get("/u/mette-kjaer/gemt?page=3").get_data(as_text=True)
    assert html.count('name="action" value="remove"') == 1


# -- statement counts ------------------------------------------------------------------------


def _statements(app, client, count_queries, url: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    db.session.commit()
    with app.app_context():
        assert client.get(url).status_code == 200  # warm-up
    with app.app_context(), count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, counter.statements


def test_topic_page_statements_do_not_grow_with_thanks_and_bookmarks(
    app, client, auth, session, count_queries, member, other_member
):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member, replies=4)
    url, topic_id, member_id = f"/t/{topic.slug}/{topic.id}", topic.id, member.id
    auth.login(member)
    small, _ = _statements(app, client, count_queries, url)

    colleagues = [factories.user(session, name=f"Kollega {n}") for n in range(6)]
    topic = db.session.get(type(topic), topic_id)
    for n in range(15):
        append_post(session, colleagues[n % 6], topic, f"Endnu et svar {n}")
    posts = list(session.scalars(select(Post).where(Post.topic_id == topic_id)))
    me = db.session.get(type(member), member_id)
    for post in posts:
        for colleague in colleagues[:3]:
            if post.author_id != colleague.id:
                reactions.thank(session, colleague, post)
        if post.number % 2:
            reactions.thank(session, me, post)
        if post.number % 3 == 0:
            reactions.save_bookmark(
                session, me, post, note="Note", remind_at=utcnow() + timedelta(days=1)
            )
    large, statements = _statements(app, client, count_queries, url)
    print(f"topic page: {small} statements with nothing, {large} with thanks and bookmarks")
    assert large == small, "\n".join(statements)


def test_saved_list_statements_do_not_grow(
    app, client, auth, session, count_queries, member, other_member
):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, other_member, replies=2)
    for n in range(1, 3):
        reactions.save_bookmark(session, member, factories.post(session, topic, n))
    auth.login(member)
    small, _ = _statements(app, client, count_queries, "/u/mette-kjaer/gemt")
    for n in range(6):
        other = factories.topic(session, factories.user(session, name=f"Skribent {n}"), replies=1)
        reactions.save_bookmark(
            session,
            db.session.get(type(member), member.id),
            factories.post(session, other, 2),
            remind_at=utcnow() + timedelta(days=n + 1),
        )
    large, statements = _statements(app, client, count_queries, "/u/mette-kjaer/gemt")
    assert large == small, "\n".join(statements)
