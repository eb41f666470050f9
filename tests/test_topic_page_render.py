"""The topic page's per-post parts decided once per page: URL patterns, actions, the footers."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from forum import permissions
from forum import topics as domain
from forum.blueprints.topics import PostActions, post_actions, post_urls
from forum.extensions import db
from forum.models import TopicKind
from forum.urls import _PLACEHOLDER, ID, SLUG, UrlPattern, pattern
from tests import factories

# -- UrlPattern ------------------------------------------------------------------------------


@pytest.mark.parametrize("root", ["", "/forum", "/a/b"])
@pytest.mark.parametrize("value", [1, 42, 2**31 - 1])
def test_url_pattern_is_url_for(app, root, value):  # type: ignore[no-untyped-def]
    where = {"slug": "a-b", "topic_id": 3}
    with app.test_request_context("/", base_url=f"http://localhost{root}/"):
        edit = UrlPattern("topics.edit", post_id=ID)
        assert edit(value) == url_for("topics.edit", post_id=value) == f"{root}/p/{value}/rediger"
        permalink = UrlPattern("topics.permalink", **where, number=ID)
        assert permalink(value) == url_for("topics.permalink", **where, number=value)
        # A query value: the arguments keep their order, and one that is None is left out.
        reply = UrlPattern("topics.show", **where, svar_til=ID, page=2)
        assert reply(value) == url_for("topics.show", **where, svar_til=value, page=2)
        assert reply(value) == f"{root}/t/a-b/3?svar_til={value}&page=2"
        first_page = UrlPattern("topics.show", **where, svar_til=ID, page=None)
        assert first_page(value) == url_for("topics.show", **where, svar_til=value)


def test_url_pattern_falls_back_when_the_placeholder_is_in_the_url(app):  # type: ignore[no-untyped-def]
    slug = f"emne-{_PLACEHOLDER}"
    with app.test_request_context("/"):
        pattern = UrlPattern("topics.permalink", slug=slug, topic_id=3, number=ID)
        assert pattern(4) == f"/t/{slug}/3/4"
        assert pattern(_PLACEHOLDER) == f"/t/{slug}/3/{_PLACEHOLDER}"


def test_url_pattern_needs_a_marker(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"), pytest.raises(TypeError):
        UrlPattern("topics.edit", post_id=1)


@pytest.mark.parametrize("root", ["", "/forum"])
@pytest.mark.parametrize(
    "slug", ["a-b", "emne", "x_y.z~1", "Ali-Ahmadi", "æble", "a b", "a/b", "?", "50%", "", "ø" * 3]
)
def test_url_pattern_with_slugs_is_url_for(app, root, slug):  # type: ignore[no-untyped-def]
    """Strings go in as they are only when url_for would write them the same; anything that
    needs quoting (or is empty) is built by url_for."""
    with app.test_request_context("/", base_url=f"http://localhost{root}/"):
        show = UrlPattern("topics.show", slug=SLUG, topic_id=ID)
        assert show(slug, 7) == url_for("topics.show", slug=slug, topic_id=7)
        # The values come in the order the markers are given, whatever their order in the URL.
        backwards = UrlPattern("topics.permalink", number=ID, topic_id=ID, slug=SLUG)
        assert backwards(3, 7, slug) == url_for("topics.permalink", slug=slug, topic_id=7, number=3)
        profile = UrlPattern("users.profile", username=SLUG)
        assert profile(slug) == url_for("users.profile", username=slug)
        region = UrlPattern("browse.region", slug="syddanmark", tema=SLUG, page=ID)
        assert region(slug, 2) == url_for("browse.region", slug="syddanmark", tema=slug, page=2)


def test_url_pattern_takes_as_many_values_as_markers(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        show = UrlPattern("topics.show", slug=SLUG, topic_id=ID)
        with pytest.raises(TypeError):
            show(7)


def test_a_request_makes_each_pattern_once(app):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        first = pattern("topics.show", slug=SLUG, topic_id=ID)
        assert pattern("topics.show", slug=SLUG, topic_id=ID) is first
        assert pattern("topics.show", slug=SLUG, topic_id=ID, page=ID) is not first
    with app.test_request_context("/", base_url="http://localhost/forum/"):
        # A new request (another application root) makes its own.
        assert pattern("topics.show", slug=SLUG, topic_id=ID)("a", 1) == "/forum/t/a/1"


# -- actions ---------------------------------------------------------------------------------

_FIELDS = {
    "thank": permissions.THANK,
    "bookmark": permissions.BOOKMARK,
    "edit": permissions.EDIT,
    "delete": permissions.DELETE,
    "restore": permissions.RESTORE,
    "history": permissions.VIEW_HISTORY,
    "mark_answer": permissions.MARK_AS_ANSWER,
}


def test_post_actions_are_the_policys_answers(session, member, other_member, facilitator):  # type: ignore[no-untyped-def]
    sparring = factories.topic(
        session, member, kind=TopicKind.SPARRING, replies=3, repliers=[other_member, member]
    )
    domain.delete_post(session, facilitator, factories.post(session, sparring, 4))
    locked = factories.topic(session, member, replies=1, repliers=[other_member])
    domain.set_locked(session, facilitator, locked, True)
    for topic, count in ((sparring, 4), (locked, 2)):
        posts = [factories.post(session, topic, number) for number in range(1, count + 1)]
        for user in (member, other_member, facilitator):
            actions = post_actions(user, topic, posts)
            assert set(actions) == {post.id for post in posts}
            for post in posts:
                for field, action in _FIELDS.items():
                    assert getattr(actions[post.id], field) == permissions.can(user, action, post)
                assert actions[post.id].reply == (
                    permissions.can(user, permissions.REPLY, topic)
                    and permissions.can(user, permissions.QUOTE, post)
                )
    assert set(PostActions.__dataclass_fields__) == {*_FIELDS, "reply"}


def test_post_urls_match_the_views(app, session, member):  # type: ignore[no-untyped-def]
    topic = factories.topic(session, member)
    with app.test_request_context("/", base_url="http://localhost/forum/"):
        urls = post_urls(topic, 3)
        where = {"slug": topic.slug, "topic_id": topic.id}
        assert urls.permalink(2) == url_for("topics.permalink", **where, number=2)
        assert urls.reply(2) == url_for("topics.show", **where, svar_til=2, page=3)
        assert urls.quote(2) == url_for("topics.show", **where, quote=2)
        assert urls.thanks(9) == url_for("reactions.thanks", post_id=9)
        assert urls.bookmark(9) == url_for("reactions.bookmark", post_id=9)
        assert urls.quote_source(9) == url_for("topics.quote_source", post_id=9)
        assert urls.edit(9) == url_for("topics.edit", post_id=9)
        assert urls.delete(9) == url_for("topics.delete", post_id=9)
        assert urls.restore(9) == url_for("topics.restore", post_id=9)
        assert urls.history(9) == url_for("topics.history", post_id=9)
        assert urls.mark_answer == url_for("topics.mark_answer", topic_id=topic.id)
        assert urls.permalink(2).startswith("/forum/t/")
        assert post_urls(topic, 1).reply(2) == url_for("topics.show", **where, svar_til=2)


# -- the page --------------------------------------------------------------------------------


def _footer(html: str, number: int) -> str:
    article = html.split(f'id="p{number}"', 1)[1].split("</article>", 1)[0]
    return article.split('<footer class="post-actions">', 1)[1].split("</footer>", 1)[0]


def _actions(footer: str) -> set[str]:
    """The footer's actions, by what the page uses to find them (forms, classes, links)."""
    found = set()
    checks = {
        "thank": "thanks-form",
        "bookmark": 'name="quick"',
        "reply": 'class="reply-link"',
        "quote": 'class="quote-link"',
        "edit": "/rediger",
        "delete": "/slet",
        "history": "/historik",
        "mark_answer": "mark-answer",
        "clear_answer": 'name="post_id" value=""',
    }
    for name, marker in checks.items():
        if marker in footer:
            found.add(name)
    return found


@pytest.fixture
def sparring(session, member, other_member):  # type: ignore[no-untyped-def]
    """member's sparring topic: other_member's reply 2 (edited), member's own reply 3."""
    topic = factories.topic(
        session, member, kind=TopicKind.SPARRING, replies=2, repliers=[other_member, member]
    )
    domain.edit_post(session, other_member, factories.post(session, topic, 2), body="Rettet")
    return topic


def _page(client, auth, user, topic, root=""):  # type: ignore[no-untyped-def]
    auth.login(user)
    return client.get(f"/t/{topic.slug}/{topic.id}", base_url=f"http://localhost{root}").get_data(
        as_text=True
    )


def test_member_sees_their_own_and_others_actions(client, auth, sparring, member):  # type: ignore[no-untyped-def]
    html = _page(client, auth, member, sparring)
    # The opening post has a reply: its author may no longer delete it; no thanks for oneself.
    assert _actions(_footer(html, 1)) == {"bookmark", "reply", "quote", "edit"}
    # A colleague's reply to the member's question: thank it, mark it as the answer.
    assert _actions(_footer(html, 2)) == {"thank", "bookmark", "reply", "quote", "mark_answer"}
    assert 'class="edited"' in _footer(html, 2) and "/historik" not in _footer(html, 2)
    # The asker's own reply is a follow-up, not an answer.
    assert _actions(_footer(html, 3)) == {"bookmark", "reply", "quote", "edit", "delete"}
    assert 'data-confirm="Slet indlægget? En facilitator kan gendanne det."' in _footer(html, 3)


def test_the_other_member_sees_fewer_actions(client, auth, sparring, other_member):  # type: ignore[no-untyped-def]
    html = _page(client, auth, other_member, sparring)
    assert _actions(_footer(html, 1)) == {"thank", "bookmark", "reply", "quote"}
    assert _actions(_footer(html, 2)) == {"bookmark", "reply", "quote", "edit", "delete", "history"}
    assert _actions(_footer(html, 3)) == {"thank", "bookmark", "reply", "quote"}


def test_facilitator_sees_every_action(client, auth, session, sparring, facilitator, member):  # type: ignore[no-untyped-def]
    reply = factories.post(session, sparring, 2)
    domain.mark_answer(session, member, sparring, reply)
    domain.delete_post(session, facilitator, factories.post(session, sparring, 3))
    html = _page(client, auth, facilitator, sparring)
    everything = {"thank", "bookmark", "reply", "quote", "edit", "delete"}
    assert _actions(_footer(html, 1)) == everything
    assert _actions(_footer(html, 2)) == everything | {"history", "clear_answer"}
    deleted = html.split('id="p3"', 1)[1].split("</article>", 1)[0]
    assert "post-actions" not in deleted
    assert f'action="/p/{factories.post(session, sparring, 3).id}/gendan"' in deleted


def test_footer_links_and_tokens_under_an_application_root(client, auth, sparring, member):  # type: ignore[no-untyped-def]
    reply = factories.post(db.session, sparring, 2)
    html = _page(client, auth, member, sparring, root="/forum")
    footer = _footer(html, 2)
    for path in (
        f"/forum/p/{reply.id}/tak",
        f"/forum/p/{reply.id}/gem",
        f"/forum/t/{sparring.slug}/{sparring.id}?svar_til=2#svar",
        f"/forum/t/{sparring.slug}/{sparring.id}?quote=2#svar",
        f"/forum/p/{reply.id}/citat",
        f"/forum/t/{sparring.id}/svaret",
    ):
        assert path in footer, path
    assert f'href="/forum/t/{sparring.slug}/{sparring.id}/2"' in html.split('id="p2"', 1)[1]
    # Every form in a footer carries the page's one token.
    tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', footer))
    assert len(tokens) == 1 and "" not in tokens
