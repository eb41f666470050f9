"""Atom feeds: the member's token, what each feed shows (and never shows), and the responses.

Every feed is read as a feed reader reads it: a client that never logged in (no cookies), the
document parsed by feedparser. Content is checked in the raw XML as well, because feedparser
sanitises HTML itself and would hide a feed that carried a script.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from flask import render_template

from forum import feeds, following, places
from forum import topics as domain
from forum.accounts import set_active
from forum.extensions import db
from forum.models import Topic, User
from forum.reading import MUTED
from tests import factories

BASE_URL = "https://ledernet.example.dk"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
BASE = datetime(2025, 3, 1, 9, 0)


@pytest.fixture(autouse=True)
def base_url(app):  # type: ignore[no-untyped-def]
    """A public address unlike the test client's host: links must come from BASE_URL."""
    app.config["BASE_URL"] = BASE_URL
    return BASE_URL


@pytest.fixture
def reader(app):  # type: ignore[no-untyped-def]
    """A feed reader: a client that never logs in and keeps no cookies of its own."""
    return app.test_client(use_cookies=False)


def _topic(session, author, title, days=0, **kwargs) -> Topic:  # type: ignore[no-untyped-def]
    return factories.topic(
        session, author, title=title, created_at=BASE + timedelta(days=days), **kwargs
    )


def _path(user: User, feed: str = "latest.atom") -> str:
    return f"/feeds/{feeds.feed_token(user)}/{feed}"


def _get(reader, path: str):  # type: ignore[no-untyped-def]
    db.session.commit()
    return reader.get(path)


def _parse(response):  # type: ignore[no-untyped-def]
    """The feed as feedparser reads it, with the response's content type, and relative links
    resolved against the feed's own URL (as a reader that fetched it would)."""
    assert response.status_code == 200, response.get_data(True)
    url = BASE_URL + response.request.path
    headers = {"content-location": url, "content-type": response.headers["Content-Type"]}
    parsed = feedparser.parse(response.data, response_headers=headers)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _raw_contents(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The entries' content exactly as the XML carries it (before any reader's sanitiser)."""
    root = ET.fromstring(response.data)
    return [entry.find(f"{ATOM_NS}content").text or "" for entry in root.iter(f"{ATOM_NS}entry")]


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The real elements of an HTML fragment (not what is shown as text), with attributes."""
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector.tags


def _titles(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry.title for entry in parsed.entries]


# -- the token -------------------------------------------------------------------------------


def test_token_names_the_member_and_carries_at_least_128_bits(session, member) -> None:
    token = feeds.feed_token(member)
    ident, _, digest = token.partition("-")
    assert ident == str(member.id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", digest)
    assert len(digest) * 6 >= 128
    assert feeds.member_for_token(session, token) is member
    assert feeds.feed_token(member) == token  # stable until renewed


def test_token_depends_on_the_secret_key(app, session, member) -> None:
    token = feeds.feed_token(member)
    app.config["SECRET_KEY"] = "another-secret-key"
    assert feeds.feed_token(member) != token
    assert feeds.member_for_token(session, token) is None


def _tweaked(token: str) -> str:
    ident, _, digest = token.partition("-")
    last = "A" if digest[-1] != "A" else "B"
    return f"{ident}-{digest[:-1]}{last}"


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, other: "",
        lambda token, other: "nonsense",
        lambda token, other: token.partition("-")[0],
        lambda token, other: token.partition("-")[0] + "-",
        lambda token, other: _tweaked(token),
        lambda token, other: token[:-1],
        lambda token, other: token + "A",
        lambda token, other: "0" + token,
        lambda token, other: "²" + token,
        lambda token, other: "99999999999-" + token.partition("-")[2],
        lambda token, other: token.upper(),
        # Member A's token, its id changed to member B's: the HMAC no longer fits.
        lambda token, other: f"{other.id}-{token.partition('-')[2]}",
    ],
)
def test_forged_tokens_name_no_one(session, member, other_member, forge) -> None:  # type: ignore[no-untyped-def]
    forged = forge(feeds.feed_token(member), other_member)
    assert feeds.member_for_token(session, forged) is None


def test_renewing_kills_every_old_token(session, member) -> None:
    old = feeds.feed_token(member)
    new = feeds.renew_token(session, member)
    assert new != old
    assert member.feed_key_version == 1
    assert feeds.member_for_token(session, old) is None
    assert feeds.member_for_token(session, new) is member
    assert feeds.renew_token(session, member) not in (old, new)


def test_a_deactivated_members_token_names_no_one(session, admin, member) -> None:
    token = feeds.feed_token(member)
    set_active(session, admin, member, False)
    assert feeds.member_for_token(session, token) is None


# -- routes: who gets a feed ------------------------------------------------------------------

FEEDS = {
    "latest": lambda topic: "latest.atom",
    "region": lambda topic: "region/midtjylland.atom",
    "theme": lambda topic: "tema/netvaerksanbringelser.atom",
    "topic": lambda topic: f"t/{topic.id}.atom",
}


@pytest.mark.parametrize("feed", list(FEEDS))
def test_every_feed_is_served_to_a_reader_without_a_session(
    session, reader, member, other_member, feed
) -> None:
    topic = _topic(session, other_member, "Et emne i feedet", replies=1)
    response = _get(reader, _path(member, FEEDS[feed](topic)))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    _parse(response)


@pytest.mark.parametrize("feed", list(FEEDS))
def test_bad_tokens_get_404(session, reader, member, other_member, feed) -> None:
    topic = _topic(session, member, "Et emne")
    token = feeds.feed_token(member)
    for bad in (_tweaked(token), f"{other_member.id}-{token.partition('-')[2]}", "x"):
        response = _get(reader, f"/feeds/{bad}/{FEEDS[feed](topic)}")
        assert response.status_code == 404
        assert "Set-Cookie" not in response.headers
        assert b"Et emne" not in response.data


def test_renewing_kills_the_old_url(session, client, auth, reader, member) -> None:
    old = _path(member)
    assert _get(reader, old).status_code == 200
    auth.login(member)
    response = client.post("/indstillinger/feed/forny")
    assert response.status_code == 302
    assert response.headers["Location"] == "/indstillinger#feeds"
    assert "fornyet" in client.get("/indstillinger").get_data(True)
    db.session.refresh(member)
    assert member.feed_key_version == 1
    assert _get(reader, old).status_code == 404
    assert _get(reader, _path(member)).status_code == 200


def test_renewing_needs_a_login(session, client, member) -> None:
    db.session.commit()
    response = client.post("/indstillinger/feed/forny")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    db.session.refresh(member)
    assert member.feed_key_version == 0


def test_renewing_needs_the_csrf_token(make_app, member) -> None:  # type: ignore[no-untyped-def]
    app = make_app(WTF_CSRF_ENABLED=True)
    browser = app.test_client()
    page = browser.get("/login").get_data(True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    login = {"email": member.email, "password": factories.PASSWORD, "csrf_token": csrf}
    assert browser.post("/login", data=login).status_code == 302
    assert browser.post("/indstillinger/feed/forny").status_code == 400
    page = browser.get("/indstillinger").get_data(True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert browser.post("/indstillinger/feed/forny", data={"csrf_token": csrf}).status_code == 302
    db.session.refresh(member)  # the same database, seen from the test's own app
    assert member.feed_key_version == 1


def test_renewing_is_only_a_post(session, client, auth, member) -> None:
    auth.login(member)
    assert client.get("/indstillinger/feed/forny").status_code == 405


def test_a_deactivated_members_feed_is_gone(session, reader, admin, member) -> None:
    path = _path(member)
    assert _get(reader, path).status_code == 200
    set_active(session, admin, member, False)
    assert _get(reader, path).status_code == 404
    # Reactivated, the member has new addresses: the old one stays dead.
    set_active(session, admin, member, True)
    assert _get(reader, path).status_code == 404
    assert _get(reader, _path(member)).status_code == 200


@pytest.mark.parametrize(
    "feed",
    [
        "region/atlantis.atom",
        "tema/findes-ikke.atom",
        "t/999999.atom",
        "t/99999999999.atom",
        "t/0.atom",
        "t/abc.atom",
        "t/²³.atom",
        "alt.atom",
        "region/midtjylland.rss",
    ],
)
def test_unknown_places_and_topics_get_404(session, reader, member, feed) -> None:
    response = _get(reader, _path(member, feed))
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("viewer", ["member", "facilitator"])
def test_a_deleted_topic_has_no_feed_even_for_moderators(
    session, reader, member, facilitator, viewer
) -> None:
    topic = _topic(session, member, "Slettes snart")
    domain.delete_post(session, facilitator, factories.post(session, topic, 1))
    who = member if viewer == "member" else facilitator
    assert _get(reader, _path(who, f"t/{topic.id}.atom")).status_code == 404


def test_feed_routes_are_public_but_nothing_else_of_the_blueprint(app) -> None:
    from forum import PUBLIC_ENDPOINTS
    from forum.blueprints.feeds import FEED_ENDPOINTS

    assert FEED_ENDPOINTS <= PUBLIC_ENDPOINTS
    assert "feeds.renew" not in PUBLIC_ENDPOINTS
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= FEED_ENDPOINTS | {"feeds.renew"}


# -- what the feeds hold ------------------------------------------------------------------------


def test_latest_holds_the_newest_topics_with_their_opening_posts(
    session, reader, member, other_member
) -> None:
    older = _topic(session, other_member, "Det ældre emne", days=1, body="Første *tekst*")
    newer = _topic(session, member, "Det nyere emne", days=2, region="syddanmark")
    domain.append_post(session, other_member, older, "Et svar flytter ikke emnet i feedet")
    response = _get(reader, _path(member))
    parsed = _parse(response)

    assert parsed.feed.title == "Ledernetværket: Seneste emner"
    assert parsed.feed.link == f"{BASE_URL}/latest"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [BASE_URL + _path(member)]
    assert parsed.feed.id.startswith("tag:ledernet.example.dk,")
    assert _titles(parsed) == ["Det nyere emne", "Det ældre emne"]

    entry = parsed.entries[1]
    first = factories.post(session, older, 1)
    assert entry.id == f"tag:ledernet.example.dk,2024:post/{first.id}"
    assert entry.link == f"{BASE_URL}/t/{older.slug}/{older.id}"
    assert entry.author == "Søren Holm"
    assert entry.updated_parsed[:6] == first.created_at.timetuple()[:6]
    assert entry.published_parsed[:6] == first.created_at.timetuple()[:6]
    assert entry.content[0].type == "text/html"
    assert "<em>tekst</em>" in entry.content[0].value
    assert {tag.label for tag in entry.tags} == {"Region Midtjylland", older.theme.name}
    assert _raw_contents(response)[1] == first.html  # the stored, sanitised HTML as it is
    assert parsed.feed.updated_parsed[:6] == newer.created_at.timetuple()[:6]


@pytest.mark.parametrize("feed", list(FEEDS))
def test_every_entry_is_complete_and_links_to_the_base_url(
    session, reader, member, other_member, feed
) -> None:
    topic = _topic(session, other_member, "Et emne", replies=2, repliers=[member])
    _topic(session, member, "Et andet emne", days=1)
    parsed = _parse(_get(reader, _path(member, FEEDS[feed](topic))))
    assert parsed.feed.title.startswith("Ledernetværket: ")
    assert parsed.feed.link.startswith(BASE_URL + "/")
    assert parsed.entries
    ids = [entry.id for entry in parsed.entries]
    assert len(set(ids)) == len(ids)
    for entry in parsed.entries:
        assert entry.id.startswith("tag:ledernet.example.dk,2024:post/")
        assert entry.title
        assert entry.link.startswith(BASE_URL + "/t/")
        assert entry.updated_parsed and entry.published_parsed
        assert entry.author
        assert entry.content[0].value
    for link in parsed.feed.links:
        assert link.href.startswith(BASE_URL + "/")


def test_entry_ids_survive_a_new_title(session, reader, member) -> None:
    topic = _topic(session, member, "Den første titel")
    before = _parse(_get(reader, _path(member))).entries[0]
    domain.edit_post(
        session, member, factories.post(session, topic, 1), body="Ny tekst", title="En ny titel"
    )
    after = _parse(_get(reader, _path(member))).entries[0]
    assert after.id == before.id
    assert after.title == "En ny titel"
    assert after.updated_parsed > before.updated_parsed  # an edit shows as an update


def test_region_and_theme_feeds_hold_only_their_topics(session, reader, member) -> None:
    _topic(session, member, "I Midtjylland om adoption", region="midtjylland", theme="adoption")
    _topic(
        session, member, "I Syddanmark om adoption", days=1, region="syddanmark", theme="adoption"
    )
    _topic(session, member, "I Midtjylland om familiepleje", days=2, theme="familiepleje")

    region = _parse(_get(reader, _path(member, "region/midtjylland.atom")))
    assert region.feed.title == "Ledernetværket: Region Midtjylland"
    assert region.feed.link == f"{BASE_URL}/region/midtjylland"
    assert _titles(region) == ["I Midtjylland om familiepleje", "I Midtjylland om adoption"]

    theme = _parse(_get(reader, _path(member, "tema/adoption.atom")))
    adoption = places.theme_by_slug(session, "adoption")
    assert theme.feed.title == f"Ledernetværket: {adoption.name}"
    assert theme.feed.link == f"{BASE_URL}/tema/adoption"
    assert _titles(theme) == ["I Syddanmark om adoption", "I Midtjylland om adoption"]


def test_topic_feed_holds_its_newest_posts(session, reader, member, other_member) -> None:
    topic = _topic(session, member, "Et emne med svar", replies=2, repliers=[other_member])
    parsed = _parse(_get(reader, _path(member, f"t/{topic.id}.atom")))
    assert parsed.feed.title == "Ledernetværket: Et emne med svar"
    assert parsed.feed.link == f"{BASE_URL}/t/{topic.slug}/{topic.id}"
    assert _titles(parsed) == [
        "Et emne med svar – svar 2",
        "Et emne med svar – svar 1",
        "Et emne med svar",
    ]
    assert [entry.link for entry in parsed.entries] == [
        f"{BASE_URL}/t/{topic.slug}/{topic.id}/{n}" for n in (3, 2, 1)
    ]
    assert [entry.author for entry in parsed.entries] == ["Søren Holm", "Søren Holm", "Mette Kjær"]


@pytest.mark.parametrize("viewer", ["member", "facilitator"])
def test_deleted_content_never_appears(
    session, reader, member, other_member, facilitator, viewer
) -> None:
    kept = _topic(session, other_member, "Et emne der bliver", replies=2, repliers=[member])
    gone = _topic(session, other_member, "Et slettet emne", days=1, replies=1)
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    deleted_reply = factories.post(session, kept, 2)
    deleted_reply.body = deleted_reply.html = "Et slettet svar"
    domain.delete_post(session, facilitator, deleted_reply)
    who = member if viewer == "member" else facilitator

    for feed in ("latest.atom", "region/midtjylland.atom", "tema/netvaerksanbringelser.atom"):
        response = _get(reader, _path(who, feed))
        assert _titles(_parse(response)) == ["Et emne der bliver"]
        assert b"slettet" not in response.data
    response = _get(reader, _path(who, f"t/{kept.id}.atom"))
    parsed = _parse(response)
    assert [entry.link.rsplit("/", 1)[1] for entry in parsed.entries] == ["3", "1"]
    assert b"Et slettet svar" not in response.data


def test_a_muted_region_theme_or_topic_is_left_out_of_latest(
    session, reader, member, other_member
) -> None:
    _topic(session, other_member, "I en ignoreret region", region="syddanmark")
    _topic(session, other_member, "I et ignoreret tema", days=1, theme="adoption")
    muted = _topic(session, other_member, "Et ignoreret emne", days=2)
    _topic(session, other_member, "Et fulgt emne", days=3)
    following.set_region_level(session, member, places.region_by_slug(session, "syddanmark"), MUTED)
    following.set_theme_level(session, member, places.theme_by_slug(session, "adoption"), MUTED)
    following.set_topic_level(session, member, muted, MUTED)

    assert _titles(_parse(_get(reader, _path(member)))) == ["Et fulgt emne"]
    # Mutes are the member's own: a colleague's latest feed holds everything.
    assert len(_parse(_get(reader, _path(other_member))).entries) == 4
    # ... and a muted region's own feed, asked for by name, still has its topics.
    region = _parse(_get(reader, _path(member, "region/syddanmark.atom")))
    assert _titles(region) == ["I en ignoreret region"]


def test_feeds_are_bounded(app, session, reader, member) -> None:
    topic = _topic(session, member, "Et langt emne")
    for n in range(feeds.MAX_ENTRIES + 5):
        _topic(session, member, f"Emne nummer {n}", days=n + 1)
        domain.append_post(session, member, topic, f"Svar nummer {n}")
    latest = _parse(_get(reader, _path(member)))
    assert len(latest.entries) == feeds.MAX_ENTRIES
    assert latest.entries[0].title == f"Emne nummer {feeds.MAX_ENTRIES + 4}"
    posts = _parse(_get(reader, _path(member, f"t/{topic.id}.atom")))
    assert len(posts.entries) == feeds.MAX_ENTRIES
    assert posts.entries[0].link.endswith(f"/{feeds.MAX_ENTRIES + 6}")


def test_hostile_content_is_sanitised(session, reader, member, other_member) -> None:
    body = (
        "<script>alert('feed')</script>\n\n"
        "[klik](javascript:alert(1)) og [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        '<img src="x" onerror="alert(2)"> <a href="javascript:alert(3)">rå</a>\n\n'
        "Hej @mette-kjaer"
    )
    topic = _topic(session, other_member, "<b>Fed</b> titel & mere", body=body)
    response = _get(reader, _path(member, f"t/{topic.id}.atom"))
    parsed = _parse(response)
    (html,) = _raw_contents(response)
    assert html == factories.post(session, topic, 1).html
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"p", "a"}
    for _tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").lower().startswith(("javascript:", "data:"))
    hrefs = [dict(attrs).get("href") for tag, attrs in tags if tag == "a"]
    assert [href for href in hrefs if href] == ["/u/mette-kjaer"]
    assert "&lt;script&gt;" in html  # typed HTML is shown as text
    assert parsed.entries[0].title == "<b>Fed</b> titel & mere"  # a title is text, not HTML
    # The mention's link is relative in the post and resolves onto the forum's address.
    assert f'href="{BASE_URL}/u/mette-kjaer"' in parsed.entries[0].content[0].value


def test_text_xml_cannot_carry_is_dropped_not_a_broken_feed(session, reader, member) -> None:
    author = factories.user(session, name="Skjult\x01Navn")
    topic = _topic(session, author, "Titel")
    topic.title = "Titel\x0bmed\x1fstyretegn"
    parsed = _parse(_get(reader, _path(member)))
    assert parsed.entries[0].title == "Titelmedstyretegn"
    assert parsed.entries[0].author == "SkjultNavn"


def test_the_feed_speaks_the_members_language(session, reader, member) -> None:
    _topic(session, member, "Et emne")
    member.locale = "en"
    root = ET.fromstring(_get(reader, _path(member)).data)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


# -- the responses --------------------------------------------------------------------------


def test_conditional_get_answers_304_until_something_changes(
    session, reader, member, facilitator
) -> None:
    old = _topic(session, member, "Et gammelt emne")
    domain.delete_post(session, facilitator, factories.post(session, old, 1))
    _topic(session, member, "Et emne", days=1)
    first = _get(reader, _path(member))
    assert "Last-Modified" not in first.headers
    etag = first.headers["ETag"]
    again = reader.get(_path(member), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert "Set-Cookie" not in again.headers
    # An older topic comes back: the newest date is the same, the feed is not.
    domain.restore_post(session, facilitator, factories.post(session, old, 1))
    changed = _get(reader, _path(member))
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert _titles(_parse(changed)) == ["Et emne", "Et gammelt emne"]
    assert reader.get(_path(member), headers={"If-None-Match": etag}).status_code == 200


def test_a_logged_in_browser_gets_the_tokens_feed_not_its_own(
    session, client, auth, member, other_member
) -> None:
    """The token decides whose feed it is, whoever opens it (a member's own browser too)."""
    following.set_region_level(
        session, other_member, places.region_by_slug(session, "midtjylland"), MUTED
    )
    _topic(session, member, "Et emne i Midtjylland")
    auth.login(member)
    parsed = _parse(client.get(_path(other_member)))
    assert parsed.entries == []


# -- the settings partial --------------------------------------------------------------------


def test_feed_links_are_latest_and_the_home_region(session, member, facilitator) -> None:
    links = feeds.feed_links(session, member)
    token = feeds.feed_token(member)
    assert [link.url for link in links] == [
        f"{BASE_URL}/feeds/{token}/latest.atom",
        f"{BASE_URL}/feeds/{token}/region/midtjylland.atom",
    ]
    assert links[1].label == "Nye emner i Region Midtjylland"
    # A facilitator from an organisation has no home region.
    assert [link.url for link in feeds.feed_links(session, facilitator)] == [
        f"{BASE_URL}/feeds/{feeds.feed_token(facilitator)}/latest.atom"
    ]


def test_the_partial_shows_the_urls_and_a_renew_form(app, session, member) -> None:
    with app.test_request_context("/indstillinger"):
        html = render_template(
            "users/_feed_token.html", feed_links=feeds.feed_links(session, member)
        )
    assert 'id="feeds"' in html
    assert f'value="{BASE_URL}/feeds/{feeds.feed_token(member)}/latest.atom"' in html
    assert 'action="/indstillinger/feed/forny"' in html
    assert 'name="csrf_token"' in html
    assert 'method="post"' in html


# -- statement counts ------------------------------------------------------------------------


def _statements(app, reader, count_queries, path: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    db.session.commit()
    with app.app_context():
        assert reader.get(path).status_code == 200  # warm-up
    with app.app_context(), count_queries() as counter:
        response = reader.get(path)
    assert response.status_code == 200
    return counter.count, counter.statements


def _grow(session, topic: Topic, n: int) -> None:  # type: ignore[no-untyped-def]
    """n topics by n different authors in midtjylland/netværksanbringelser, and n replies to
    ``topic`` by as many authors: what a lazy load per entry would show up on."""
    authors = [factories.user(session, name=f"Forfatter {i}") for i in range(n)]
    for i, author in enumerate(authors):
        _topic(session, author, f"Voksende emne {i}", days=i + 1)
        domain.append_post(session, author, topic, f"Svar fra forfatter {i}")


@pytest.mark.parametrize("feed", list(FEEDS))
@pytest.mark.parametrize("viewer", ["member", "facilitator"])
def test_statement_count_is_the_same_for_3_and_30_topics(
    app, session, reader, count_queries, member, facilitator, feed, viewer
) -> None:
    topic = _topic(session, member, "Emnet der vokser")
    _grow(session, topic, 2)  # 3 topics, 3 posts in the topic
    who = member if viewer == "member" else facilitator
    path = _path(who, FEEDS[feed](topic))
    small, _ = _statements(app, reader, count_queries, path)
    _grow(session, topic, 27)  # 30 topics, 30 posts
    large, statements = _statements(app, reader, count_queries, path)
    print(f"{feed} feed for a {viewer}: {small} statements for 3 entries, {large} for 30")
    assert large == small, "\n".join(statements)
    assert large <= 4, "\n".join(statements)


def test_a_feed_never_writes(app, session, reader, count_queries, member) -> None:
    _topic(session, member, "Et emne")
    _, statements = _statements(app, reader, count_queries, _path(member))
    writes = [s for s in statements if s.lstrip().split(None, 1)[0].upper() != "SELECT"]
    assert writes == []


def test_each_page_offers_its_own_feed(client, auth, reader, session, member, other_member):  # type: ignore[no-untyped-def]
    """/latest, a region's, a theme's and a topic's page announce their feed (a <link> in
    the head, for browser add-ons) and link to it, through /mit-feed/…, which sends the
    logged-in member on to their own address: the token is never in a page's HTML. A reader
    that follows the address gets that feed."""
    topic = _topic(session, other_member, "Netværksanbringelser i praksis", replies=1)
    auth.login(member)
    token = feeds.feed_token(member)
    pages = {
        "/latest": "latest.atom",
        "/region/midtjylland": "region/midtjylland.atom",
        "/tema/netvaerksanbringelser": "tema/netvaerksanbringelser.atom",
        f"/t/{topic.slug}/{topic.id}": f"t/{topic.id}.atom",
    }
    for page, feed in pages.items():
        html = client.get(page).get_data(True)
        assert token not in html
        announced = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', html)
        assert len(announced) == 1, page
        href = re.search(r'href="([^"]+)"', announced[0]).group(1)
        assert href == f"/mit-feed/{feed}"
        assert f'<a href="{href}" type="application/atom+xml">' in html
        response = client.get(href)
        assert response.status_code == 302
        assert response.headers["Location"] == BASE_URL + _path(member, feed)
        assert "no-store" in response.headers["Cache-Control"]
        parsed = _parse(_get(reader, _path(member, feed)))
        assert parsed.entries, page
    # Not on the lists that are the member's own state (/unread, /new).
    assert 'rel="alternate"' not in client.get("/unread").get_data(True)


@pytest.mark.parametrize(
    "feed", ["", "latest", "t/abc.atom", "t/0.atom", "region/atlantis.atom/../x", "../../x"]
)
def test_my_feed_sends_on_only_to_a_feed(client, auth, member, feed):  # type: ignore[no-untyped-def]
    auth.login(member)
    response = client.get(f"/mit-feed/{feed}")
    assert response.status_code == 404


def test_my_feed_needs_a_login(client):  # type: ignore[no-untyped-def]
    response = client.get("/mit-feed/latest.atom")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
