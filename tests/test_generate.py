"""Tests for bench.generator and `flask generate`: consistent, varied, never personal content."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import generator
from bench.generator import GenerateResult, generate
from bench.generator import writer as generate_writer
from forum.cli import content
from forum.markup import RENDERER_VERSION, render
from forum.models import Municipality, PinScope, Post, Region, Role, Theme, Topic, TopicKind, User
from forum.privacy import find_cpr
from forum.slugs import slugify
from forum.timeutil import utcnow
from tests import factories

TOPICS = 40
POSTS_PER_TOPIC = 5


def _run(session: Session, seed: int = 1, **changes: int) -> GenerateResult:
    values = {"topics": TOPICS, "posts_per_topic": POSTS_PER_TOPIC} | changes
    return generate(session, seed=seed, **values)


def _topics(session: Session) -> list[Topic]:
    return list(session.scalars(select(Topic).order_by(Topic.id)))


def _posts_by_topic(session: Session) -> dict[int, list[Post]]:
    posts: dict[int, list[Post]] = {}
    for post in session.scalars(select(Post).order_by(Post.topic_id, Post.number)):
        posts.setdefault(post.topic_id, []).append(post)
    return posts


def test_counts_and_progress(session):
    batches: list[int] = []
    result = generate(
        session, topics=TOPICS, posts_per_topic=POSTS_PER_TOPIC, progress=batches.append
    )

    assert (result.topics, result.posts) == (TOPICS, TOPICS * POSTS_PER_TOPIC)
    assert result.seconds > 0
    assert sum(batches) == TOPICS
    assert session.scalar(select(func.count(Topic.id))) == TOPICS
    assert session.scalar(select(func.count(Post.id))) == TOPICS * POSTS_PER_TOPIC
    assert session.scalar(select(func.count(User.id))) == result.users


def test_members_cover_every_municipality_and_cannot_log_in(session):
    _run(session)
    users = list(session.scalars(select(User)))
    members = [u for u in users if u.role == Role.MEMBER]
    facilitators = [u for u in users if u.role == Role.FACILITATOR]

    assert len(members) >= 50
    assert facilitators, "material topics need facilitators as authors"
    municipalities = session.scalar(select(func.count(Municipality.id)))
    assert len({u.municipality_id for u in members}) == municipalities == 98
    assert all(f.municipality_id is None and f.organisation for f in facilitators)
    for user in users:
        assert user.password_hash is None
        assert user.active
        assert re.fullmatch(r"gen-\d+-[a-z0-9-]+@bench\.invalid", user.email), user.email
        assert re.fullmatch(r"[a-z0-9-]+-g\d+", user.username), user.username
        assert user.display_name and user.job_title
    assert len({u.username for u in users}) == len(users)


def test_topics_cover_every_region_theme_and_kind(session):
    _run(session)
    topics = _topics(session)

    regions = set(session.scalars(select(Region.id)))
    themes = set(session.scalars(select(Theme.id)))
    assert {t.region_id for t in topics} == regions
    assert {t.theme_id for t in topics} == themes
    kinds = Counter(t.kind for t in topics)
    assert set(kinds) == set(TopicKind.ALL)
    assert kinds[TopicKind.SPARRING] > kinds[TopicKind.MATERIAL]
    national = session.scalar(select(Region.id).where(Region.is_national))
    assert 1 <= sum(t.region_id == national for t in topics) <= TOPICS // 4


def test_authors_come_mostly_from_the_topic_region(session):
    _run(session)
    regional = [t for t in _topics(session) if not t.region.is_national]
    home = [t for t in regional if t.author.municipality is not None]
    local = sum(t.author.municipality.region_id == t.region_id for t in home)
    assert local >= 0.6 * len(home)
    for topic in _topics(session):
        if topic.kind == TopicKind.MATERIAL:
            assert topic.author.is_moderator  # only facilitators may post material


def test_posts_are_numbered_in_time_order_and_topics_agree(session):
    _run(session)
    posts = _posts_by_topic(session)
    now = utcnow()

    for topic in _topics(session):
        thread = posts[topic.id]
        assert [p.number for p in thread] == list(range(1, POSTS_PER_TOPIC + 1))
        times = [p.created_at for p in thread]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert datetime(2023, 1, 1) <= topic.created_at == times[0]
        assert topic.last_posted_at == times[-1] <= now
        assert topic.reply_count == POSTS_PER_TOPIC - 1
        assert topic.post_number_max == POSTS_PER_TOPIC
        assert thread[0].author_id == topic.author_id
        assert topic.slug == slugify(topic.title)
        assert 5 <= len(topic.title) <= 150
        if topic.pin_scope is not None:
            assert topic.pin_scope == PinScope.REGION
        if topic.locked_at is not None:
            assert topic.created_at <= topic.locked_at <= now


def test_answers_are_replies_by_others_in_the_same_sparring_topic(session):
    _run(session)
    answered = [t for t in _topics(session) if t.answer_post_id is not None]

    assert answered
    for topic in answered:
        assert topic.kind == TopicKind.SPARRING
        answer = session.get(Post, topic.answer_post_id)
        assert answer.topic_id == topic.id
        assert answer.number > 1
        assert answer.author_id != topic.author_id


def test_no_text_looks_like_a_cpr_number(session):
    _run(session, topics=100, posts_per_topic=6)
    for post in session.scalars(select(Post)):
        assert find_cpr(post.body) == []
        assert not re.search(r"\d{6}[- ]?\d{4}", post.body)
    for topic in _topics(session):
        assert find_cpr(topic.title) == []


def test_html_is_the_rendered_body(session):
    _run(session)
    for post in session.scalars(select(Post)):
        assert post.html == str(render(post.body))
        assert post.html_version == RENDERER_VERSION


def test_html_is_still_right_when_blocks_cannot_be_composed(session, monkeypatch):
    # If forum.markup ever renders blocks in context, generation must fall back to whole bodies.
    monkeypatch.setattr(generate_writer, "blocks_render_independently", lambda: False)
    _run(session, topics=10)
    for post in session.scalars(select(Post)):
        assert post.html == str(render(post.body))


def test_text_is_varied_danish_with_markdown(session):
    _run(session, topics=100, posts_per_topic=6)
    topics = _topics(session)
    posts = list(session.scalars(select(Post)))
    bodies = [p.body for p in posts]
    text = "\n".join(bodies)

    assert len(set(bodies)) >= 0.8 * len(bodies)
    assert len({t.title for t in topics}) >= 0.8 * len(topics)
    for word in ("anbringelse", "anbringelsen", "anbringelser", "anbringelserne"):
        assert re.search(rf"\b{word}\b", text), word
    for word in ("plejefamilie", "efterværn", "Barnets Lov", "børnesamtale", "PPR"):
        assert word in text, word
    assert "\n- " in text and "**" in text
    sentences = [len(re.findall(r"[.?!:](?:\s|$)", p.body)) for p in posts]
    assert sum(2 <= n <= 8 for n in sentences) >= 0.9 * len(sentences)


def test_experience_openings_use_the_template_headings(session):
    _run(session)
    first_posts = {p.topic_id: p for p in session.scalars(select(Post).where(Post.number == 1))}
    experiences = [t for t in _topics(session) if t.kind == TopicKind.EXPERIENCE]

    assert experiences
    for topic in experiences:
        headings = re.findall(r"^## (.+)$", first_posts[topic.id].body, re.MULTILINE)
        assert headings == ["Udfordring", "Hvad gjorde vi", "Resultat", "Det vil vi anbefale"]


def test_same_seed_same_titles_and_a_second_run_adds_more(session):
    first = _run(session, seed=7)
    titles = [t.title for t in _topics(session)]
    second = _run(session, seed=7)
    topics = _topics(session)

    assert [t.title for t in topics[TOPICS:]] == titles
    assert session.scalar(select(func.count(Topic.id))) == 2 * TOPICS
    assert session.scalar(select(func.count(Post.id))) == 2 * first.posts
    assert session.scalar(select(func.count(User.id))) == first.users + second.users
    emails = list(session.scalars(select(User.email)))
    assert len(set(emails)) == len(emails)
    # The new topics' posts belong to new members, not to the first run's.
    first_run_users = set(session.scalars(select(User.id).order_by(User.id).limit(first.users)))
    assert all(t.author_id not in first_run_users for t in topics[TOPICS:])


def test_another_seed_gives_other_titles(session):
    _run(session, seed=1)
    _run(session, seed=2)
    titles = [t.title for t in _topics(session)]
    assert titles[:TOPICS] != titles[TOPICS:]


def test_ordinary_writes_work_after_generating(session):
    # Generated rows carry ids assigned by the generator; on PostgreSQL the sequences must
    # have moved past them, or the next ordinary insert would collide.
    _run(session, topics=5)
    existing = factories.user(session, name="Mette Nielsen", municipality="Norddjurs")
    topic = factories.topic(session, existing, replies=1)
    assert topic.id > 5
    assert session.scalar(select(func.max(Post.id))) > 5 * POSTS_PER_TOPIC


def test_members_who_exist_already_are_left_alone(session):
    existing = factories.user(session, name="Mette Nielsen", municipality="Norddjurs")
    _run(session, topics=5)
    assert session.get(User, existing.id).email == existing.email
    generated = select(func.min(User.id)).where(User.email.like("%@bench.invalid"))
    assert session.scalar(generated) > existing.id


def test_nothing_to_do_and_bad_arguments(session):
    assert _run(session, topics=0).topics == 0
    assert session.scalar(select(func.count(User.id))) == 0
    with pytest.raises(ValueError):
        _run(session, posts_per_topic=0)
    with pytest.raises(ValueError):
        _run(session, topics=-1)


def test_the_generator_is_benchmark_tooling_outside_the_package():
    # The wheel ships the package only; the generator must not be part of it.
    assert importlib.util.find_spec("forum.generate") is None
    assert (
        Path(generator.__file__).resolve().parent
        == content.source_checkout() / "bench" / "generator"
    )


def test_flask_generate_runs_from_the_source_checkout(runner, session):
    result = runner.invoke(args=["generate", "--topics", "3", "--posts-per-topic", "2"])
    assert result.exit_code == 0, result.output
    assert "Generated 3 topics, 6 posts" in result.output
    assert session.scalar(select(func.count(Post.id))) == 6


def test_flask_generate_without_a_source_checkout_says_so_in_one_line(
    runner, session, tmp_path, monkeypatch
):
    # An installed wheel: the directory above the package holds no bench/generator.
    monkeypatch.setattr(content, "source_checkout", lambda: tmp_path)
    result = runner.invoke(args=["generate", "--topics", "3"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: flask generate needs a source checkout of the forum (bench/generator is not "
        "part of the installed package)."
    ]
    assert session.scalar(select(func.count(Post.id))) == 0
