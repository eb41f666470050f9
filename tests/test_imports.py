"""forum.imports: JSON Lines of earlier discussions, one topic a line; bad lines are skipped."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from forum.imports import import_lines
from forum.models import PinScope, Post, Topic, TopicKind, User
from tests import factories

KNOWN = "kendt@norddjurs.dk"
VANISHING = "forsvinder@kommune.example"


@pytest.fixture
def known(session) -> User:  # type: ignore[no-untyped-def]
    return factories.user(session, name="Kendt Leder", email=KNOWN, municipality="Norddjurs")


def post(author: str = KNOWN, body: str = "Vi samler netværket før første møde.", **extra: Any):
    return {"author": author, "body": body, **extra}


def record(title: str = "Netværksanbringelser i praksis", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": title,
        "kind": "sparring",
        "region": "midtjylland",
        "theme": "netvaerksanbringelser",
        "posts": [post()],
    }
    data.update(changes)
    return data


def line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


def titles(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Topic.title).order_by(Topic.id)))


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


# -- good lines ------------------------------------------------------------------------------


def test_import_topic_with_posts_in_order(session, known):
    data = record(
        title="Hvordan mobiliserer I barnets netværk?",
        created_at="2025-06-03T10:15:00+02:00",
        posts=[
            post(
                KNOWN, "Hvordan gør I, før en anbringelse?", created_at="2025-06-03T10:15:00+02:00"
            ),
            post(
                "Lise.Lund@Odense.dk",
                "Vi holder et netværksmøde inden for to uger.",
                author_name="Lise Lund",
                author_title="Afdelingsleder",
                municipality="Odense Kommune",
                created_at="2025-06-04T08:00:00+02:00",
            ),
            post(
                "jonas@kl.dk",
                "KL har en drejebog til netværksmøder.",
                author_name="Jonas KL",
                organisation="KL",
                created_at="2025-12-01T09:30:00+01:00",
            ),
            post(KNOWN, "Tak, det prøver vi.", created_at="2025-12-02T07:00:00Z"),
        ],
    )
    report = import_lines(session, [line(data)])
    assert report.errors == []
    assert (report.topics, report.posts, report.users_created) == (1, 4, 2)

    topic = session.scalar(select(Topic))
    assert topic.title == "Hvordan mobiliserer I barnets netværk?"
    assert topic.kind == TopicKind.SPARRING
    assert topic.region.slug == "midtjylland"
    assert topic.theme.slug == "netvaerksanbringelser"
    assert topic.author == known
    assert topic.created_at == datetime(2025, 6, 3, 8, 15)  # +02:00 to naive UTC
    assert topic.created_at.tzinfo is None
    assert topic.last_posted_at == datetime(2025, 12, 2, 7, 0)
    assert topic.reply_count == 3
    assert topic.post_number_max == 4
    assert topic.answer_post_id is None
    assert topic.pin_scope is None

    posts = session.scalars(select(Post).where(Post.topic_id == topic.id).order_by(Post.number))
    rows = [(p.number, p.author.email, p.created_at, p.body) for p in posts]
    assert rows == [
        (1, KNOWN, datetime(2025, 6, 3, 8, 15), "Hvordan gør I, før en anbringelse?"),
        (
            2,
            "lise.lund@odense.dk",
            datetime(2025, 6, 4, 6, 0),
            "Vi holder et netværksmøde inden for to uger.",
        ),
        (3, "jonas@kl.dk", datetime(2025, 12, 1, 8, 30), "KL har en drejebog til netværksmøder."),
        (4, KNOWN, datetime(2025, 12, 2, 7, 0), "Tak, det prøver vi."),
    ]
    assert all("<p>" in p.html for p in session.scalars(select(Post)))


def test_unknown_authors_are_created_inactive_in_their_municipality(session, known):
    data = record(
        posts=[
            post(
                "lise@odense.dk",
                author_name="Lise Lund",
                author_title="Teamleder",
                municipality="odense",
            ),
            post("kl@kl.dk", author_name="Jonas KL", organisation="KL"),
            post("uden.navn@aarhus.dk", municipality="Aarhus Kommune"),
        ]
    )
    report = import_lines(session, [line(data)])
    assert report.errors == []
    lise = session.scalar(select(User).where(User.email == "lise@odense.dk"))
    assert lise.display_name == "Lise Lund"
    assert lise.job_title == "Teamleder"
    assert lise.municipality.name == "Odense"
    assert lise.municipality.region.slug == "syddanmark"
    assert not lise.active
    assert lise.password_hash is None
    kl = session.scalar(select(User).where(User.email == "kl@kl.dk"))
    assert kl.municipality is None
    assert kl.organisation == "KL"
    nameless = session.scalar(select(User).where(User.email == "uden.navn@aarhus.dk"))
    assert nameless.display_name == "uden.navn"
    assert nameless.municipality.name == "Aarhus"


def test_known_author_is_reused(session, known):
    data = record(posts=[post(KNOWN.upper(), municipality="Odense"), post(KNOWN)])
    report = import_lines(session, [line(data), line(record(title="Et andet emne om netværk"))])
    assert report.errors == []
    assert report.users_created == 0
    assert count(session, User) == 1
    assert {p.author_id for p in session.scalars(select(Post))} == {known.id}
    assert known.municipality.name == "Norddjurs"  # not moved by the import


def test_new_author_is_created_once_across_lines(session, known):
    author = {"author": "ny@odense.dk", "author_name": "Ny Leder", "municipality": "Odense"}
    lines = [
        line(record(title="Første emne om netværk", posts=[{**author, "body": "Første."}])),
        line(record(title="Andet emne om netværk", posts=[{**author, "body": "Andet."}])),
    ]
    report = import_lines(session, lines)
    assert report.errors == []
    assert report.users_created == 1
    assert len(session.scalars(select(User).where(User.email == "ny@odense.dk")).all()) == 1


def test_same_name_gets_unique_username(session, known):
    lines = [
        line(
            record(
                title="Første emne om netværk",
                posts=[post("a@odense.dk", author_name="Lise Lund", municipality="Odense")],
            )
        ),
        line(
            record(
                title="Andet emne om netværk",
                posts=[post("b@odense.dk", author_name="Lise Lund", municipality="Odense")],
            )
        ),
    ]
    import_lines(session, lines)
    names = sorted(session.scalars(select(User.username).where(User.email.like("%@odense.dk"))))
    assert names == ["lise-lund", "lise-lund-2"]


def test_defaults_kind_and_times(session, known):
    data = record()
    del data["kind"]
    report = import_lines(session, [line(data)])
    assert report.errors == []
    topic = session.scalar(select(Topic))
    assert topic.kind == TopicKind.DISCUSSION
    assert topic.created_at is not None
    assert session.scalar(select(Post.created_at)) == topic.created_at


def test_naive_times_are_taken_as_utc(session, known):
    report = import_lines(session, [line(record(created_at="2025-01-10T12:00:00"))])
    assert report.errors == []
    assert session.scalar(select(Topic.created_at)) == datetime(2025, 1, 10, 12, 0)


def test_answer_and_pinned(session, known):
    data = record(
        kind="sparring",
        answer=3,
        pinned="region",
        posts=[post(body="Spørgsmålet."), post(body="Et svar."), post(body="Det bedste svar.")],
    )
    report = import_lines(session, [line(data)])
    assert report.errors == []
    topic = session.scalar(select(Topic))
    assert topic.answer_post.number == 3
    assert topic.answer_post.body == "Det bedste svar."
    assert topic.pin_scope == PinScope.REGION
    assert topic.is_pinned()


@pytest.mark.parametrize("scope", PinScope.ALL)
def test_pinned_scopes(session, known, scope):
    import_lines(session, [line(record(kind="material", pinned=scope))])
    assert session.scalar(select(Topic.pin_scope)) == scope


def test_blank_lines_are_ignored_and_counted(session, known):
    lines = [
        "\n",
        line(record(title="Første emne om netværk")),
        "   \n",
        "",
        line(record(title="Andet emne om netværk", region="atlantis")),
    ]
    report = import_lines(session, lines)
    assert report.topics == 1
    assert [number for number, _ in report.errors] == [5]


# -- bad lines -------------------------------------------------------------------------------


def vanishing_post(**extra: Any) -> dict[str, Any]:
    """A first post by a new author: created before the line fails, so it must be undone."""
    return post(VANISHING, author_name="Forsvinder", municipality="Aarhus", **extra)


BAD_LINES = [
    pytest.param('{"title": "Halvt emne", "posts": [', "ugyldig JSON", id="broken-json"),
    pytest.param("[1, 2, 3]", "ikke et JSON-objekt", id="not-an-object"),
    pytest.param('"bare en tekst"', "ikke et JSON-objekt", id="string"),
    pytest.param(line(record(region="atlantis")), "ukendt region 'atlantis'", id="unknown-region"),
    pytest.param(line(record(theme="rumfart")), "tema 'rumfart'", id="unknown-theme"),
    pytest.param(line(record(kind="debat")), "ukendt type 'debat'", id="unknown-kind"),
    pytest.param(line(record(posts="Et indlæg")), "'posts' mangler", id="posts-not-a-list"),
    pytest.param(line(record(posts=[])), "'posts' mangler", id="posts-empty"),
    pytest.param(line(record(posts=None)), "'posts' mangler", id="posts-missing"),
    pytest.param(line(record(title="")), "'title' mangler", id="empty-title"),
    pytest.param(line(record(title="Kort")), "titel på mindst 5 tegn", id="short-title"),
    pytest.param(
        line(record(posts=[vanishing_post(), "tekst"])),
        "indlæg 2: er ikke et JSON",
        id="post-not-an-object",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(), post(body="   ")])),
        "indlæg 2: 'body' mangler eller er tom",
        id="empty-body",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(), post(author="")])),
        "indlæg 2: 'author' mangler",
        id="no-author",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(), post(body="Barnet har CPR 120590-1234.")])),
        "indlæg 2: Teksten ser ud til at indeholde et CPR-nummer",
        id="cpr-in-body",
    ),
    pytest.param(
        line(record(title="Sagen om 120590-1234", posts=[vanishing_post()])),
        "CPR-nummer",
        id="cpr-in-title",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(), post("ny@x.dk", municipality="Atlantis")])),
        "indlæg 2: ukendt kommune 'Atlantis'",
        id="unknown-municipality",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(), post("ny@x.dk")])),
        "'municipality' (eller 'organisation') mangler",
        id="no-municipality",
    ),
    pytest.param(
        line(record(posts=[vanishing_post(created_at="i går")])), "ISO 8601", id="bad-time"
    ),
    pytest.param(
        line(record(kind="discussion", answer=2, posts=[vanishing_post(), post()])),
        "'answer' gælder kun sparring",
        id="answer-not-sparring",
    ),
    pytest.param(
        line(record(answer=1, posts=[vanishing_post(), post()])),
        "'answer' skal være nummeret på et svar (2-2)",
        id="answer-is-question",
    ),
    pytest.param(
        line(record(answer=3, posts=[vanishing_post(), post()])),
        "'answer' skal være",
        id="answer-too-high",
    ),
    pytest.param(
        line(record(answer="2", posts=[vanishing_post(), post()])),
        "'answer' skal være",
        id="answer-not-int",
    ),
    pytest.param(
        line(record(pinned="top", posts=[vanishing_post()])),
        "'pinned' skal være en af",
        id="bad-pin",
    ),
]


@pytest.mark.parametrize(("bad", "message"), BAD_LINES)
def test_bad_line_is_reported_and_skipped(session, known, bad, message):
    lines = [
        line(record(title="Emnet før den dårlige linje", posts=[post(), post()])),
        bad if bad.endswith("\n") else bad + "\n",
        line(record(title="Emnet efter den dårlige linje")),
    ]
    report = import_lines(session, lines)
    assert len(report.errors) == 1
    number, text = report.errors[0]
    assert number == 2
    assert message in text
    assert (report.topics, report.posts, report.users_created) == (2, 3, 0)
    # Nothing of the bad line remains: no topic, no post, no new member.
    assert titles(session) == ["Emnet før den dårlige linje", "Emnet efter den dårlige linje"]
    assert count(session, Post) == 3
    assert count(session, User) == 1
    assert session.scalar(select(User).where(User.email == VANISHING)) is None


def test_several_bad_lines_are_all_reported(session, known):
    lines = [
        "{oops\n",
        line(record(title="Et godt emne om netværk")),
        line(record(region="atlantis")),
        line(record(posts=[post(body="CPR 120590-1234")])),
    ]
    report = import_lines(session, lines)
    assert [number for number, _ in report.errors] == [1, 3, 4]
    assert titles(session) == ["Et godt emne om netværk"]


def test_bad_line_does_not_undo_earlier_lines_authors(session, known):
    author = {"author": "ny@odense.dk", "author_name": "Ny Leder", "municipality": "Odense"}
    lines = [
        line(record(title="Første emne om netværk", posts=[{**author, "body": "Godt."}])),
        line(record(title="Andet emne om netværk", posts=[{**author, "body": "120590-1234"}])),
    ]
    report = import_lines(session, lines)
    assert report.users_created == 1
    assert session.scalar(select(User).where(User.email == "ny@odense.dk")) is not None
    assert titles(session) == ["Første emne om netværk"]


@pytest.mark.parametrize("key", ["author_name", "author_title"])
def test_author_name_or_title_with_a_cpr_number_skips_the_line(session, known, key):
    data = record(posts=[post("ny@odense.dk", municipality="Odense", **{key: "Lis 120590-1234"})])
    report = import_lines(session, [line(data)])
    [(_, message)] = report.errors
    assert message.endswith(f"'{key}' ser ud til at indeholde et CPR-nummer")
    assert session.scalar(select(User.id).where(User.email == "ny@odense.dk")) is None
