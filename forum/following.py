"""How closely a member follows a topic, a region or a theme, and what they mute.

Discourse's levels: *Følger* (watching: every new post notifies), *Følger første indlæg*
(watching first post, for a region or theme: each new topic notifies), *Sporer* (tracking:
unread counts; notified when mentioned or replied to), *Normal*, *Ignorerer* (muted: left out of
the network-wide lists and the digest, never notified). A topic's level lives in its
``topic_members`` row (forum.reading), a region's or theme's in ``region_members`` /
``theme_members``. Without a row a member follows the first posts of their own region (their
municipality's) and is normal elsewhere. In a topic they start a member watches, in one they
reply to they track, unless they chose otherwise (``users.started_topic_level`` and
``replied_topic_level``, set under /indstillinger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from forum.errors import Invalid
from forum.extensions import upsert_insert
from forum.models import (
    Municipality,
    Region,
    RegionMember,
    Theme,
    ThemeMember,
    Topic,
    TopicMember,
    User,
)
from forum.reading import MUTED, NORMAL, TRACKING, WATCHING
from forum.timeutil import utcnow

WATCHING_FIRST_POST = 4

LEVEL_LABELS = {
    WATCHING: _l("Følger"),
    WATCHING_FIRST_POST: _l("Følger første indlæg"),
    TRACKING: _l("Sporer"),
    NORMAL: _l("Normal"),
    MUTED: _l("Ignorerer"),
}

TOPIC_LEVEL_HINTS = {
    WATCHING: _l("Du får besked om hvert nyt indlæg."),
    TRACKING: _l("Ulæste indlæg tælles; du får besked, når nogen nævner dig eller svarer dig."),
    NORMAL: _l("Du får besked, når nogen nævner dig eller svarer dig."),
    MUTED: _l("Du får aldrig besked, og emnet vises ikke i dine lister."),
}

PLACE_LEVEL_HINTS = {
    WATCHING: _l("Du får besked om hvert nyt emne og hvert nyt indlæg."),
    WATCHING_FIRST_POST: _l("Du får besked om hvert nyt emne."),
    TRACKING: _l("Ulæste indlæg i nye emner tælles."),
    NORMAL: _l("Du får besked, når nogen nævner dig eller svarer dig."),
    MUTED: _l("Du får aldrig besked, og emnerne vises ikke i dine lister eller dit nyhedsbrev."),
}

TOPIC_LEVELS = (WATCHING, TRACKING, NORMAL, MUTED)
# What a member may choose to get in a topic they start, or reply to (the default first).
STARTED_LEVELS = (WATCHING, TRACKING, NORMAL)
REPLIED_LEVELS = (TRACKING, WATCHING, NORMAL)
PLACE_LEVELS = (WATCHING, WATCHING_FIRST_POST, TRACKING, NORMAL, MUTED)
# Levels whose members hear of each new topic in the region or theme.
NEW_TOPIC_LEVELS = (WATCHING, WATCHING_FIRST_POST)


def home_region_id(user: Any) -> int | None:
    """The region of the member's municipality (facilitators from an organisation: none)."""
    municipality = getattr(user, "municipality", None)
    return municipality.region_id if municipality is not None else None


def default_region_level(user: Any, region_id: int) -> int:
    """A member without a chosen level follows the first posts of their own region."""
    return WATCHING_FIRST_POST if home_region_id(user) == region_id else NORMAL


@dataclass(frozen=True)
class PlaceLevels:
    """A member's levels for every region and theme (chosen ones, and the defaults)."""

    user: Any
    regions: dict[int, int] = field(default_factory=dict)  # chosen levels only
    themes: dict[int, int] = field(default_factory=dict)

    def region(self, region_id: int) -> int:
        chosen = self.regions.get(region_id)
        return chosen if chosen is not None else default_region_level(self.user, region_id)

    def theme(self, theme_id: int) -> int:
        return self.themes.get(theme_id, NORMAL)

    muted_topics: int = 0  # how many topics the member muted (their own rows)

    def muted(self, topic: Topic) -> bool:
        return MUTED in (self.region(topic.region_id), self.theme(topic.theme_id))

    def mutes(self) -> Mutes:
        """What the member muted, as ``mutes()`` reads it (for a page that has the levels)."""
        return Mutes(
            regions=frozenset(r for r, level in self.regions.items() if level == MUTED),
            themes=frozenset(t for t, level in self.themes.items() if level == MUTED),
            topics=self.muted_topics,
        )


def place_levels(session: Session, user: Any) -> PlaceLevels:
    """The member's region and theme levels, and how many topics they muted: one small
    statement."""
    if not getattr(user, "is_authenticated", False):
        return PlaceLevels(user)
    rows = session.execute(
        union_all(
            select(literal("r"), RegionMember.region_id, RegionMember.level).where(
                RegionMember.user_id == user.id
            ),
            select(literal("t"), ThemeMember.theme_id, ThemeMember.level).where(
                ThemeMember.user_id == user.id
            ),
            select(literal("x"), func.count(), literal(0)).where(
                TopicMember.user_id == user.id, TopicMember.level == MUTED
            ),
        )
    ).all()
    return PlaceLevels(
        user,
        regions={ident: level for kind, ident, level in rows if kind == "r"},
        themes={ident: level for kind, ident, level in rows if kind == "t"},
        muted_topics=sum(ident for kind, ident, _ in rows if kind == "x"),
    )


def region_level(session: Session, user: Any, region: Region) -> int:
    """The member's level for one region (its default without a row), in one statement."""
    level = session.scalar(
        select(RegionMember.level).where(
            RegionMember.user_id == user.id, RegionMember.region_id == region.id
        )
    )
    return default_region_level(user, region.id) if level is None else level


def theme_level(session: Session, user: Any, theme: Theme) -> int:
    """The member's level for one theme (normal without a row), in one statement."""
    level = session.scalar(
        select(ThemeMember.level).where(
            ThemeMember.user_id == user.id, ThemeMember.theme_id == theme.id
        )
    )
    return NORMAL if level is None else level


def topic_level(session: Session, user: Any, topic: Topic) -> int:
    """The member's level for one topic (normal without a row)."""
    level = session.scalar(
        select(TopicMember.level).where(
            TopicMember.user_id == user.id, TopicMember.topic_id == topic.id
        )
    )
    return NORMAL if level is None else level


def _check(level: Any, allowed: tuple[int, ...], field: str = "level") -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = -1
    if value not in allowed:
        raise Invalid(_l("Vælg et niveau fra listen."), field=field)
    return value


def set_default_levels(session: Session, user: User, *, started: Any, replied: Any) -> None:
    """Set the level the member gets in topics they start and topics they reply to from now
    on (forum.reading applies them; topics they are in already keep their level)."""
    started_level = _check(started, STARTED_LEVELS, "started_topic_level")
    replied_level = _check(replied, REPLIED_LEVELS, "replied_topic_level")
    user.started_topic_level = started_level
    user.replied_topic_level = replied_level
    session.flush()


def set_topic_level(session: Session, user: User, topic: Topic, level: Any) -> int:
    """Set how the member follows a topic (a row is made if they never opened it)."""
    value = _check(level, TOPIC_LEVELS)
    stmt = upsert_insert(session)(TopicMember).values(
        user_id=user.id,
        topic_id=topic.id,
        last_read_post_number=0,
        level=value,
        level_reason="chosen",
        first_visited_at=utcnow(),
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TopicMember.user_id, TopicMember.topic_id],
            set_={"level": value, "level_reason": "chosen"},
        )
    )
    session.flush()
    return value


def set_region_level(session: Session, user: User, region: Region, level: Any) -> int:
    """Set how the member follows a region."""
    value = _check(level, PLACE_LEVELS)
    _set_place(session, RegionMember, user, {"region_id": region.id}, value)
    return value


def set_theme_level(session: Session, user: User, theme: Theme, level: Any) -> int:
    """Set how the member follows a theme."""
    value = _check(level, PLACE_LEVELS)
    _set_place(session, ThemeMember, user, {"theme_id": theme.id}, value)
    return value


def _set_place(session: Session, model: Any, user: User, place: dict, value: int) -> None:
    now = utcnow()
    stmt = upsert_insert(session)(model).values(
        user_id=user.id, level=value, updated_at=now, **place
    )
    keys = [model.user_id, *(getattr(model, name) for name in place)]
    session.execute(
        stmt.on_conflict_do_update(index_elements=keys, set_={"level": value, "updated_at": now})
    )
    session.flush()


@dataclass(frozen=True)
class Mutes:
    """What a member mutes: regions and themes (ids) and how many topics."""

    regions: frozenset[int] = frozenset()
    themes: frozenset[int] = frozenset()
    topics: int = 0

    def __bool__(self) -> bool:
        return bool(self.regions or self.themes or self.topics)


def mutes(session: Session, user: Any) -> Mutes:
    """The member's mutes in one small statement (lists call it once per page)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return Mutes()
    rows = session.execute(
        union_all(
            select(literal("r"), RegionMember.region_id).where(
                RegionMember.user_id == user.id, RegionMember.level == MUTED
            ),
            select(literal("t"), ThemeMember.theme_id).where(
                ThemeMember.user_id == user.id, ThemeMember.level == MUTED
            ),
            select(literal("x"), func.count()).where(
                TopicMember.user_id == user.id, TopicMember.level == MUTED
            ),
        )
    ).all()
    return Mutes(
        regions=frozenset(value for kind, value in rows if kind == "r"),
        themes=frozenset(value for kind, value in rows if kind == "t"),
        topics=sum(value for kind, value in rows if kind == "x"),
    )


def muted_topic(user: Any) -> Any:
    """SQL: the member muted this topic (its own row)."""
    return exists().where(
        TopicMember.topic_id == Topic.id,
        TopicMember.user_id == user.id,
        TopicMember.level == MUTED,
    )


def mute_filter(user: Any, muted: Mutes, *, places: bool = True) -> Any:
    """SQL filter leaving out what the member muted, or None when nothing is: muted topics
    always, muted regions and themes with ``places`` (the network-wide lists; a region's own
    page still shows it to a member who went there)."""
    clauses = []
    if places and muted.regions:
        clauses.append(Topic.region_id.not_in(sorted(muted.regions)))
    if places and muted.themes:
        clauses.append(Topic.theme_id.not_in(sorted(muted.themes)))
    if muted.topics:
        clauses.append(~muted_topic(user))
    return and_(*clauses) if clauses else None


# -- for the notification worker -------------------------------------------------------------


def place_followers(session: Session, topic: Topic) -> tuple[set[int], dict[int, int]]:
    """Who hears of a new topic in its region or theme, and what level the new topic gets
    for whom (watching the place: watching the topic; tracking the place: tracking it)."""
    region_rows = session.execute(
        select(RegionMember.user_id, RegionMember.level).where(
            RegionMember.region_id == topic.region_id, RegionMember.level > NORMAL
        )
    ).all()
    theme_rows = session.execute(
        select(ThemeMember.user_id, ThemeMember.level).where(
            ThemeMember.theme_id == topic.theme_id, ThemeMember.level > NORMAL
        )
    ).all()
    # Members of the region's municipalities who never chose a level for it: first posts.
    home = session.scalars(
        select(User.id)
        .join(Municipality, Municipality.id == User.municipality_id)
        .where(
            Municipality.region_id == topic.region_id,
            User.active.is_(True),
            ~exists().where(
                RegionMember.user_id == User.id, RegionMember.region_id == topic.region_id
            ),
        )
    ).all()
    notified = set(home)
    topic_levels: dict[int, int] = {}
    for user_id, level in [*region_rows, *theme_rows]:
        if level in NEW_TOPIC_LEVELS:
            notified.add(user_id)
        if level in (WATCHING, TRACKING):
            topic_levels[user_id] = max(topic_levels.get(user_id, NORMAL), level)
    return notified, topic_levels


def start_following(
    session: Session, topic: Topic, levels: dict[int, int], *, exclude: int | None = None
) -> None:
    """Give members the topic level their region or theme asks for (not the author's row,
    not over a level they chose). One INSERT, its rows as executemany parameters."""
    if not levels:
        return
    muted = muted_members(session, topic, list(levels))
    rows = [
        {
            "user_id": user_id,
            "topic_id": topic.id,
            "last_read_post_number": 0,
            "level": level,
            "level_reason": "place",
        }
        for user_id, level in levels.items()
        if user_id != exclude and user_id not in muted
    ]
    if rows:
        # A row the member already has only by reading (opened the topic, or marked its
        # place read, before this fan-out came: normal, no reason) takes the place's level;
        # any other is theirs and stays.
        stmt = upsert_insert(session)(TopicMember)
        current = TopicMember.__table__.c
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "topic_id"],
                set_={"level": stmt.excluded.level, "level_reason": stmt.excluded.level_reason},
                where=and_(
                    current.level == NORMAL,
                    current.level_reason == "",
                    stmt.excluded.level > NORMAL,
                ),
            ),
            rows,
        )


def muted_by(user_id: Any, topic_id: Any, region_id: Any, theme_id: Any) -> Any:
    """SQL: the member muted the topic, its region or its theme (the rule of
    :func:`muted_members`, for one statement over many members' topics; the arguments are
    columns of that statement)."""
    return or_(
        exists().where(
            TopicMember.topic_id == topic_id,
            TopicMember.user_id == user_id,
            TopicMember.level == MUTED,
        ),
        exists().where(
            RegionMember.region_id == region_id,
            RegionMember.user_id == user_id,
            RegionMember.level == MUTED,
        ),
        exists().where(
            ThemeMember.theme_id == theme_id,
            ThemeMember.user_id == user_id,
            ThemeMember.level == MUTED,
        ),
    )


def muted_members(session: Session, topic: Topic, user_ids: list[int]) -> set[int]:
    """Which of these members muted the topic, its region or its theme."""
    if not user_ids:
        return set()
    muted: set[int] = set()
    for chunk_start in range(0, len(user_ids), 5000):
        chunk = user_ids[chunk_start : chunk_start + 5000]
        muted.update(
            session.scalars(
                select(TopicMember.user_id)
                .where(
                    TopicMember.topic_id == topic.id,
                    TopicMember.level == MUTED,
                    TopicMember.user_id.in_(chunk),
                )
                .union(
                    select(RegionMember.user_id).where(
                        RegionMember.region_id == topic.region_id,
                        RegionMember.level == MUTED,
                        RegionMember.user_id.in_(chunk),
                    ),
                    select(ThemeMember.user_id).where(
                        ThemeMember.theme_id == topic.theme_id,
                        ThemeMember.level == MUTED,
                        ThemeMember.user_id.in_(chunk),
                    ),
                )
            )
        )
    return muted


def topic_watchers(session: Session, topic: Topic) -> set[int]:
    """Who hears of every new post in a topic: those watching it, and those watching its
    region or theme unless they chose a lower level for this topic."""
    watching = set(
        session.scalars(
            select(TopicMember.user_id).where(
                TopicMember.topic_id == topic.id, TopicMember.level == WATCHING
            )
        )
    )
    place = set(
        session.scalars(
            select(RegionMember.user_id)
            .where(RegionMember.region_id == topic.region_id, RegionMember.level == WATCHING)
            .union(
                select(ThemeMember.user_id).where(
                    ThemeMember.theme_id == topic.theme_id, ThemeMember.level == WATCHING
                )
            )
        )
    )
    if place:
        # Rows a member set themselves (or made by replying) at a lower level keep them out.
        lower = set(
            session.scalars(
                select(TopicMember.user_id).where(
                    TopicMember.topic_id == topic.id,
                    TopicMember.level < WATCHING,
                    TopicMember.level_reason == "chosen",
                )
            )
        )
        watching |= place - lower
    return watching
