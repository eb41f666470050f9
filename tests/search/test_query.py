"""Asking: the query language, grouping, facets, snippets, suggestions, permissions, pages."""

from __future__ import annotations

import json

import pytest

from forum.extensions import db
from forum.search.query import Places, parse, refine
from forum.topics import delete_post, reply
from tests import factories


@pytest.fixture
def forum(searcher, member, other_member, facilitator):
    """A few topics about placements in two regions."""
    s = db.session
    net = factories.topic(
        s,
        member,
        title="Netværksanbringelser i Norddjurs",
        body="Vi har fordoblet antallet af netværksanbringelser på to år.",
        kind="experience",
        region="midtjylland",
    )
    reply(s, other_member, net, "Hvordan har I klædt netværksplejefamilierne på?")
    reply(s, member, net, "Med et kursus og en fast konsulent for netværksanbringelser.")
    sparring = factories.topic(
        s,
        other_member,
        title="Anbringelse af søskende",
        body="Hvordan sikrer I, at søskende kan blive sammen ved en anbringelse?",
        kind="sparring",
        region="syddanmark",
        theme="anbringelser",
    )
    reply(s, member, sparring, "Vi har gode erfaringer med kommunale plejefamilier til søskende.")
    factories.topic(
        s,
        facilitator,
        title="Materiale fra mødet om skolefravær",
        body="Slides om skolefravær og tidlig indsats.",
        kind="material",
        region="landsdaekkende",
        theme="tidlig-indsats",
    )
    searcher.sync()
    return {"net": net, "sparring": sparring}


def test_results_are_grouped_by_topic_with_other_matches(searcher, forum):
    results = searcher("netværksanbringelser")
    assert results.total == 1
    assert results.posts == 2
    (hit,) = results.hits
    assert hit.topic.title == "Netværksanbringelser i Norddjurs"
    assert hit.other_matches == 1
    assert "<mark>" in hit.snippet


def test_a_compound_part_finds_the_compound_but_ranks_below_the_word(searcher, forum):
    titles = searcher.titles("anbringelse")
    # "Anbringelse af søskende" says the word itself; the other only in compounds.
    assert titles == ["Anbringelse af søskende", "Netværksanbringelser i Norddjurs"]


def test_snippets_mark_inflections_and_compounds(searcher, forum):
    (hit,) = searcher("netværksplejefamilie").hits
    assert "<mark>netværksplejefamilierne</mark>" in hit.snippet


def test_snippets_escape_what_members_wrote(searcher, member):
    factories.topic(
        db.session, member, title="Om <b>fed</b>", body="Brug <script>x</script> plejefamilie"
    )
    searcher.sync()
    (hit,) = searcher("plejefamilie").hits
    assert "<script>" not in hit.snippet and "<b>" not in hit.title


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ('"kommunale plejefamilier"', ["Anbringelse af søskende"]),
        ('"plejefamilier kommunale"', []),
        ("region:syddanmark anbringelse", ["Anbringelse af søskende"]),
        ("region:Syddanmark", ["Anbringelse af søskende"]),
        ("tema:tidlig-indsats", ["Materiale fra mødet om skolefravær"]),
        ("kommune:norddjurs kursus", ["Netværksanbringelser i Norddjurs"]),
        ("type:erfaring", ["Netværksanbringelser i Norddjurs"]),
        ("type:materiale skolefravaer", ["Materiale fra mødet om skolefravær"]),
        ("@soeren-holm", ["Netværksanbringelser i Norddjurs", "Anbringelse af søskende"]),
        ("anbringelse -søskende", ["Netværksanbringelser i Norddjurs"]),
        ("løst:nej", ["Anbringelse af søskende"]),
        ("loest:ja", []),
        ("soeskende", ["Anbringelse af søskende"]),
        ("anbring*", ["Anbringelse af søskende", "Netværksanbringelser i Norddjurs"]),
    ],
)
def test_query_language(searcher, forum, query, titles):
    assert sorted(searcher.titles(query)) == sorted(titles)


def test_dates_filter_by_the_day(searcher, member):
    from datetime import datetime

    factories.topic(
        db.session,
        member,
        title="Gammelt emne",
        body="Efterværn",
        created_at=datetime(2024, 3, 1, 12),
    )
    factories.topic(
        db.session, member, title="Nyt emne", body="Efterværn", created_at=datetime(2025, 7, 1, 12)
    )
    searcher.sync()
    assert searcher.titles("efterværn efter:2025-01-01") == ["Nyt emne"]
    assert searcher.titles("efterværn før:2024-03-01") == ["Gammelt emne"]
    assert searcher.titles("efterværn år:2024") == ["Gammelt emne"]
    assert searcher.titles("efterværn efter:2024-03-02 før:2025-06-30") == []


def test_facets_count_topics(searcher, forum):
    results = searcher("anbringelse")
    facets = {facet.name: {v.value: v.count for v in facet.values} for facet in results.facets}
    assert facets["region"] == {"midtjylland": 1, "syddanmark": 1}
    assert facets["kind"] == {"experience": 1, "sparring": 1}
    assert facets["answered"] == {"nej": 1}
    assert sum(facets["municipality"].values()) >= 2


def test_refine_adds_and_removes_a_filter(app):
    places = Places.load(db.session)
    assert (
        refine("plejefamilie", "region", "midtjylland", places) == "plejefamilie region:midtjylland"
    )
    assert (
        refine("plejefamilie region:Midtjylland", "region", "midtjylland", places) == "plejefamilie"
    )
    assert refine("x", "year", "2025", places) == "x år:2025"


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unclosed phrase',
        "region:",
        "før:igår",
        "efter:2025-13-45",
        "***",
        "-",
        "@",
        ":::",
        "region:xyz tema:abc kommune:nowhere type:?",
        "løst:måske",
        "a" * 600,
        "AND OR NOT",
        "(((",
        "*pleje*",
        "og på til",
        "år:20x5",
        "\\",
        "%00",
        "-og",
    ],
)
def test_odd_queries_answer_sensibly(searcher, forum, client, auth, member, query):
    auth.login(member)
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    data = client.get("/search.json", query_string={"q": query}).get_json()
    assert isinstance(data["total"], int)


def test_unknown_filters_are_explained(app):
    parsed = parse("region:xyz type:foo efter:igår løst:måske", Places.load(db.session))
    assert len(parsed.notices) == 4
    assert parse("og på til", Places.load(db.session)).is_empty


def test_stop_words_only_says_so(searcher, forum, client, auth, member):
    auth.login(member)
    page = client.get("/search", query_string={"q": "og på til"})
    assert "småord" in page.get_data(as_text=True)


def test_when_no_post_has_all_words_some_words_are_enough(searcher, forum):
    results = searcher("skolefravær netværksanbringelser")
    assert results.some_words
    assert results.total == 2


def test_did_you_mean(searcher, forum):
    results = searcher("netværksanbrinelser")
    assert results.total == 0
    assert results.suggestion == "netværksanbringelser"


def test_deleted_content_is_never_found_counted_or_suggested(searcher, forum, member, facilitator):
    net = forum["net"]
    delete_post(db.session, member, factories.post(db.session, net, 3))  # "kursus ... konsulent"
    db.session.commit()
    # Even before the indexer has run, the change is masked.
    assert searcher("kursus").total == 0
    searcher.sync()
    assert searcher("kursus").total == 0
    assert searcher("kursu").suggestion is None
    delete_post(db.session, facilitator, factories.post(db.session, net, 1))  # the whole topic
    db.session.commit()
    results = searcher("netværksanbringelser")
    assert results.total == 0 and results.posts == 0
    assert all(v.count == 0 for f in results.facets for v in f.values)
    searcher.sync()
    assert searcher("netværksplejefamilierne").total == 0
    assert searcher("netværksanbringelser").facets == []


def test_moderators_do_not_find_deleted_posts_either(searcher, forum, member, facilitator):
    delete_post(db.session, member, factories.post(db.session, forum["net"], 3))
    searcher.sync()
    assert searcher("kursus", facilitator).total == 0


def test_search_needs_a_login(searcher, forum, client):
    assert client.get("/search?q=anbringelse").status_code == 302
    answer = client.get("/search.json?q=anbringelse")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_pages_and_newest_first(searcher, member):
    from datetime import datetime

    for n in range(25):
        factories.topic(
            db.session,
            member,
            title=f"Plejefamilie {n:02d}",
            body="Plejefamilie",
            created_at=datetime(2025, 1, n + 1),
        )
    searcher.sync()
    first = searcher("plejefamilie", sort="newest")
    assert first.total == 25 and first.pages == 3
    assert first.hits[0].topic.title == "Plejefamilie 24"
    third = searcher("plejefamilie", sort="newest", page=3)
    assert [h.topic.title for h in third.hits] == [
        f"Plejefamilie {n:02d}" for n in range(4, -1, -1)
    ]
    relevance = {h.topic.id for p in (1, 2, 3) for h in searcher("plejefamilie", page=p).hits}
    assert len(relevance) == 25


def test_search_page_and_json(searcher, forum, client, auth, member):
    auth.login(member)
    page = client.get("/search", query_string={"q": "anbringelse region:syddanmark"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "af søskende" in html and "i Norddjurs" not in html
    assert "<mark>" in html
    data = client.get("/search.json", query_string={"q": "anbringelse"}).get_json()
    assert data["total"] == 2
    first = data["results"][0]
    assert {"topic_id", "post_id", "title_text", "title_html", "snippet_html", "url"} <= set(first)
    assert "title" not in first and "snippet" not in first  # no field of unstated kind
    assert data["facets"]["region"]


def test_json_says_which_fields_are_html(searcher, member, client, auth):
    factories.topic(
        db.session, member, title="Anbringelse <b>&</b> samvær", body="Om anbringelse & <i>ro</i>."
    )
    searcher.sync()
    auth.login(member)
    hit = client.get("/search.json", query_string={"q": "anbringelse"}).get_json()["results"][0]
    assert hit["title_text"] == "Anbringelse <b>&</b> samvær"
    assert hit["title_html"] == "<mark>Anbringelse</mark> &lt;b&gt;&amp;&lt;/b&gt; samvær"
    assert "&amp;" in hit["snippet_html"] and "<i>" not in hit["snippet_html"]
    assert "<mark>anbringelse</mark>" in hit["snippet_html"]


def test_cli_query_json(searcher, forum, runner):
    result = runner.invoke(args=["search", "query", "anbringelse", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 2
    assert len(data["results"]) == 1
    assert set(data["results"][0]) == {
        "topic_id",
        "post_id",
        "file_id",  # a file's hit: which file, and its page
        "page",
        "title_text",
        "title_html",
        "snippet_html",
        "score",
    }


def test_cli_query_without_an_index_exits_with_one_line(app, runner):
    result = runner.invoke(args=["search", "query", "x"])
    assert result.exit_code == 1
    assert "search rebuild" in result.output


def test_related_topics_on_the_topic_page(searcher, forum, client, auth, member):
    s = db.session
    other = factories.topic(
        s,
        member,
        title="Kursus for netværksplejefamilier",
        body="Netværksanbringelser kræver et kursus for netværksplejefamilierne.",
    )
    searcher.sync()
    auth.login(member)
    page = client.get(f"/t/{other.slug}/{other.id}").get_data(as_text=True)
    assert "Netværksanbringelser i Norddjurs" in page
