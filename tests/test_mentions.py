"""@mentions: finding them in Markdown (markup.mentions), linking the ones that exist
(markup.render, forum.topics), and the editor's suggestions (/brugere/forslag)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from forum import markup, places
from forum import topics as domain
from forum.extensions import db
from forum.markup import MAX_MENTIONS, mentions, render
from forum.models import Post, TopicKind
from tests import factories

# --- mentions() ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@mette-kjaer", ["mette-kjaer"]),
        ("@mette-kjaer hvad gør I?", ["mette-kjaer"]),
        ("Hej @soeren-holm-2, og tak.", ["soeren-holm-2"]),
        ("Spørg @anne.", ["anne"]),
        ("Spørg @anne!", ["anne"]),
        ("Spørg @anne: hun ved det", ["anne"]),
        ("(@anne) og (@bo)", ["anne", "bo"]),
        ('"@anne"', ["anne"]),
        ("Tak,@anne", ["anne"]),
        ("**@anne** og _@bo_", ["anne", "bo"]),
        ("# Til @anne", ["anne"]),
        ("- @anne\n- @bo", ["anne", "bo"]),
        ("> @anne skrev", ["anne"]),
        ("linje\n@anne", ["anne"]),
        ("| a |\n|---|\n| @anne |", ["anne"]),
        ("@anne-", ["anne"]),  # a dash after a name is punctuation
        # Case: usernames are lower case, so "@Anne" means anne.
        ("@Anne og @ANNE og @anne", ["anne"]),
        # Order of first appearance, distinct; also across blocks.
        ("@bo @anne @bo", ["bo", "anne"]),
        ("- @cille\n\n@dorte\n\n> @ebbe\n\n@cille", ["cille", "dorte", "ebbe"]),
    ],
)
def test_mentions_found(source: str, expected: list[str]) -> None:
    assert mentions(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "",
        "Ingen nævnt her",
        "@",
        "@ anne",
        "anne@kommune.dk",
        "Skriv til anne.hansen@kommune.dk eller mette-k@kl.dk",
        "<anne@kommune.dk>",
        "@kommune.dk",  # the domain part of an address
        "@@anne",
        "@anne@kommune.dk",
        "kl.@anne",
        "x/@anne",
        # Danish letters around a name: not a username, so not a mention of part of it.
        "æ@anne",
        "@anneæ",
        "@anne-kjær",
        "@østergaard",
        # Code and links show the text as it is.
        "`@anne`",
        "``kode med @anne``",
        "```\n@anne\n```",
        "~~~python\nprint('@anne')\n~~~",
        "    @anne i en indrykket kodeblok",
        "[@anne](https://kl.dk)",
        "[skriv til @anne](https://kl.dk)",
        "[tekst](https://kl.dk/@anne)",
        "https://kl.dk/@anne",
        "<https://kl.dk/@anne>",
        "![@anne](/static/x.png)",
        "@" + "a" * 61,  # longer than any username
    ],
)
def test_no_mention(source: str) -> None:
    assert mentions(source) == []


def test_mentions_limited() -> None:
    source = " ".join(f"@medlem-{i}" for i in range(50))
    assert mentions(source) == [f"medlem-{i}" for i in range(MAX_MENTIONS)]


def test_mentions_agree_with_render() -> None:
    source = "@anne, `@bo`, [@cille](https://kl.dk) og anne@kommune.dk"
    assert mentions(source) == ["anne"]
    assert render(source, ["anne", "bo", "cille"]).count('class="mention"') == 1


@pytest.mark.parametrize(
    "source",
    [
        "@a" * 15_000,
        "@" * 30_000,
        "@a " * 10_000,
        "@" + "a" * 30_000,
        "@" + "a-" * 15_000,
        "@anne\n" * 5_000,
        "a@b.dk " * 4_000,
        " ".join(f"@n{i}" for i in range(5_000)),
        "[" * 400 + "@anne " * 1_000,
        "`@a` " * 6_000,
    ],
)
def test_pathological_input_is_bounded(source: str) -> None:
    # Generous bound (each takes well under 0.3 s): catches quadratic or exponential work.
    started = time.perf_counter()
    found = mentions(source)
    html = render(source, found)
    assert time.perf_counter() - started < 5
    assert len(found) <= MAX_MENTIONS
    # A post that repeats a name thousands of times does not become thousands of links.
    assert html.count('class="mention"') <= 500


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("> @anne skrev noget", []),
        (">@anne", []),
        ("> > @anne i et citat i et citat", []),
        ("> - @anne\n> - @bo", []),
        ("> # @anne", []),
        # A lazy continuation line is part of the quote, as Markdown shows it.
        ("> Citat\n@anne fortsætter", []),
        ("> **Bo skrev:**\n> Spørg @anne\n\nTak, @cille", ["cille"]),
        ("@anne\n\n> @anne og @bo", ["anne"]),
        ("> @bo\n\n@anne og @bo", ["anne", "bo"]),
        ("> > @bo\n>\n> @cille\n\n@dorte", ["dorte"]),
        ("- > @anne\n- @bo", ["bo"]),
        # Not a quote: in code, or with the ">" escaped.
        ("`> @anne`", []),
        ("\\> @anne", ["anne"]),
        ("a > @anne", ["anne"]),
    ],
)
def test_mentions_outside_quotes(source: str, expected: list[str]) -> None:
    assert mentions(source, quoted=False) == expected


def test_quoted_mentions_are_still_linked() -> None:
    source = "> @anne skrev noget\n\n@bo"
    assert mentions(source) == ["anne", "bo"]
    assert mentions(source, quoted=False) == ["bo"]
    html = render(source, mentions(source))
    assert '<blockquote>\n<p><a class="mention" href="/u/anne"' in html
    assert html.count('class="mention"') == 2


def test_mentions_outside_quotes_are_limited_apart_from_quoted_ones() -> None:
    quoted = "\n".join(f"> @citeret-{i}" for i in range(30))
    source = quoted + "\n\n" + " ".join(f"@medlem-{i}" for i in range(30))
    assert mentions(source, quoted=False) == [f"medlem-{i}" for i in range(MAX_MENTIONS)]


@pytest.mark.parametrize(
    "source",
    [
        ">" * 20_000 + " @anne",
        "> " * 15_000 + "@anne",
        "> @anne\n" * 3_750,  # 30,000 characters, the longest post
        ">\n" * 15_000,
        "> a\n" * 7_500,
        "".join("> " * (i % 50) + "@a\n" for i in range(1_000)),
        ("> @anne\n" + "@bo\n\n") * 2_000,
        "\n".join(">" * i + " @anne" for i in range(1, 240)),
    ],
)
def test_pathological_quotes_are_bounded(source: str) -> None:
    started = time.perf_counter()
    outside = mentions(source, quoted=False)
    found = mentions(source)
    html = render(source, found)
    assert time.perf_counter() - started < 5
    assert len(outside) <= len(found) <= MAX_MENTIONS
    assert "anne" not in outside
    assert html.count('class="mention"') <= 500


# --- render(mentioned=...) -------------------------------------------------------------------


def test_render_links_only_the_mentioned() -> None:
    html = render("Hej @mette-kjaer og @ukendt", mentioned=["mette-kjaer"])
    assert html == (
        '<p>Hej <a class="mention" href="/u/mette-kjaer" rel="nofollow noopener noreferrer">'
        "@mette-kjaer</a> og @ukendt</p>"
    )


def test_render_link_keeps_the_spelling_but_links_the_username() -> None:
    html = render("@Mette-Kjaer", mentioned=["mette-kjaer"])
    assert 'href="/u/mette-kjaer"' in html
    assert ">@Mette-Kjaer</a>" in html


@pytest.mark.parametrize(
    "source",
    ["@anne", "Hej @anne og anne@kommune.dk", "`@anne`", "[@anne](https://kl.dk)", "**@anne**"],
)
def test_render_without_mentioned_is_unchanged(source: str) -> None:
    assert 'class="mention"' not in render(source)
    assert 'class="mention"' not in render(source, mentioned=["bo"])


def test_mention_not_linked_in_code_or_links() -> None:
    html = render("`@anne` [@anne](https://kl.dk) https://kl.dk/@anne", mentioned=["anne"])
    assert 'class="mention"' not in html
    assert "<code>@anne</code>" in html


def test_sanitiser_keeps_only_the_mention_class() -> None:
    # The backstop: class on a link survives only as "mention".
    assert 'class="x"' not in markup._sanitise('<a class="x" href="/u/a">a</a>')
    assert 'class="mention"' in markup._sanitise('<a class="mention" href="/u/a">a</a>')
    assert "class" not in markup._sanitise('<a class="mention big" href="/u/a">a</a>')


# --- Posts ----------------------------------------------------------------------------------


def _new_topic(session, author, body):  # type: ignore[no-untyped-def]
    return domain.create_topic(
        session,
        author,
        title="Netværket før en anbringelse",
        body=body,
        kind=TopicKind.SPARRING,
        region=places.region_by_slug(session, "midtjylland"),
        theme=places.theme_by_slug(session, "netvaerksanbringelser"),
    )


def test_topic_links_an_existing_member(session, member, other_member):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, f"Hvad siger @{other_member.username} og @ukendt?")
    post = domain.topic_first_post(session, topic)
    assert f'<a class="mention" href="/u/{other_member.username}"' in post.html
    assert "@ukendt?" in post.html
    assert post.html.count('class="mention"') == 1


def test_reply_links_an_existing_member(session, member, other_member):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, "Spørgsmål")
    post = domain.reply(session, other_member, topic, f"Godt spørgsmål, @{member.username}.")
    assert f'href="/u/{member.username}"' in post.html


def test_deactivated_member_is_not_linked(session, member):  # type: ignore[no-untyped-def]
    gone = factories.user(session, name="Tidligere Leder", active=False)
    topic = _new_topic(session, member, f"Spørg @{gone.username}")
    post = domain.topic_first_post(session, topic)
    assert 'class="mention"' not in post.html
    assert f"@{gone.username}" in post.html


def test_edit_links_mentions(session, member, other_member):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, "Spørgsmål")
    post = domain.topic_first_post(session, topic)
    domain.edit_post(session, member, post, body=f"Spørgsmål til @{other_member.username}")
    assert f'href="/u/{other_member.username}"' in post.html


def test_no_lookup_without_mentions(session, member, count_queries):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, "Spørgsmål")
    db.session.commit()
    post = domain.topic_first_post(session, topic)
    with count_queries() as plain:
        domain.edit_post(session, member, post, body="Ny tekst uden nogen nævnt, anne@kl.dk")
        session.flush()
    with count_queries() as mentioning:
        domain.edit_post(session, member, post, body=f"Ny tekst til @{member.username}")
        session.flush()

    def lookups(counter):  # type: ignore[no-untyped-def]
        return [s for s in counter.statements if "users.username IN" in s]

    assert lookups(plain) == []
    assert len(lookups(mentioning)) == 1


def _make_stale(session, *posts):  # type: ignore[no-untyped-def]
    session.execute(
        update(Post)
        .where(Post.id.in_([p.id for p in posts]))
        .values(html="<p>gammel</p>", html_version=markup.RENDERER_VERSION - 1)
    )
    session.commit()
    session.expire_all()


def test_rerender_stale_links_mentions(session, member, other_member):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, f"Til @{other_member.username}")
    post = domain.topic_first_post(session, topic)
    _make_stale(session, post)
    assert domain.rerender_stale(session) == 1
    assert f'href="/u/{other_member.username}"' in session.get(Post, post.id).html


def test_ensure_html_resolves_mentions_in_one_statement(
    session, member, other_member, count_queries
):  # type: ignore[no-untyped-def]
    topic = _new_topic(session, member, f"Til @{other_member.username}")
    replies = [
        domain.reply(session, other_member, topic, f"Svar {i} til @{member.username} og @ukendt")
        for i in range(5)
    ]
    first = domain.topic_first_post(session, topic)
    _make_stale(session, first, *replies)
    posts = list(
        session.scalars(select(Post).where(Post.topic_id == topic.id).order_by(Post.number))
    )
    with count_queries() as counter:
        domain.ensure_html(posts)
    assert counter.count == 1
    assert all(f'href="/u/{member.username}"' in p.html for p in posts[1:])
    assert f'href="/u/{other_member.username}"' in posts[0].html
    assert not session.dirty  # shown fresh, nothing to write


# --- /brugere/forslag ------------------------------------------------------------------------


def test_suggestions_shape_and_prefix(client, auth, member, other_member, facilitator):  # type: ignore[no-untyped-def]
    auth.login(member)
    response = client.get("/brugere/forslag?q=s")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == [
        {
            "username": other_member.username,
            "display_name": "Søren Holm",
            "affiliation": "Odense",
        }
    ]
    # By username or by display name, any case; the writer is not suggested to themself.
    assert [m["username"] for m in client.get("/brugere/forslag?q=JON").get_json()] == [
        facilitator.username
    ]
    assert client.get("/brugere/forslag?q=Facil").get_json() == []  # not a word inside
    assert client.get("/brugere/forslag?q=mette").get_json() == []
    assert [m["affiliation"] for m in client.get("/brugere/forslag?q=jonas").get_json()] == ["KL"]


def test_suggestions_match_danish_letters(client, auth, member):  # type: ignore[no-untyped-def]
    oe = factories.user(db.session, name="Øse Østergaard")
    auth.login(member)
    for q in ("Øs", "øs", "oese"):
        assert [m["username"] for m in client.get(f"/brugere/forslag?q={q}").get_json()] == [
            oe.username
        ], q


@pytest.mark.parametrize("q", ["%", "_", "%s", "_e", "\\", "", "   "])
def test_suggestions_take_wildcards_literally(client, auth, member, other_member, q):  # type: ignore[no-untyped-def]
    factories.user(db.session, name="Anne Andersen")
    auth.login(member)
    response = client.get("/brugere/forslag", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json() == []


def test_suggestions_leave_out_inactive_members(client, auth, member):  # type: ignore[no-untyped-def]
    factories.user(db.session, name="Bo Borte", active=False)
    active = factories.user(db.session, name="Bo Bliver")
    auth.login(member)
    assert [m["username"] for m in client.get("/brugere/forslag?q=bo").get_json()] == [
        active.username
    ]


def test_suggestions_at_most_eight(client, auth, member):  # type: ignore[no-untyped-def]
    for i in range(10):
        factories.user(db.session, name=f"Karen {i}")
    auth.login(member)
    found = client.get("/brugere/forslag?q=kar").get_json()
    assert [m["username"] for m in found] == [f"karen-{i}" for i in range(8)]


def test_suggestions_need_login(client, member):  # type: ignore[no-untyped-def]
    response = client.get("/brugere/forslag?q=m")
    assert response.status_code in (302, 401)
    assert not response.is_json or response.get_json() != []
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


def test_preview_links_mentions(client, auth, member, other_member):  # type: ignore[no-untyped-def]
    auth.login(member)
    response = client.post("/preview", data={"body": f"Til @{other_member.username} og @ukendt"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<a class="mention" href="/u/{other_member.username}"' in html
    assert "@ukendt" in html
    assert html.count('class="mention"') == 1
