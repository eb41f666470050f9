"""Marking one region's or theme's topics read (forum.reading.mark_read_in): the rest stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import places, reading
from forum import topics as domain
from forum.lists import reading_page
from forum.models import Topic, TopicMember
from forum.timeutil import utcnow
from tests import factories


def _listed(session, user, which: str) -> set[int]:  # type: ignore[no-untyped-def]
    """The ids of the topics /unread or /new lists for ``user``."""
    session.expire_all()
    page = reading_page(session, user, which=which, page=1, per_page=100)
    return {topic.id for topic in page.items}


@pytest.fixture
def network(session, member, other_member):  # type: ignore[no-untyped-def]
    """Per (region, theme): a followed topic with an unread reply, and a new topic."""
    member.first_login_at = utcnow() - timedelta(days=1)
    made = {}
    for region in ("midtjylland", "syddanmark"):
        for theme in ("netvaerksanbringelser", "familiepleje"):
            followed = factories.topic(session, other_member, region=region, theme=theme)
            domain.reply(session, member, followed, "Medlemmet svarer, og følger så emnet")
            domain.reply(session, other_member, followed, "Et svar, medlemmet ikke har læst")
            new = factories.topic(session, other_member, region=region, theme=theme)
            made[(region, theme)] = (followed.id, new.id)
    session.flush()
    return made


def _place(session, region=None, theme=None) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    return {
        "region_id": places.region_by_slug(session, region).id if region else None,
        "theme_id": places.theme_by_slug(session, theme).id if theme else None,
    }


@pytest.mark.parametrize(
    ("region", "theme"),
    [
        ("midtjylland", None),
        (None, "familiepleje"),
        ("syddanmark", "familiepleje"),
    ],
)
def test_only_the_places_topics_are_marked_read(session, member, network, region, theme):
    assert _listed(session, member, "unread") == {f for f, _ in network.values()}
    assert _listed(session, member, "new") == {n for _, n in network.values()}

    reading.mark_read_in(session, member, **_place(session, region, theme))

    def inside(key: tuple[str, str]) -> bool:
        return region in (None, key[0]) and theme in (None, key[1])

    untouched = [ids for key, ids in network.items() if not inside(key)]
    assert _listed(session, member, "unread") == {f for f, _ in untouched}
    assert _listed(session, member, "new") == {n for _, n in untouched}
    assert member.marked_read_at is None  # the cut-off stays: elsewhere is still new


def test_the_new_topics_count_as_opened_read_to_their_last_post(
    session, member, other_member, network
):
    _, new_id = network[("midtjylland", "familiepleje")]
    domain.reply(session, other_member, session.get(Topic, new_id), "Endnu et svar")
    reading.mark_read_in(session, member, **_place(session, "midtjylland"))
    session.expire_all()
    row = session.get(TopicMember, (member.id, new_id))
    assert (row.last_read_post_number, row.level) == (2, reading.NORMAL)
    followed_id, _ = network[("midtjylland", "familiepleje")]
    assert session.get(TopicMember, (member.id, followed_id)).last_read_post_number == 3
    # Asked again: nothing to do, nothing doubled.
    reading.mark_read_in(session, member, **_place(session, "midtjylland"))
    rows = select(func.count()).select_from(TopicMember).where(TopicMember.user_id == member.id)
    assert session.scalar(rows) == len(network) + 2


def test_old_and_deleted_topics_get_no_row(session, member, other_member, admin):
    member.first_login_at = utcnow() - timedelta(days=1)
    old = factories.topic(session, other_member, created_at=utcnow() - timedelta(days=3))
    gone = factories.topic(session, other_member)
    domain.delete_post(session, admin, factories.post(session, gone, 1))
    reading.mark_read_in(session, member, **_place(session, "midtjylland"))
    assert reading.states(session, member, [old.id, gone.id]) == {}


def test_a_place_is_required(session, member):
    with pytest.raises(ValueError):
        reading.mark_read_in(session, member)


def test_a_place_marked_read_before_the_fan_out_keeps_the_level_the_place_gives(
    session, member, other_member
):  # type: ignore[no-untyped-def]
    """The member watches Region Midtjylland and marks it read right after a topic there was
    created, before the worker came: the topic is read, and still watched (the read row has
    no level of its own, so the fan-out gives it the region's)."""
    from forum import following, notify

    midtjylland = places.region_by_slug(session, "midtjylland")
    following.set_region_level(session, member, midtjylland, reading.WATCHING)
    session.commit()
    topic = domain.create_topic(
        session,
        other_member,
        title="Hvordan arbejder I med netværksanbringelser?",
        body="Vi vil gerne høre jeres erfaringer.",
        kind="discussion",
        region=midtjylland,
        theme=places.theme_by_slug(session, "netvaerksanbringelser"),
    )
    session.commit()
    reading.mark_read_in(session, member, region_id=midtjylland.id, theme_id=None)
    session.commit()
    notify.run(session)
    session.expire_all()
    row = session.scalar(
        select(TopicMember).where(
            TopicMember.user_id == member.id, TopicMember.topic_id == topic.id
        )
    )
    assert (row.level, row.last_read_post_number) == (reading.WATCHING, topic.post_number_max)
    # A level the member chose is never overridden by a later fan-out.
    following.set_topic_level(session, member, topic, reading.NORMAL)
    session.commit()
    domain.reply(session, other_member, topic, "Et svar mere.")
    session.commit()
    notify.run(session)
    session.expire_all()
    assert following.topic_level(session, member, topic) == reading.NORMAL
