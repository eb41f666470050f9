"""Topic lists for browsing: a page of topics (pinned ones fetched apart) and cached counts.

A list page makes a constant number of cheap statements whatever the volume: the pinned topics
of the list (few) in one query, the page of the other topics walking the ``(region_id,
last_posted_at)`` or ``(last_posted_at)`` index in another, and the totals (the sidebar's
counts and the pagination's) from one small ``GROUP BY`` that is computed once per change of
the data, not once per view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from forum import following, meetings, permissions, places, reading
from forum.models import (
    PinScope,
    Post,
    Region,
    SearchOutboxEntry,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.timeutil import utcnow
from forum.topics import OPEN_QUESTION_DAYS

# The cache is also recomputed after this many seconds, whatever the generation says: it bounds
# how long a change that bypasses the ORM (a bulk import) or a reused outbox id on SQLite
# (after pruning) can go unseen. Counts a minute old are harmless in a sidebar.
COUNTS_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class TopicCounts:
    """Visible topics per (region, theme) pair, with the sums per region, per theme and overall."""

    by_pair: dict[tuple[int, int], int] = field(default_factory=dict)
    by_region: dict[int, int] = field(default_factory=dict)
    by_theme: dict[int, int] = field(default_factory=dict)
    total: int = 0

    def of(self, region: Region | None, theme: Theme | None) -> int:
        """The number of visible topics in a list narrowed to region and/or theme."""
        if region is not None and theme is not None:
            return self.by_pair.get((region.id, theme.id), 0)
        if region is not None:
            return self.by_region.get(region.id, 0)
        if theme is not None:
            return self.by_theme.get(theme.id, 0)
        return self.total


def _generation(session: Session) -> int:
    # Every change to a topic that moves a count (a new topic, a soft delete or restore, a move
    # to another region or theme) appends a row to search_outbox in its own transaction, and
    # ids only grow: the highest id is a "topics changed" number that every worker and every
    # node reads from the database they share, with one look-up in the primary key.
    return session.scalar(select(func.max(SearchOutboxEntry.id))) or 0


def _count(session: Session, user: Any) -> TopicCounts:
    stmt = (
        select(Topic.region_id, Topic.theme_id, func.count(Topic.id))
        .where(permissions.visible_topics(user))
        .group_by(Topic.region_id, Topic.theme_id)
    )
    by_pair: dict[tuple[int, int], int] = {}
    by_region: dict[int, int] = {}
    by_theme: dict[int, int] = {}
    for region_id, theme_id, n in session.execute(stmt):
        by_pair[(region_id, theme_id)] = n
        by_region[region_id] = by_region.get(region_id, 0) + n
        by_theme[theme_id] = by_theme.get(theme_id, 0) + n
    return TopicCounts(by_pair, by_region, by_theme, sum(by_pair.values()))


def topic_counts(session: Session, user: Any) -> TopicCounts:
    """Visible topic counts, recounted only when topics changed (or the cache is a minute old).

    The cache lives on the app (one per worker process, so several workers and nodes each keep
    their own), keyed by the SQL of the visibility filter: today every member sees the same
    topics; should the policy ever depend on the member, each filter gets its own entry.
    """
    # The generation is read before counting: a change committed in between is then counted
    # now and recounted once more on the next view, never missed.
    generation = _generation(session)
    key = str(permissions.visible_topics(user))
    cache: dict[str, tuple[int, float, TopicCounts]] = current_app.extensions.setdefault(
        "forum.topic_counts", {}
    )
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and hit[0] == generation and now - hit[1] < COUNTS_MAX_AGE_SECONDS:
        return hit[2]
    counts = _count(session, user)
    cache[key] = (generation, now, counts)
    return counts


def _list_filters(user: Any, region: Region | None, theme: Theme | None) -> tuple[list, list[str]]:
    where = [permissions.visible_topics(user)]
    scopes = [PinScope.GLOBAL]
    if region is not None:
        where.append(Topic.region_id == region.id)
        scopes.append(PinScope.REGION)
    if theme is not None:
        where.append(Topic.theme_id == theme.id)
        scopes.append(PinScope.THEME)
    return where, scopes


def _load_rows(session: Session, topics: list[Topic]) -> list[object]:
    # What a list row shows beyond the topic, for the pinned and the other topics at once, in a
    # constant number of statements: all regions and themes (small tables) and the page's
    # authors with their municipalities. The rows' many-to-one attributes then resolve from
    # the session's identity map, without a query each. The identity map holds objects weakly,
    # so the caller keeps the returned list for as long as the rows are shown.
    if not topics:
        return []
    return [
        *places.regions(session),
        *places.all_themes(session),
        *session.scalars(
            select(User)
            .where(User.id.in_({t.author_id for t in topics}))
            .options(joinedload(User.municipality))
        ),
    ]


def pinned_topics_query(
    user: Any, *, region: Region | None = None, theme: Theme | None = None
) -> Select:
    """The topics pinned for this list (global pins on every list), in no particular order."""
    where, scopes = _list_filters(user, region, theme)
    now = utcnow()
    pinned = and_(
        Topic.pin_scope.in_(scopes),
        or_(Topic.pinned_until.is_(None), Topic.pinned_until > now),
    )
    # No ORDER BY: the few pinned topics are sorted in Python (TopicPage). Ordered in SQL,
    # SQLite walks the whole last_posted_at index and looks every topic up (twice the time
    # of a plain scan). A partial index on pinned topics would make this a look-up.
    return select(Topic).where(*where, pinned)


def unpinned_topics_query(
    user: Any,
    *,
    region: Region | None = None,
    theme: Theme | None = None,
    leave_out: list[int] | None = None,
    only: Any = None,
    hide: Any = None,
) -> Select:
    """The list's topics by last activity, without those in ``leave_out`` (the pinned ones).

    Ordered by (last_posted_at, id) only, so that the database walks the (region_id,
    last_posted_at) index (or the last_posted_at one) backwards and stops after the page.
    """
    where, _ = _list_filters(user, region, theme)
    if leave_out:
        where.append(Topic.id.not_in(leave_out))
    if only is not None:  # the unread or the new topics (forum.reading)
        where.append(only)
    if hide is not None:  # what the member muted (forum.following.mute_filter)
        where.append(hide)
    return select(Topic).where(*where).order_by(Topic.last_posted_at.desc(), Topic.id.desc())


class TopicPage(Pagination):
    """A page of a topic list: the pinned topics first, then the others by last activity,
    with the member's read state of each (``read_states``: topic id -> reading.RowState)."""

    read_states: dict[int, Any] = {}  # replaced per page, never mutated

    def _query_items(self) -> list[Any]:
        session: Session = self._query_args["session"]
        pinned_query = self._query_args["pinned"]
        pinned: list[Topic] = sorted(
            session.scalars(pinned_query) if pinned_query is not None else [],
            key=lambda t: (t.last_posted_at, t.id),
            reverse=True,
        )
        start = self._query_offset
        shown = pinned[start : start + self.per_page]
        wanted = self.per_page - len(shown)
        rest: list[Topic] = []
        if wanted:
            stmt = unpinned_topics_query(
                self._query_args["user"],
                region=self._query_args["region"],
                theme=self._query_args["theme"],
                leave_out=[t.id for t in pinned],
                only=self._query_args["only"],
                hide=self._query_args["hide"],
            )
            offset = max(0, start - len(pinned))
            rest = list(session.scalars(stmt.limit(wanted).offset(offset)))
        self._loaded = _load_rows(session, shown + rest)
        user = self._query_args["user"]
        topics = shown + rest
        ids = [t.id for t in topics]
        members = reading.states(session, user, ids)
        unread = reading.unread_posts(session, user, ids)
        cutoff = reading.new_cutoff(user) if getattr(user, "is_authenticated", False) else None
        self.read_states = {
            t.id: reading.row_state(t, members.get(t.id), cutoff, unread.get(t.id)) for t in topics
        }
        return topics

    def _query_count(self) -> int:
        return int(self._query_args["total"])


def topic_page(
    session: Session,
    user: Any,
    *,
    region: Region | None = None,
    theme: Theme | None = None,
    page: int,
    per_page: int,
    counts: TopicCounts | None = None,
) -> TopicPage:
    """One page of the list of visible topics, narrowed to a region and/or a theme, without
    what the member muted (on a region's or theme's own page, only muted topics are left out:
    the member chose to look there)."""
    counts = counts or topic_counts(session, user)
    network_wide = region is None and theme is None
    muted = following.mutes(session, user)
    hide = following.mute_filter(user, muted, places=network_wide)
    pinned = pinned_topics_query(user, region=region, theme=theme)
    if hide is not None:
        pinned = pinned.where(hide)
    return TopicPage(
        page=page,
        per_page=per_page,
        error_out=False,
        session=session,
        user=user,
        region=region,
        theme=theme,
        pinned=pinned,
        total=counts.of(region, theme)
        - _hidden_count(session, user, muted, counts, region=region, theme=theme),
        only=None,
        hide=hide,
    )


def _hidden_count(
    session: Session,
    user: Any,
    muted: following.Mutes,
    counts: TopicCounts,
    *,
    region: Region | None,
    theme: Theme | None,
) -> int:
    # How many of the list's visible topics the member's mutes leave out, for the pagination:
    # muted places from the cached counts, muted topics (a member mutes few) by a small count.
    if not muted:
        return 0
    network_wide = region is None and theme is None
    hidden = 0
    if network_wide:
        hidden += sum(
            n
            for (region_id, theme_id), n in counts.by_pair.items()
            if region_id in muted.regions or theme_id in muted.themes
        )
    if muted.topics:
        where = [permissions.visible_topics(user), following.muted_topic(user)]
        if region is not None:
            where.append(Topic.region_id == region.id)
        if theme is not None:
            where.append(Topic.theme_id == theme.id)
        place_filter = following.mute_filter(user, following.Mutes(muted.regions, muted.themes))
        if network_wide and place_filter is not None:
            where.append(place_filter)  # already counted with their place
        hidden += int(session.scalar(select(func.count(Topic.id)).where(*where)) or 0)
    return hidden


def reading_page(
    session: Session, user: User, *, which: str, page: int, per_page: int
) -> TopicPage:
    """A page of the member's unread (``which="unread"``) or new topics, by last activity."""
    only = reading.unread_filter(user) if which == "unread" else reading.new_filter(user)
    hide = following.mute_filter(user, following.mutes(session, user))
    if hide is not None:
        only = and_(only, hide)
    total = session.scalar(
        select(func.count(Topic.id)).where(permissions.visible_topics(user), only)
    )
    return TopicPage(
        page=page,
        per_page=per_page,
        error_out=False,
        session=session,
        user=user,
        region=None,
        theme=None,
        pinned=None,  # no pinned topics first on these lists
        total=total or 0,
        only=only,
        hide=None,  # inside ``only``
    )


# -- "Til dig": the member's own front page --------------------------------------------------

FOR_YOU_LIMIT = 8


@dataclass
class ForYou:
    """The sections of a member's front page, with the read state of every topic shown."""

    unread: list[Topic]
    new: list[Topic]
    sparring: list[Topic]
    pinned: list[Topic]
    read_states: dict[int, Any] = field(default_factory=dict)
    # The next meetings where the member follows (their region, followed ones, national).
    meetings: list[Any] = field(default_factory=list)
    _loaded: list[object] = field(default_factory=list, repr=False)

    @property
    def empty(self) -> bool:
        return not (self.unread or self.new or self.sparring or self.pinned or self.meetings)


def for_you(
    session: Session,
    user: User,
    regions: list[Region],
    themes: list[Theme],
    limit: int = FOR_YOU_LIMIT,
) -> ForYou:
    """Unread posts in what the member tracks or watches, new topics in the regions and themes
    they follow, open sparring questions in their own region without an answer, and the pinned
    material for them; nothing they muted. A fixed number of statements (one per section, the
    rows' authors and the read state)."""
    visible = permissions.visible_topics(user)
    levels = following.place_levels(session, user)
    hide = following.mute_filter(user, levels.mutes())
    base = [visible] if hide is None else [visible, hide]
    by_activity = (Topic.last_posted_at.desc(), Topic.id.desc())

    unread = list(
        session.scalars(
            select(Topic)
            .where(*base, reading.unread_filter(user))
            .order_by(*by_activity)
            .limit(limit)
        )
    )

    # Each topic shows once, in the first section it belongs to: unread, open questions, new.
    home = following.home_region_id(user)
    sparring: list[Topic] = []
    if home is not None:
        # Questions the member could help with, as the digest offers them: recent, not their
        # own, not one they have answered in; the fewest replies first (a question nobody has
        # answered yet needs a colleague most).
        replied = (
            select(Post.id).where(Post.topic_id == Topic.id, Post.author_id == user.id).exists()
        )
        sparring = list(
            session.scalars(
                select(Topic)
                .where(
                    *base,
                    Topic.region_id == home,
                    Topic.kind == TopicKind.SPARRING,
                    Topic.answer_post_id.is_(None),
                    Topic.author_id != user.id,
                    Topic.locked_at.is_(None),
                    Topic.created_at >= utcnow() - timedelta(days=OPEN_QUESTION_DAYS),
                    Topic.id.not_in([t.id for t in unread]),
                    ~replied,
                )
                .order_by(Topic.reply_count, *by_activity)
                .limit(limit)
            )
        )

    followed = (following.WATCHING, following.WATCHING_FIRST_POST, following.TRACKING)
    region_ids = [r.id for r in regions if levels.region(r.id) in followed]
    theme_ids = [t.id for t in themes if levels.theme(t.id) in followed]
    new: list[Topic] = []
    if region_ids or theme_ids:
        new = list(
            session.scalars(
                select(Topic)
                .where(
                    *base,
                    reading.new_filter(user),
                    or_(Topic.region_id.in_(region_ids), Topic.theme_id.in_(theme_ids)),
                    Topic.id.not_in([t.id for t in (*unread, *sparring)]),
                )
                .order_by(Topic.created_at.desc(), Topic.id.desc())
                .limit(limit)
            )
        )

    now = utcnow()
    scopes = [Topic.pin_scope == PinScope.GLOBAL]
    if home is not None:
        scopes.append(and_(Topic.pin_scope == PinScope.REGION, Topic.region_id == home))
    if theme_ids:
        scopes.append(and_(Topic.pin_scope == PinScope.THEME, Topic.theme_id.in_(theme_ids)))
    pinned = sorted(
        session.scalars(
            select(Topic).where(
                *base,
                or_(*scopes),
                or_(Topic.pinned_until.is_(None), Topic.pinned_until > now),
            )
        ),
        key=lambda t: (t.last_posted_at, t.id),
        reverse=True,
    )[:limit]

    shown = {t.id: t for t in (*unread, *new, *sparring, *pinned)}
    topics = list(shown.values())
    loaded = _load_rows(session, topics)
    ids = list(shown)
    members = reading.states(session, user, ids)
    unread_counts = reading.unread_posts(session, user, ids)
    cutoff = reading.new_cutoff(user)
    states = {
        t.id: reading.row_state(t, members.get(t.id), cutoff, unread_counts.get(t.id))
        for t in topics
    }
    meeting_regions = {*region_ids, *(r.id for r in regions if r.is_national)}
    if home is not None:
        meeting_regions.add(home)
    upcoming = meetings.next_meetings(session, region_ids=sorted(meeting_regions), limit=3)
    return ForYou(unread, new, sparring, pinned, states, meetings=upcoming, _loaded=loaded)
