"""Lists of topics (front page, latest, region, theme) and the number of SQL statements per page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from forum import notify, places, reading
from forum import topics as domain
from forum.extensions import db
from forum.models import PinScope, Topic, TopicKind, User
from tests import factories

BASE = datetime(2025, 3, 1, 9, 0)


def _topic(session, author, title, days=0, **kwargs):  # type: ignore[no-untyped-def]
    return factories.topic(
        session, author, title=title, created_at=BASE + timedelta(days=days), **kwargs
    )


def _titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The topic titles of a list page, in the order shown."""
    return re.findall(r'class="topic-title" href="[^"]+">([^<]+)</a>', response.get_data(True))


# -- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "next_param"),
    [
        ("/", "%2F"),
        ("/latest", "%2Flatest"),
        ("/region/midtjylland", "%2Fregion%2Fmidtjylland"),
        ("/tema/familiepleje?region=syddanmark", "%2Ftema%2Ffamiliepleje%3Fregion%3Dsyddanmark"),
    ],
)
def test_login_required(client, url, next_param):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={next_param}"


@pytest.mark.parametrize(
    "url",
    [
        "/region/atlantis",
        "/tema/findes-ikke",
        "/region/midtjylland?tema=findes-ikke",
        "/tema/familiepleje?region=atlantis",
    ],
)
def test_unknown_slugs_404(client, auth, member, url):
    auth.login(member)
    response = client.get(url)
    assert response.status_code == 404
    assert "findes ikke" in response.get_data(True)


# -- contents and filtering ------------------------------------------------------------------


@pytest.fixture
def spread(session, member, other_member):  # type: ignore[no-untyped-def]
    """Four topics over two regions and two themes, plus one deleted topic."""
    _topic(session, member, "Midt og familiepleje", 1, region="midtjylland", theme="familiepleje")
    _topic(session, other_member, "Midt og adoption", 2, region="midtjylland", theme="adoption")
    _topic(session, member, "Syd og familiepleje", 3, region="syddanmark", theme="familiepleje")
    _topic(session, other_member, "Syd og adoption", 4, region="syddanmark", theme="adoption")
    gone = _topic(session, member, "Slettet emne her", 5, region="midtjylland", theme="adoption")
    domain.delete_post(session, member, factories.post(session, gone, 1))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/latest",
            ["Syd og adoption", "Syd og familiepleje", "Midt og adoption", "Midt og familiepleje"],
        ),
        ("/region/midtjylland", ["Midt og adoption", "Midt og familiepleje"]),
        ("/region/nordjylland", []),
        ("/tema/familiepleje", ["Syd og familiepleje", "Midt og familiepleje"]),
        ("/region/syddanmark?tema=adoption", ["Syd og adoption"]),
        ("/tema/adoption?region=midtjylland", ["Midt og adoption"]),
    ],
)
def test_list_contents(client, auth, member, spread, url, expected):
    auth.login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert _titles(response) == expected
    assert "Slettet emne her" not in response.get_data(True)


def test_empty_list_says_so(client, auth, member, spread):
    auth.login(member)
    response = client.get("/region/hovedstaden")
    assert "Der er ingen emner her endnu" in response.get_data(True)


def test_list_headings_and_filters(client, auth, member, spread):
    auth.login(member)
    html = client.get("/region/syddanmark?tema=adoption").get_data(True)
    assert "<h1>Region Syddanmark · Adoption og permanens</h1>" in html
    assert 'href="/ny?region=syddanmark&amp;tema=adoption"' in html
    assert 'href="/region/syddanmark?tema=adoption" aria-current="page"' in html

    html = client.get("/tema/adoption?region=syddanmark").get_data(True)
    assert "<h1>Adoption og permanens · Region Syddanmark</h1>" in html
    assert 'href="/tema/adoption?region=syddanmark" aria-current="page"' in html


def test_list_row_shows_author_place_and_replies(client, auth, session, member, other_member):
    factories.topic(session, member, title="Et emne med svar", replies=2, repliers=[other_member])
    auth.login(other_member)
    html = client.get("/region/midtjylland").get_data(True)
    assert "2 svar" in html
    assert "Mette Kjær</a>, Norddjurs" in html
    assert 'href="/tema/netvaerksanbringelser">Netværksanbringelser</a>' in html


def test_front_page_counts(client, auth, member, spread):
    auth.login(member)
    html = client.get("/").get_data(True)

    def count(kind: str, slug: str) -> int:
        found = re.search(
            rf'href="/{kind}/{slug}">[^<]+</a> <span class="count">(\d+)</span>', html
        )
        assert found, (kind, slug)
        return int(found.group(1))

    # The deleted topic (midtjylland, adoption) is not counted.
    assert count("region", "midtjylland") == 2
    assert count("region", "syddanmark") == 2
    assert count("region", "nordjylland") == 0
    assert count("region", "landsdaekkende") == 0
    assert count("tema", "familiepleje") == 2
    assert count("tema", "adoption") == 2
    assert count("tema", "barnets-lov") == 0


def test_front_page_hides_inactive_themes(client, auth, session, member):
    places.theme_by_slug(session, "civilsamfund").is_active = False
    auth.login(member)
    html = client.get("/").get_data(True)
    assert 'href="/tema/civilsamfund"' not in html
    assert 'href="/tema/adoption"' in html


# -- pins ------------------------------------------------------------------------------------


@pytest.fixture
def pinned(session, member):  # type: ignore[no-untyped-def]
    """In midtjylland/familiepleje: one topic pinned per scope, an expired pin and a fresh one."""
    made = {}
    for days, name in enumerate(["global", "region", "theme", "expired", "plain"]):
        made[name] = _topic(
            session, member, f"Emnet {name} her", days, region="midtjylland", theme="familiepleje"
        )
    made["global"].pin_scope = PinScope.GLOBAL
    made["region"].pin_scope = PinScope.REGION
    made["theme"].pin_scope = PinScope.THEME
    made["expired"].pin_scope = PinScope.GLOBAL
    made["expired"].pinned_until = datetime(2020, 1, 1)
    session.flush()
    return made


# Global pins come first on every list (not only the front page), region pins on region lists,
# theme pins on theme lists; pinned topics among themselves and all others by last activity.
# The expired pin is an ordinary topic again.
@pytest.mark.parametrize(
    ("url", "pinned_here", "rest"),
    [
        ("/latest", ["global"], ["plain", "expired", "theme", "region"]),
        ("/region/midtjylland", ["region", "global"], ["plain", "expired", "theme"]),
        ("/tema/familiepleje", ["theme", "global"], ["plain", "expired", "region"]),
        (
            "/region/midtjylland?tema=familiepleje",
            ["theme", "region", "global"],
            ["plain", "expired"],
        ),
        (
            "/tema/familiepleje?region=midtjylland",
            ["theme", "region", "global"],
            ["plain", "expired"],
        ),
    ],
)
def test_pinned_first(client, auth, member, pinned, url, pinned_here, rest):
    auth.login(member)
    response = client.get(url)
    assert _titles(response) == [f"Emnet {name} her" for name in pinned_here + rest]
    html = response.get_data(True)
    assert html.count('class="topic-row is-pinned"') == len(pinned_here)
    assert html.count('badge-pinned">Fastgjort</span>') == len(pinned_here)


# -- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/latest", "/region/midtjylland", "/tema/familiepleje"])
def test_pagination(app, client, auth, session, member, url):
    app.config["TOPICS_PER_PAGE"] = 3
    for n in range(7):
        _topic(session, member, f"Emne nummer {n}", n, region="midtjylland", theme="familiepleje")
    auth.login(member)

    first = client.get(url)
    assert _titles(first) == ["Emne nummer 6", "Emne nummer 5", "Emne nummer 4"]
    assert 'rel="next"' in first.get_data(True)
    assert 'rel="prev"' not in first.get_data(True)

    sep = "&" if "?" in url else "?"
    second = client.get(f"{url}{sep}page=2")
    assert _titles(second) == ["Emne nummer 3", "Emne nummer 2", "Emne nummer 1"]
    third = client.get(f"{url}{sep}page=3")
    assert _titles(third) == ["Emne nummer 0"]
    assert 'rel="prev"' in third.get_data(True)
    assert 'rel="next"' not in third.get_data(True)


def test_pagination_keeps_the_filter(app, client, auth, session, member):
    app.config["TOPICS_PER_PAGE"] = 1
    for n in range(2):
        _topic(session, member, f"Emne nummer {n}", n, region="midtjylland", theme="adoption")
    auth.login(member)
    html = client.get("/region/midtjylland?tema=adoption").get_data(True)
    assert re.search(
        r'rel="next" href="/region/midtjylland\?(tema=adoption&amp;page=2|'
        r'page=2&amp;tema=adoption)"',
        html,
    )


# -- statement counts ------------------------------------------------------------------------
#
# A page must issue the same number of SQL statements whatever it shows: one lazy load per
# row would make the count grow with the data. Each page is measured on small data, then the
# same page again after the data has grown.


def _count_statements(app, client, count_queries, url: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """Statements for one GET of url, after a warm-up.

    Each request runs in an app context of its own, as in production: the fixtures keep one
    app context open for the whole test, and requests inside it would share its session
    (identity map) and Flask-Login's cached user in g, hiding statements.
    """
    db.session.commit()
    with app.app_context():
        assert client.get(url).status_code == 200  # warm-up
    with app.app_context(), count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, counter.statements


MUNICIPALITIES = [
    "Aalborg", "Hjørring", "Aarhus", "Herning", "Odense", "Kolding", "Roskilde", "Næstved",
    "København", "Gentofte", "Randers", "Vejle", "Holbæk", "Thisted", "Viborg",
]  # fmt: skip
REGIONS = ["nordjylland", "midtjylland", "syddanmark", "sjaelland", "hovedstaden"]
THEMES = ["familiepleje", "adoption", "barnets-lov", "tidlig-indsats"]


def _authors(session, n: int, prefix: str) -> list[User]:  # type: ignore[no-untyped-def]
    return [
        factories.user(session, name=f"{prefix} {i}", municipality=MUNICIPALITIES[i % 15])
        for i in range(n)
    ]


def _small(session, member, other_member):  # type: ignore[no-untyped-def]
    """Two topics with two replies each, in midtjylland/familiepleje; one sparring answered."""
    first = factories.topic(
        session,
        member,
        kind=TopicKind.SPARRING,
        region="midtjylland",
        theme="familiepleje",
        replies=2,
        repliers=[other_member],
    )
    domain.mark_answer(session, member, first, factories.post(session, first, 2))
    factories.topic(
        session,
        other_member,
        region="midtjylland",
        theme="familiepleje",
        replies=2,
        repliers=[member],
    )
    return first


def _grow(session, member_id: int, topic_id: int, facilitator_id: int) -> None:
    """Forty more topics from ten authors in ten municipalities, spread over regions and
    themes (a quarter in midtjylland/familiepleje), each with replies from other members; the
    first small topic grows to 45 posts by 15 authors, with its answer on a later page, an
    edited post, a deleted post and a facilitator's post."""
    authors = _authors(session, 10, "Forfatter")
    repliers = _authors(session, 15, "Svarer")
    member = session.get(User, member_id)
    facilitator = session.get(User, facilitator_id)
    for i in range(40):
        region = "midtjylland" if i % 4 == 0 else REGIONS[i % 5]
        theme = "familiepleje" if i % 4 == 0 else THEMES[i % 4]
        topic = factories.topic(
            session,
            authors[i % 10],
            kind=TopicKind.SPARRING if i % 3 else TopicKind.EXPERIENCE,
            region=region,
            theme=theme,
            replies=i % 3,
            repliers=repliers[i % 7 :],
        )
        if i % 3 and topic.reply_count:
            domain.mark_answer(session, topic.author, topic, factories.post(session, topic, 2))
        if i % 10 == 0:
            topic.pin_scope = PinScope.REGION if i % 20 else PinScope.GLOBAL
        if i % 8 == 0:
            domain.set_locked(session, facilitator, topic, True)
        # The member also writes, so that the profile grows too.
        domain.append_post(session, member, topic, f"Medlemmets svar {i}")
        if i % 5 == 0:
            factories.topic(session, member, region=region, theme=theme)
    big = session.get(Topic, topic_id)
    for i in range(big.post_number_max, 45):
        domain.append_post(session, repliers[i % 15], big, f"Svar {i} fra en kollega")
    domain.append_post(session, facilitator, big, "Facilitatoren opsummerer.")
    domain.mark_answer(session, member, big, factories.post(session, big, 30))
    domain.edit_post(session, facilitator, factories.post(session, big, 5), body="Rettet svar")
    domain.delete_post(session, facilitator, factories.post(session, big, 7))
    notify.run(session)  # the bell and /notifikationer grow too


PAGES = {
    "front page": lambda t: "/",
    "latest": lambda t: "/latest",
    "region": lambda t: "/region/midtjylland",
    "region and theme": lambda t: "/region/midtjylland?tema=familiepleje",
    "theme and region": lambda t: "/tema/familiepleje?region=midtjylland",
    "topic": lambda t: f"/t/{t.slug}/{t.id}",
    "topic page 2": lambda t: f"/t/{t.slug}/{t.id}?page=2",
    "permalink": lambda t: f"/t/{t.slug}/{t.id}/2",
    "profile": lambda t: "/u/mette-kjaer",
    "unread": lambda t: "/unread",
    "new": lambda t: "/new",
    "notifications": lambda t: "/notifikationer",
}


@pytest.mark.parametrize("viewer", ["member", "facilitator"])
@pytest.mark.parametrize("page", list(PAGES))
def test_statement_count_does_not_grow_with_data(
    app, client, auth, session, count_queries, member, other_member, facilitator, viewer, page
):
    topic = _small(session, member, other_member)
    if page == "topic page 2":
        # Page 2 must exist on small data too: 21 posts.
        for i in range(18):
            domain.append_post(session, other_member, topic, f"Ekstra svar {i}")
    topic_id, member_id, facilitator_id = topic.id, member.id, facilitator.id
    url = PAGES[page](topic)
    viewing = member if viewer == "member" else facilitator
    auth.login(viewing)
    if page in ("unread", "new", "front page"):  # something to show on small data too
        factories.topic(session, other_member, title="Et nyt emne efter login")
        reading.replied(session, viewing, topic, factories.post(session, topic, 2))
        domain.append_post(session, other_member, topic, "Et ulæst svar")

    small, small_statements = _count_statements(app, client, count_queries, url)
    _grow(session, member_id, topic_id, facilitator_id)
    large, large_statements = _count_statements(app, client, count_queries, url)

    print(f"{page} as {viewer}: {small} statements on small data, {large} on large data")
    assert large == small, "\n".join(large_statements)


def _counting(statements: list[str]) -> list[str]:
    # (The member's unread posts are counted per page, over the page's topics only; the bell
    # counts the member's own unread notifications.)
    return [
        s
        for s in statements
        if ("GROUP BY" in s.upper() or "count(" in s.lower())
        and "topic_members" not in s
        and "FROM notifications" not in s
    ]


def test_the_front_page_counts_nothing_per_view(app, client, auth, session, count_queries, member):
    for n in range(3):
        _topic(session, member, f"Emne nummer {n}", n, region="midtjylland", theme="familiepleje")
    auth.login(member)
    _, statements = _count_statements(app, client, count_queries, "/")
    assert _counting(statements) == []


@pytest.mark.parametrize("url", ["/latest", "/region/midtjylland?tema=familiepleje"])
def test_lists_count_once_per_change(app, client, auth, session, count_queries, member, url):
    """The sidebar's and the pagination's counts come from counts kept until topics change:
    no GROUP BY and no count over all topics on a view when nothing changed."""
    app.config["TOPICS_PER_PAGE"] = 1
    for n in range(3):
        _topic(session, member, f"Emne nummer {n}", n, region="midtjylland", theme="familiepleje")
    auth.login(member)
    _, statements = _count_statements(app, client, count_queries, url)
    assert _counting(statements) == []
    # ... and a new topic is counted on the next view (three pages become four).
    _topic(session, member, "Et nyt emne her", 9, region="midtjylland", theme="familiepleje")
    db.session.commit()
    with app.app_context():
        html = client.get(url).get_data(True)
    assert re.search(r'href="[^"]*page=4"', html), html


# -- read state: unread, new, mark all read -------------------------------------------------


def _sparring(session, author):  # type: ignore[no-untyped-def]
    return domain.create_topic(
        session,
        author,
        title="Hvem har erfaring med familierådslagning?",
        body="Vi vil gerne i gang.",
        kind=TopicKind.SPARRING,
        region=places.region_by_slug(session, "midtjylland"),
        theme=places.theme_by_slug(session, "familiepleje"),
    )


def test_a_list_shows_unread_posts_and_links_to_the_first_of_them(
    app, client, auth, session, member, other_member
):
    app.config["POSTS_PER_PAGE"] = 2
    topic = _sparring(session, member)
    for n in range(3):
        domain.reply(session, other_member, topic, f"Svar nummer {n}")
    auth.login(member)

    html = client.get("/latest").get_data(True)
    assert "3 ulæste" in html
    assert f'href="/t/{topic.slug}/{topic.id}/2#p2"' in html  # the first unread post
    assert _titles(client.get("/unread")) == [topic.title]

    page = client.get(f"/t/{topic.slug}/{topic.id}/2").get_data(True)
    assert "Ny siden dit sidste besøg" in page
    # The permalink's page (posts 1-2) is read now, after the response; 3 and 4 are not.
    html = client.get("/latest").get_data(True)
    assert "2 ulæste" in html
    assert f'href="/t/{topic.slug}/{topic.id}/3#p3"' in html


def test_a_deleted_reply_is_neither_unread_nor_linked_to(
    client, auth, session, member, other_member, facilitator
):
    topic = _sparring(session, member)
    for n in range(2):
        domain.reply(session, other_member, topic, f"Svar nummer {n}")
    domain.delete_post(session, facilitator, factories.post(session, topic, 2))
    auth.login(member)
    html = client.get("/latest").get_data(True)
    assert "1 ulæst" in html
    assert f'href="/t/{topic.slug}/{topic.id}/3#p3"' in html
    domain.delete_post(session, facilitator, factories.post(session, topic, 3))
    db.session.commit()
    assert "ulæst" not in client.get("/latest").get_data(True)
    assert _titles(client.get("/unread")) == []


def test_region_and_theme_lists_can_mark_all_read(client, auth, member):
    auth.login(member)
    html = client.get("/region/midtjylland").get_data(True)
    assert 'action="/marker-laest"' in html
    assert 'name="next" value="/region/midtjylland?"' in html


def test_new_topics_are_marked_until_opened(app, client, auth, session, member, other_member):
    auth.login(member)
    topic = factories.topic(session, other_member, title="Et helt nyt emne i regionen")
    db.session.commit()
    assert 'class="badge badge-new"' in client.get("/latest").get_data(True)
    assert _titles(client.get("/new")) == [topic.title]

    client.get(f"/t/{topic.slug}/{topic.id}")

    assert _titles(client.get("/new")) == []
    assert 'class="badge badge-new"' not in client.get("/latest").get_data(True)


def test_topics_from_before_the_first_login_are_not_new(client, auth, session, other_member):
    factories.topic(session, other_member, title="Et emne fra før medlemmet kom")
    newcomer = factories.user(session, name="Ny Leder", municipality="Aarhus")
    auth.login(newcomer)
    assert _titles(client.get("/new")) == []


def test_mark_all_read_empties_unread_and_new_and_goes_back(
    client, auth, session, member, other_member
):
    topic = _sparring(session, member)
    domain.reply(session, other_member, topic, "Et svar")
    auth.login(member)
    factories.topic(session, other_member, title="Endnu et nyt emne")
    db.session.commit()
    assert _titles(client.get("/unread")) and _titles(client.get("/new"))

    response = client.post("/marker-laest", data={"next": "/new"})

    assert response.headers["Location"] == "/new"
    back = client.get("/new")
    assert "Alt er markeret som læst." in back.get_data(True)
    assert _titles(back) == []
    assert _titles(client.get("/unread")) == []


@pytest.mark.parametrize(
    ("page", "fields"),
    [
        ("/region/midtjylland", {"region": "midtjylland", "tema": ""}),
        (
            "/region/midtjylland?tema=familiepleje",
            {"region": "midtjylland", "tema": "familiepleje"},
        ),
        ("/tema/familiepleje", {"region": "", "tema": "familiepleje"}),
        ("/tema/familiepleje?region=syddanmark", {"region": "syddanmark", "tema": "familiepleje"}),
    ],
)
def test_a_place_page_marks_read_in_its_own_scope(client, auth, member, page, fields):
    auth.login(member)
    html = client.get(page).get_data(True)
    form = re.search(r'<form method="post" action="/marker-laest".*?</form>', html, re.S)
    assert form
    for name, value in fields.items():
        assert f'name="{name}" value="{value}"' in form.group(0)


def test_marking_a_region_read_leaves_the_other_regions_unread_and_new(
    client, auth, session, member, other_member
):
    here = _sparring(session, member)  # midtjylland
    domain.reply(session, other_member, here, "Et svar")
    there = factories.topic(session, member, region="syddanmark", title="Et emne i Syddanmark")
    reading.started(session, member, there)
    domain.reply(session, other_member, there, "Et svar i Syddanmark")
    auth.login(member)
    factories.topic(session, other_member, title="Nyt i Midtjylland")
    factories.topic(session, other_member, region="syddanmark", title="Nyt i Syddanmark")
    db.session.commit()
    assert len(_titles(client.get("/unread"))) == 2 and len(_titles(client.get("/new"))) == 2

    response = client.post(
        "/marker-laest",
        data={"next": "/region/midtjylland?", "region": "midtjylland", "tema": ""},
    )

    assert response.headers["Location"].rstrip("?") == "/region/midtjylland"
    back = client.get("/region/midtjylland").get_data(True)
    assert "Alt i Region Midtjylland er markeret som læst." in back
    assert _titles(client.get("/unread")) == ["Et emne i Syddanmark"]
    assert _titles(client.get("/new")) == ["Nyt i Syddanmark"]

    client.post("/marker-laest", data={"next": "/latest"})  # the network's lists: everything
    assert "Alt er markeret som læst." in client.get("/latest").get_data(True)
    assert _titles(client.get("/unread")) == [] and _titles(client.get("/new")) == []


@pytest.mark.parametrize(
    "data", [{"region": "atlantis"}, {"tema": "ukendt"}, {"region": "midtjylland", "tema": "x"}]
)
def test_marking_an_unknown_place_read_is_not_found_and_marks_nothing(
    client, auth, session, member, other_member, data
):
    auth.login(member)
    factories.topic(session, other_member, title="Et nyt emne")
    db.session.commit()
    response = client.post("/marker-laest", data={"next": "/new", **data})
    assert response.status_code == 404
    assert _titles(client.get("/new")) == ["Et nyt emne"]


def test_mark_all_read_never_goes_elsewhere(client, auth, member):
    auth.login(member)
    response = client.post("/marker-laest", data={"next": "https://example.com/"})
    assert response.headers["Location"] == "/latest"


def test_the_lists_only_show_what_the_member_may_see(
    client, auth, session, member, other_member, facilitator
):
    topic = _sparring(session, member)
    domain.reply(session, other_member, topic, "Et svar")
    gone = factories.topic(session, other_member, title="Et nyt emne der slettes")
    auth.login(member)
    domain.delete_post(session, facilitator, factories.post(session, topic, 1))
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    db.session.commit()
    assert _titles(client.get("/unread")) == []
    assert _titles(client.get("/new")) == []


def test_list_rows_speak_each_requests_language(app, session, member, other_member):  # type: ignore[no-untyped-def]
    """A list row's labels and links are worked out once per request (templating.RowKit),
    never carried over to the next one: a Danish and an English member in turn, on one app
    context, each read their own language."""
    topic = _topic(session, other_member, "Om netværksanbringelser", replies=1)
    member.locale = "en"
    session.commit()
    readers = []
    for user in (other_member, member, other_member):
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        readers.append(client.get("/latest").get_data(True))
    danish, english, danish_again = readers
    for page in (danish, danish_again):
        assert "1 svar</span>" in page and ">Drøftelse</span>" in page
        assert "1 reply</span>" not in page and ">Discussion</span>" not in page
    assert "1 reply</span>" in english and ">Discussion</span>" in english
    assert "1 svar</span>" not in english and ">Drøftelse</span>" not in english
    link = f'href="/t/{topic.slug}/{topic.id}"'
    assert all(link in page for page in readers)
