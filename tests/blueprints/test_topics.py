"""Topic pages through the client: reading, replying, writing, editing, answers, moderation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from forum import places
from forum import topics as domain
from forum.extensions import db
from forum.models import PinScope, Post, Topic, TopicKind
from tests import factories

# The fixtures keep one app context open for a whole test, so requests share the test's
# session and Flask-Login's cached user: commit before each request, log out before switching.


def _url(topic: Topic, number: int | None = None) -> str:
    base = f"/t/{topic.slug}/{topic.id}"
    return base if number is None else f"{base}/{number}"


def _numbers(html: str) -> list[int]:
    """Post numbers on a topic page, in the order shown."""
    return [int(n) for n in re.findall(r'<article class="post[^"]*"\s+id="p(\d+)"', html)]


def _textarea(html: str, name: str = "body") -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {name}"
    return found.group(1)


def _field_errors(html: str, field: str) -> str:
    found = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def topic(session, member, other_member):  # type: ignore[no-untyped-def]
    """A sparring topic by the member in midtjylland, with two replies by the other member."""
    return factories.topic(
        session,
        member,
        title="Netværket før en anbringelse",
        kind=TopicKind.SPARRING,
        replies=2,
        repliers=[other_member],
    )


# -- reading ---------------------------------------------------------------------------------


def test_show_topic(client, auth, session, member, other_member):
    created = datetime(2025, 3, 12, 13, 5)  # UTC; 14.05 in Copenhagen (winter time)
    topic = factories.topic(
        session, member, title="Netværket før en anbringelse", created_at=created
    )
    domain.append_post(session, other_member, topic, "Vi bruger **familierådslagning**.")
    auth.login(member)

    response = client.get(_url(topic))

    assert response.status_code == 200
    html = response.get_data(True)
    assert "<h1>Netværket før en anbringelse</h1>" in html
    assert _numbers(html) == [1, 2]
    assert html.index("Hvordan griber I det an") < html.index("familierådslagning")
    assert "<strong>familierådslagning</strong>" in html
    assert "12.03.2025 14.05" in html
    assert "Søren Holm</a>" in html
    assert 'href="/region/midtjylland">Region Midtjylland</a>' in html
    assert response.headers["Cache-Control"] == "private, no-store"


def test_summer_time_is_danish(client, auth, session, member):
    topic = factories.topic(session, member, created_at=datetime(2025, 7, 1, 22, 30))
    auth.login(member)
    assert "02.07.2025 00.30" in client.get(_url(topic)).get_data(True)


def test_posts_per_page_and_permalink(client, auth, session, member):
    topic = factories.topic(session, member, replies=24)  # posts 1..25
    auth.login(member)

    first = client.get(_url(topic)).get_data(True)
    assert _numbers(first) == list(range(1, 21))

    second = client.get(_url(topic) + "?page=2").get_data(True)
    assert _numbers(second) == list(range(21, 26))

    response = client.get(_url(topic, 21))
    assert response.status_code == 200
    html = response.get_data(True)
    assert _numbers(html) == list(range(21, 26))
    assert re.search(r'<article class="post is-target"\s+id="p21"', html)
    assert len(re.findall(r"is-target", html)) == 1
    assert '<span class="current" aria-current="page">2</span>' in html

    early = client.get(_url(topic, 3)).get_data(True)
    assert _numbers(early) == list(range(1, 21))
    assert re.search(r'<article class="post is-target"\s+id="p3"', early)


def _pagination_links(html: str) -> list[tuple[str, str]]:
    """The topic page's pagination links: (label, href)."""
    nav = re.search(r'<nav class="pagination"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no pagination"
    return re.findall(r'<a(?: rel="\w+")? href="([^"]+)">([^<]+)</a>', nav.group(1))


def _current_page(html: str) -> int:
    return int(re.search(r'<span class="current" aria-current="page">(\d+)</span>', html)[1])


@pytest.mark.parametrize("number", [3, 25])  # a post on page 1, and on page 2
def test_pagination_from_a_permalink_goes_to_the_pages_it_names(
    client, auth, session, member, number
):
    topic = factories.topic(session, member, replies=44)  # posts 1..45: three pages
    auth.login(member)
    html = client.get(_url(topic, number)).get_data(True)
    page = _current_page(html)
    assert page == (1 if number <= 20 else 2)
    links = _pagination_links(html)
    assert links
    for href, label in links:
        label = label.strip()
        wanted = {"‹ Forrige": page - 1, "Næste ›": page + 1}.get(label) or int(label)
        assert href == f"{_url(topic)}?page={wanted}", href  # topics.show, never the permalink
        target = client.get(href).get_data(True)
        assert _current_page(target) == wanted, href
        assert _numbers(target)[0] == (wanted - 1) * 20 + 1, href


def test_pagination_after_a_reply_preview_goes_to_the_topics_pages(client, auth, session, member):
    topic = factories.topic(session, member, replies=44)
    auth.login(member)
    response = client.post(f"/t/{topic.id}/svar", data={"body": "Et udkast", "preview": "1"})
    html = response.get_data(True)
    assert _current_page(html) == 3
    assert [href for href, _ in _pagination_links(html)] == [
        f"{_url(topic)}?page={n}" for n in (2, 1, 2)
    ]


def test_wrong_slug_redirects_to_canonical(client, auth, topic, member):
    auth.login(member)

    response = client.get(f"/t/gammel-titel/{topic.id}?page=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{_url(topic)}?page=1"

    response = client.get(f"/t/gammel-titel/{topic.id}/2")
    assert response.status_code == 301
    assert response.headers["Location"] == _url(topic, 2)


@pytest.mark.parametrize(
    "path",
    [
        "/t/{slug}/abc",
        "/t/{slug}/{id}/abc",
        "/t/{slug}/-1",
        "/t/{slug}/9999",
        "/t/{slug}/{id}/99",
        "/t/{slug}/{id}?page=2",
        "/t/{slug}/{id}?page=7",
        "/p/abc/historik",
        "/p/9999/historik",
    ],
)
def test_not_found(client, auth, topic, member, path):
    auth.login(member)
    response = client.get(path.format(slug=topic.slug, id=topic.id))
    assert response.status_code == 404
    assert "findes ikke" in response.get_data(True)


def test_show_requires_login(client, topic):
    db.session.commit()
    response = client.get(_url(topic))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Ft%2F")


# -- replying --------------------------------------------------------------------------------


def test_reply_redirects_to_new_post(client, auth, topic, member):
    auth.login(member)

    response = client.post(f"/t/{topic.id}/svar", data={"body": "Tak, det prøver vi."})

    assert response.status_code == 302
    assert response.headers["Location"] == f"{_url(topic, 4)}#p4"
    assert topic.reply_count == 3
    html = client.get(response.headers["Location"]).get_data(True)
    assert "Tak, det prøver vi." in html
    assert re.search(r'class="post is-target"\s+id="p4"', html)


def test_reply_lands_on_the_right_page(client, auth, session, member):
    topic = factories.topic(session, member, replies=19)  # 20 posts: the 21st opens page 2
    auth.login(member)
    response = client.post(f"/t/{topic.id}/svar", data={"body": "Nummer 21"})
    html = client.get(response.headers["Location"]).get_data(True)
    assert _numbers(html) == [21]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Skriv en tekst i indlægget."),
        ("   ", "Skriv en tekst i indlægget."),
        ("Drengen har CPR 120590-1234, hvad gør vi?", "CPR-nummer (120590-**** i linje 1)"),
    ],
)
def test_reply_invalid_keeps_text(client, auth, topic, member, body, message):
    auth.login(member)

    response = client.post(f"/t/{topic.id}/svar", data={"body": body})

    assert response.status_code == 400
    html = response.get_data(True)
    assert message in _field_errors(html, "body")
    assert _textarea(html) == body
    assert topic.reply_count == 2
    assert _count(Post) == 3


def test_reply_to_locked_topic_keeps_text(client, auth, session, topic, member, facilitator):
    domain.set_locked(session, facilitator, topic, True)
    auth.login(member)

    response = client.post(f"/t/{topic.id}/svar", data={"body": "Mit vigtige svar"})

    assert response.status_code == 400
    html = response.get_data(True)
    assert "Emnet er låst, så der kan ikke skrives nye svar." in html
    assert "Emnet er låst, så der kan ikke svares på det." in html
    assert re.search(r'<textarea id="kept"[^>]*readonly>Mit vigtige svar</textarea>', html)
    assert f'action="/t/{topic.id}/svar"' not in html
    assert topic.reply_count == 2


def test_facilitator_replies_to_locked_topic(client, auth, session, topic, facilitator):
    domain.set_locked(session, facilitator, topic, True)
    auth.login(facilitator)

    page = client.get(_url(topic)).get_data(True)
    assert "som facilitator kan du stadig svare" in page

    response = client.post(f"/t/{topic.id}/svar", data={"body": "Opsamling fra mødet"})
    assert response.status_code == 302
    assert topic.reply_count == 3


def test_reply_to_topic_deleted_while_writing(
    client, auth, session, topic, facilitator, other_member
):
    domain.delete_post(session, facilitator, factories.post(session, topic, 1))
    auth.login(other_member)

    response = client.post(f"/t/{topic.id}/svar", data={"body": "Mit lange svar\nmed to linjer"})

    assert response.status_code == 404
    html = response.get_data(True)
    assert "Emnet findes ikke (det kan være slettet), så dit svar er ikke gemt." in html
    assert re.search(r'<textarea id="kept"[^>]*>Mit lange svar\nmed to linjer</textarea>', html)
    assert _count(Post) == 3


def test_reply_to_missing_topic(client, auth, member):
    auth.login(member)
    assert client.post("/t/9999/svar", data={"body": "Hej"}).status_code == 404


def test_reply_to_deleted_and_to_missing_topic_look_the_same(
    client, auth, session, topic, facilitator, other_member
):
    # The difference would tell a member that a topic they cannot see once existed.
    domain.delete_post(session, facilitator, factories.post(session, topic, 1))
    auth.login(other_member)
    deleted = client.post(f"/t/{topic.id}/svar", data={"body": "Hej"})
    missing = client.post(f"/t/{topic.id + 1000}/svar", data={"body": "Hej"})
    assert deleted.status_code == missing.status_code == 404
    # The CSRF token carries a timestamp; the two pages may straddle a second.
    assert _without_csrf(deleted.get_data(True)) == _without_csrf(missing.get_data(True))


def _without_csrf(html):
    html = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)
    return re.sub(r'name="csrf-token" content="[^"]+"', 'name="csrf-token" content=""', html)


def test_quote_prefills_reply(client, auth, topic, member):
    auth.login(member)

    html = client.get(_url(topic) + "?quote=2").get_data(True)

    assert _textarea(html).startswith(
        "&gt; **Søren Holm skrev:**\n&gt; Svar nummer 1: sådan gør vi hos os.\n"
    )


@pytest.mark.parametrize("quote", ["99", "abc", "0"])
def test_quote_of_missing_post_leaves_reply_empty(client, auth, topic, member, quote):
    auth.login(member)
    response = client.get(_url(topic) + f"?quote={quote}")
    assert response.status_code == 200
    assert _textarea(response.get_data(True)) == ""


def test_quote_of_deleted_post_is_not_shown(client, auth, session, topic, other_member):
    domain.delete_post(session, other_member, factories.post(session, topic, 2))
    auth.login(other_member)
    assert _textarea(client.get(_url(topic) + "?quote=2").get_data(True)) == ""


def test_quote_in_locked_topic_is_not_shown_as_unsaved_text(
    client, auth, session, topic, member, facilitator
):
    domain.set_locked(session, facilitator, topic, True)
    auth.login(member)
    html = client.get(_url(topic) + "?quote=2").get_data(True)
    assert "Emnet er låst, så der kan ikke skrives nye svar." in html
    assert "Din tekst (ikke gemt)" not in html
    assert "skrev:**" not in html


def test_reply_preview_saves_nothing(client, auth, topic, member):
    auth.login(member)

    response = client.post(
        f"/t/{topic.id}/svar", data={"body": "Vi **prøvede** det", "preview": "1"}
    )

    assert response.status_code == 200
    html = response.get_data(True)
    assert "Forhåndsvisning</h3>" in html
    assert '<div class="post-body"><p>Vi <strong>prøvede</strong> det</p></div>' in html
    assert _textarea(html) == "Vi **prøvede** det"
    assert topic.reply_count == 2
    assert _count(Post) == 3


# -- new topics ------------------------------------------------------------------------------


def test_new_topic_prefill(client, auth, member):
    auth.login(member)

    html = client.get("/ny?region=syddanmark&tema=familiepleje&type=experience").get_data(True)

    assert '<option selected value="experience">' in html
    assert '<option selected value="syddanmark">' in html
    assert '<option selected value="familiepleje">' in html
    body = _textarea(html)
    assert body.startswith("## Udfordring")
    assert "## Hvad gjorde vi" in body
    assert "## Det vil vi anbefale" in body


def test_new_topic_defaults_to_home_region(client, auth, member):
    auth.login(member)  # Norddjurs, Region Midtjylland
    html = client.get("/ny").get_data(True)
    assert '<option selected value="midtjylland">' in html
    assert '<option selected value="discussion">' in html
    assert _textarea(html) == ""


def test_create_topic(client, auth, member):
    auth.login(member)

    response = client.post(
        "/ny",
        data={
            "title": "Fast myndighedsrådgiver i hele forløbet",
            "body": "Sådan har vi organiseret det.",
            "kind": "experience",
            "region": "syddanmark",
            "theme": "sagsbehandling",
        },
    )

    topic = db.session.scalar(select(Topic))
    assert topic is not None
    assert response.status_code == 302
    assert response.headers["Location"] == _url(topic)
    assert topic.slug == "fast-myndighedsraadgiver-i-hele-forloebet"
    assert (topic.kind, topic.region.slug, topic.theme.slug) == (
        "experience",
        "syddanmark",
        "sagsbehandling",
    )
    assert topic.author_id == member.id
    html = client.get(response.headers["Location"]).get_data(True)
    assert "Sådan har vi organiseret det." in html


VALID = {
    "title": "En helt almindelig titel",
    "body": "En helt almindelig tekst.",
    "kind": "discussion",
    "region": "midtjylland",
    "theme": "familiepleje",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "Hej"}, "title", "Skriv en titel på mindst 5 tegn."),
        ({"title": "Barnet 120590-1234 flytter"}, "title", "CPR-nummer"),
        ({"body": ""}, "body", "Skriv en tekst i indlægget."),
        ({"body": "Mor: 120590-1234"}, "body", "CPR-nummer (120590-****"),
        ({"kind": "material"}, "kind", "Kun facilitatorer kan oprette materialer."),
        ({"kind": "afstemning"}, "kind", "Vælg en type fra listen."),
        ({"region": "atlantis"}, "region", "Vælg en region fra listen."),
        ({"theme": "findes-ikke"}, "theme", "Vælg et tema fra listen."),
    ],
)
def test_create_topic_invalid_keeps_input(client, auth, member, changes, field, message):
    auth.login(member)
    data = {**VALID, **changes}

    response = client.post("/ny", data=data)

    html = response.get_data(True)
    assert message in _field_errors(html, field)
    assert f'value="{data["title"]}"' in html
    assert _textarea(html) == data["body"]
    assert _count(Topic) == 0


def test_inactive_theme_is_refused(client, auth, session, member):
    places.theme_by_slug(session, "adoption").is_active = False
    auth.login(member)
    html = client.post("/ny", data={**VALID, "theme": "adoption"}).get_data(True)
    assert "ikke længere i brug" in _field_errors(html, "theme")
    assert _count(Topic) == 0


def test_material_offered_to_facilitators_only(client, auth, member, facilitator):
    auth.login(member)
    assert 'value="material"' not in client.get("/ny").get_data(True)
    auth.logout()

    auth.login(facilitator)
    assert 'value="material"' in client.get("/ny").get_data(True)
    response = client.post("/ny", data={**VALID, "kind": "material"})
    assert response.status_code == 302
    assert db.session.scalar(select(Topic.kind)) == TopicKind.MATERIAL


def test_new_topic_preview_saves_nothing(client, auth, member):
    auth.login(member)
    response = client.post("/ny", data={**VALID, "body": "# Overskrift", "preview": "1"})
    html = response.get_data(True)
    assert '<div class="post-body"><h1>Overskrift</h1></div>' in html
    assert _count(Topic) == 0


# -- editing ---------------------------------------------------------------------------------


def test_edit_keeps_history(client, auth, topic, member, other_member, facilitator):
    first = factories.post(db.session, topic, 1)
    old_body = first.body
    auth.login(member)

    form = client.get(f"/p/{first.id}/rediger").get_data(True)
    assert _textarea(form) == old_body
    assert 'name="revision" type="hidden" value="1"' in form

    response = client.post(
        f"/p/{first.id}/rediger",
        data={"title": "Ny og bedre titel", "body": "Den nye tekst", "revision": "1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/ny-og-bedre-titel/{topic.id}/1#p1"
    assert (first.revision, first.body, topic.title) == (2, "Den nye tekst", "Ny og bedre titel")

    page = client.get(_url(topic)).get_data(True)
    assert f'href="/p/{first.id}/historik" class="edited">redigeret' in page

    history = client.get(f"/p/{first.id}/historik")
    assert history.status_code == 200
    html = history.get_data(True)
    assert "Nuværende version" in html
    assert "Den nye tekst" in html
    assert "Version 1" in html
    assert old_body in html
    assert "Titel: Netværket før en anbringelse" in html

    auth.logout()
    auth.login(other_member)
    assert client.get(f"/p/{first.id}/historik").status_code == 403
    assert f"/p/{first.id}/historik" not in client.get(_url(topic)).get_data(True)

    auth.logout()
    auth.login(facilitator)
    assert client.get(f"/p/{first.id}/historik").status_code == 200


def test_others_cannot_edit(client, auth, topic, other_member):
    first = factories.post(db.session, topic, 1)
    auth.login(other_member)

    assert client.get(f"/p/{first.id}/rediger").status_code == 403
    response = client.post(f"/p/{first.id}/rediger", data={"body": "Overtaget", "revision": "1"})
    assert response.status_code == 403
    assert first.body != "Overtaget"


def test_facilitator_edits_and_history_names_the_author(client, auth, topic, facilitator):
    reply = factories.post(db.session, topic, 2)
    auth.login(facilitator)

    response = client.post(f"/p/{reply.id}/rediger", data={"body": "Rettet", "revision": "1"})

    assert response.status_code == 302
    assert reply.edited_by_id == facilitator.id
    html = client.get(f"/p/{reply.id}/historik").get_data(True)
    assert "Jonas Facilitator," in html  # the current version
    assert "Søren Holm," in html  # version 1


def test_stale_edit_keeps_text(client, auth, session, topic, member, facilitator):
    first = factories.post(session, topic, 1)
    domain.edit_post(session, facilitator, first, body="Facilitatorens rettelse")
    auth.login(member)  # commits

    response = client.post(
        f"/p/{first.id}/rediger",
        data={"title": topic.title, "body": "Min egen rettelse", "revision": "1"},
    )

    assert response.status_code == 200
    html = response.get_data(True)
    assert "Indlægget er blevet ændret, mens du skrev" in _field_errors(html, "body")
    assert _textarea(html) == "Min egen rettelse"
    assert "Den nye version, der blev gemt imens" in html
    assert "Facilitatorens rettelse" in html
    assert first.body == "Facilitatorens rettelse"
    assert first.revision == 2


def test_edit_refuses_cpr(client, auth, topic, member):
    first = factories.post(db.session, topic, 1)
    auth.login(member)
    response = client.post(
        f"/p/{first.id}/rediger",
        data={"title": topic.title, "body": "Se 120590-1234", "revision": "1"},
    )
    html = response.get_data(True)
    assert "CPR-nummer" in _field_errors(html, "body")
    assert _textarea(html) == "Se 120590-1234"
    assert first.revision == 1


# -- deleting and restoring ------------------------------------------------------------------


def test_delete_and_restore_reply(client, auth, topic, member, other_member, facilitator):
    reply = factories.post(db.session, topic, 3)
    auth.login(other_member)

    response = client.post(f"/p/{reply.id}/slet")
    assert response.status_code == 302
    assert response.headers["Location"] == _url(topic)
    html = client.get(_url(topic)).get_data(True)
    assert "Indlægget er slettet. En facilitator kan gendanne det." in html
    assert _numbers(html) == [1, 2]
    assert topic.reply_count == 1

    auth.logout()
    auth.login(member)
    # Members may not know a deleted post exists: neither its permalink nor restoring it.
    assert client.get(_url(topic, 3)).status_code == 404
    assert client.post(f"/p/{reply.id}/gendan").status_code == 404
    assert reply.is_deleted

    auth.logout()
    auth.login(facilitator)
    html = client.get(_url(topic)).get_data(True)
    assert _numbers(html) == [1, 2, 3]
    assert re.search(r'<article class="post is-deleted"\s+id="p3"', html)
    assert "Slettet af Søren Holm" in html
    assert f'action="/p/{reply.id}/gendan"' in html

    response = client.post(f"/p/{reply.id}/gendan")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{_url(topic, 3)}#p3"
    assert topic.reply_count == 2
    assert "is-deleted" not in client.get(_url(topic)).get_data(True)


def test_others_cannot_delete(client, auth, topic, member):
    reply = factories.post(db.session, topic, 2)  # by the other member
    auth.login(member)
    page = client.get(_url(topic)).get_data(True)
    assert f'action="/p/{reply.id}/slet"' not in page
    assert client.post(f"/p/{reply.id}/slet").status_code == 403
    assert reply.deleted_at is None


def test_deleting_first_post_deletes_topic(client, auth, topic, member, facilitator):
    first = factories.post(db.session, topic, 1)
    auth.login(member)
    # The topic has replies: its author may not take them all away.
    assert client.post(f"/p/{first.id}/slet").status_code == 403
    auth.logout()

    auth.login(facilitator)
    response = client.post(f"/p/{first.id}/slet")
    assert response.status_code == 302
    auth.logout()

    auth.login(member)
    assert client.get(_url(topic)).status_code == 404
    assert topic.title not in client.get("/latest").get_data(True)

    auth.logout()
    auth.login(facilitator)
    html = client.get(_url(topic)).get_data(True)
    assert 'badge-deleted">Slettet</span>' in html
    client.post(f"/p/{first.id}/gendan")
    assert not topic.is_deleted
    auth.logout()
    auth.login(member)
    assert client.get(_url(topic)).status_code == 200


# -- answers ---------------------------------------------------------------------------------


def test_mark_answer(client, auth, topic, member):
    answer = factories.post(db.session, topic, 3)
    auth.login(member)

    response = client.post(f"/t/{topic.id}/svaret", data={"post_id": answer.id})

    assert response.status_code == 302
    assert response.headers["Location"] == f"{_url(topic, 3)}#p3"
    html = client.get(_url(topic)).get_data(True)
    # The answer box sits right under the opening post, before the first reply.
    first_end = html.index('id="p1"')
    box = html.index('<section class="answer-box"')
    assert first_end < box < html.index('id="p2"')
    assert "✓ Svaret der hjalp" in html[box:]
    assert "Svar nummer 2: sådan gør vi hos os." in html[box : html.index('id="p2"')]
    assert "✓ Besvaret" in html
    assert "Fjern markering som svar" in html
    assert "✓ Besvaret" in client.get("/region/midtjylland").get_data(True)

    response = client.post(f"/t/{topic.id}/svaret", data={"post_id": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == _url(topic)
    html = client.get(_url(topic)).get_data(True)
    assert "Markeringen er fjernet." in html
    assert "answer-box" not in html
    assert topic.answer_post_id is None
    assert "✓ Besvaret" not in client.get("/region/midtjylland").get_data(True)


def test_mark_answer_refused(client, auth, session, topic, member, other_member):
    reply = factories.post(session, topic, 2)
    discussion = factories.topic(session, member, replies=1)
    auth.login(other_member)
    assert client.post(f"/t/{topic.id}/svaret", data={"post_id": reply.id}).status_code == 403

    auth.logout()
    auth.login(member)
    other_reply = factories.post(session, discussion, 2)
    response = client.post(f"/t/{discussion.id}/svaret", data={"post_id": other_reply.id})
    assert response.status_code == 403

    first = factories.post(session, topic, 1)
    response = client.post(f"/t/{topic.id}/svaret", data={"post_id": first.id})
    assert response.status_code == 302
    assert "Kun et synligt svar i emnet" in client.get(_url(topic)).get_data(True)
    assert topic.answer_post_id is None


# -- moderation ------------------------------------------------------------------------------


def _moderate(client, topic, action, **data):  # type: ignore[no-untyped-def]
    response = client.post(f"/t/{topic.id}/moderer/{action}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == _url(topic)
    return client.get(response.headers["Location"]).get_data(True)


def test_pin_with_date(client, auth, topic, facilitator):
    auth.login(facilitator)
    day = date.today() + timedelta(days=30)

    html = _moderate(client, topic, "pin", **{"pin-scope": "region", "pin-until": day.isoformat()})

    assert "Emnet er fastgjort." in html
    assert topic.pin_scope == PinScope.REGION
    # "Until and including" the Danish date: the end of that day in Copenhagen, stored as UTC.
    end = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert topic.pinned_until == end.astimezone(UTC).replace(tzinfo=None)
    assert "Fastgjort: Regionen til" in html


def test_pin_without_date_then_unpin(client, auth, topic, facilitator):
    auth.login(facilitator)
    html = _moderate(client, topic, "pin", **{"pin-scope": "global"})
    assert topic.pin_scope == PinScope.GLOBAL
    assert topic.pinned_until is None
    assert "Fastgjort: Forsiden" in html

    html = _moderate(client, topic, "unpin")
    assert "Emnet er ikke længere fastgjort." in html
    assert topic.pin_scope is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pin-scope": "region", "pin-until": "2020-01-01"}, "Datoen skal ligge i fremtiden."),
        ({"pin-scope": "overalt"}, "Vælg hvor emnet skal fastgøres, og en gyldig dato."),
        ({"pin-scope": "region", "pin-until": "31-12"}, "Vælg hvor emnet skal fastgøres"),
    ],
)
def test_pin_invalid(client, auth, topic, facilitator, data, message):
    auth.login(facilitator)
    html = _moderate(client, topic, "pin", **data)
    assert message in html
    assert topic.pin_scope is None


def test_lock_and_unlock(client, auth, topic, facilitator):
    auth.login(facilitator)
    html = _moderate(client, topic, "lock")
    assert "Emnet er låst." in html
    assert 'badge-locked">Låst</span>' in html
    assert topic.is_locked

    html = _moderate(client, topic, "unlock")
    assert "Emnet er låst op." in html
    assert not topic.is_locked


def test_move(client, auth, topic, facilitator):
    auth.login(facilitator)
    html = _moderate(
        client, topic, "move", **{"move-region": "syddanmark", "move-theme": "adoption"}
    )
    assert "Emnet er flyttet til Region Syddanmark, Adoption og permanens." in html
    assert (topic.region.slug, topic.theme.slug) == ("syddanmark", "adoption")
    assert topic.title in client.get("/region/syddanmark?tema=adoption").get_data(True)

    html = _moderate(client, topic, "move", **{"move-region": "atlantis", "move-theme": "adoption"})
    assert "Vælg en region fra listen." in html
    assert topic.region.slug == "syddanmark"


def test_change_kind(client, auth, session, topic, member, facilitator):
    domain.mark_answer(session, member, topic, factories.post(session, topic, 2))
    auth.login(facilitator)

    html = _moderate(client, topic, "kind", **{"kind-kind": "experience"})

    assert "Emnets type er ændret." in html
    assert topic.kind == TopicKind.EXPERIENCE
    assert topic.answer_post_id is None
    assert "answer-box" not in html

    html = _moderate(client, topic, "kind", **{"kind-kind": "afstemning"})
    assert "Vælg en type fra listen." in html
    assert topic.kind == TopicKind.EXPERIENCE


def test_unknown_moderation_action(client, auth, topic, facilitator):
    auth.login(facilitator)
    assert client.post(f"/t/{topic.id}/moderer/sprængning").status_code == 404


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("pin", {"pin-scope": "global"}),
        ("unpin", {}),
        ("lock", {}),
        ("unlock", {}),
        ("move", {"move-region": "syddanmark", "move-theme": "adoption"}),
        ("kind", {"kind-kind": "discussion"}),
    ],
)
def test_moderation_forbidden_for_members(client, auth, topic, member, action, data):
    auth.login(member)
    assert "Moderér emnet" not in client.get(_url(topic)).get_data(True)
    response = client.post(f"/t/{topic.id}/moderer/{action}", data=data)
    assert response.status_code == 403
    assert (topic.pin_scope, topic.kind, topic.region.slug) == (None, "sparring", "midtjylland")


def test_moderation_panel_for_facilitators(client, auth, topic, facilitator):
    auth.login(facilitator)
    html = client.get(_url(topic)).get_data(True)
    assert "Moderér emnet" in html
    for action in ("pin", "lock", "move", "kind"):
        assert f'action="/t/{topic.id}/moderer/{action}"' in html


# -- live preview ----------------------------------------------------------------------------


def test_preview_is_sanitised(client, auth, member):
    auth.login(member)

    response = client.post(
        "/preview",
        data={"body": "**fed** <script>alert(1)</script> [x](javascript:alert(1))"},
    )

    assert response.status_code == 200
    html = response.get_data(True)
    assert "<strong>fed</strong>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html


def test_preview_requires_login(client):
    response = client.post("/preview", data={"body": "hej"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_new_topic_shows_title_and_body_errors_together(client, auth, member):
    auth.login(member)
    response = client.post(
        "/ny",
        data={
            "kind": "discussion",
            "region": "midtjylland",
            "theme": "familiepleje",
            "title": "Hej",
            "body": "Barnets CPR er 120590-1234",
        },
    )
    html = response.get_data(as_text=True)
    assert "Skriv en titel på mindst 5 tegn." in html
    assert "CPR-nummer" in html
    assert "Barnets CPR er 120590-1234" in html  # the text stays in the form


# -- the CPR guard speaks in the preview too -------------------------------------------------

CPR_TYPED = "Barnet har CPR 120590&#8209;1234, se sagen."


def test_reply_preview_warns_about_a_cpr_number_and_keeps_the_text(client, auth, topic, member):
    auth.login(member)
    body = "Hun har nummer **120590**-1234 i sagen"
    response = client.post(f"/t/{topic.id}/svar", data={"body": body, "preview": "1"})
    assert response.status_code == 200
    html = response.get_data(True)
    assert "ser ud til at indeholde et CPR-nummer (120590-****" in html
    assert "Forhåndsvisning</h3>" in html
    assert _textarea(html) == body
    assert topic.reply_count == 2


def test_new_topic_preview_warns_about_a_cpr_number_in_the_title(client, auth, member):
    auth.login(member)
    response = client.post("/ny", data={**VALID, "title": "Om 1205901234", "preview": "1"})
    assert response.status_code == 200
    assert "CPR-nummer (120590-****" in response.get_data(True)


def test_live_preview_warns_about_a_cpr_number(client, auth, member):
    auth.login(member)
    html = client.post("/preview", data={"body": CPR_TYPED}).get_data(True)
    assert 'role="alert"' in html
    assert "CPR-nummer (120590-****" in html
    assert "1234" not in html.split("</p>", 1)[0]  # the warning masks the serial
    clean = client.post("/preview", data={"body": "Ring på 12 34 56 78"}).get_data(True)
    assert "CPR" not in clean
