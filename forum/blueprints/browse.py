"""Lists of topics: latest across the network, by region, by theme, or both."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum import following, meetings, places, reading
from forum.extensions import db
from forum.lists import (
    TopicCounts,
    TopicPage,
    for_you,
    reading_page,
    topic_counts,
    topic_page,
)
from forum.models import Region, Theme
from forum.urls import local_path, page_number

bp = Blueprint("browse", __name__)


def _page() -> int:
    return request.args.get("page", 1, type=page_number)


def _topic_page(
    region: Region | None = None, theme: Theme | None = None, counts: TopicCounts | None = None
) -> TopicPage:
    return topic_page(
        db.session,
        current_user,
        region=region,
        theme=theme,
        page=_page(),
        per_page=current_app.config["TOPICS_PER_PAGE"],
        counts=counts,
    )


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """The member's own front page, *Til dig*: what is new for them, and the regions and
    themes as navigation (``/latest`` is the network-wide list)."""
    counts = topic_counts(db.session, current_user)
    regions = places.regions(db.session)
    themes = places.active_themes(db.session)
    return render_template(
        "browse/for_you.html",
        sections=for_you(db.session, current_user, regions, themes),
        region_counts=[(r, counts.by_region.get(r.id, 0)) for r in regions],
        theme_counts=[(t, counts.by_theme.get(t.id, 0)) for t in themes],
    )


@bp.route("/latest")
def latest():  # type: ignore[no-untyped-def]
    """Latest activity across the network."""
    return _latest()


@bp.route("/unread")
def unread():  # type: ignore[no-untyped-def]
    """Topics the member tracks or watches with posts they have not read."""
    return _latest(which="unread")


@bp.route("/new")
def new():  # type: ignore[no-untyped-def]
    """Topics created since the member's cut-off that they have never opened."""
    return _latest(which="new")


@bp.route("/marker-laest", methods=["POST"])
def mark_read():  # type: ignore[no-untyped-def]
    """Mark everything as read ("Markér alle som læst"); back to the list it was asked on. On
    a region's or theme's page only its topics (the form's ``region`` and ``tema``)."""
    # An unknown slug is a 404 (NotFound), never the whole network marked instead.
    region, theme = places.filters(db.session, request.form)
    if region is None and theme is None:
        reading.mark_all_read(db.session, current_user)
        message = _("Alt er markeret som læst.")
    else:
        reading.mark_read_in(
            db.session,
            current_user,
            region_id=region.id if region else None,
            theme_id=theme.id if theme else None,
        )
        place = " · ".join(p.name for p in (region, theme) if p is not None)
        message = _("Alt i %(place)s er markeret som læst.", place=place)
    db.session.commit()
    flash(message, "success")
    return redirect(local_path(request.form.get("next")) or url_for("browse.latest"))


def _latest(which: str | None = None):  # type: ignore[no-untyped-def]
    # One set of counts (cached until topics change) serves the sidebar and the pagination.
    counts = topic_counts(db.session, current_user)
    regions = places.regions(db.session)
    themes = places.active_themes(db.session)
    if which is None:
        pagination = _topic_page(counts=counts)
    else:
        pagination = reading_page(
            db.session,
            current_user,
            which=which,
            page=_page(),
            per_page=current_app.config["TOPICS_PER_PAGE"],
        )
    return render_template(
        "browse/index.html",
        pagination=pagination,
        which=which,
        region_counts=[(r, counts.by_region.get(r.id, 0)) for r in regions],
        theme_counts=[(t, counts.by_theme.get(t.id, 0)) for t in themes],
    )


@bp.route("/region/<slug>")
def region(slug: str):  # type: ignore[no-untyped-def]
    """A region's topics, optionally narrowed to one theme with ?tema=<slug>."""
    the_region = places.region_by_slug(db.session, slug)
    theme_slug = request.args.get("tema")
    the_theme = places.theme_by_slug(db.session, theme_slug) if theme_slug else None
    return _place_list(the_region, the_theme, theme_first=False)


@bp.route("/tema/<slug>")
def theme(slug: str):  # type: ignore[no-untyped-def]
    """A theme's topics across all regions, optionally narrowed with ?region=<slug>."""
    the_theme = places.theme_by_slug(db.session, slug)
    region_slug = request.args.get("region")
    the_region = places.region_by_slug(db.session, region_slug) if region_slug else None
    return _place_list(the_region, the_theme, theme_first=True)


def _next_meetings(
    region: Region | None, theme: Theme | None, theme_first: bool, page: int
) -> list:
    """A region's first page shows its next meetings (a theme's page is about the theme)."""
    if theme_first or theme is not None or region is None or page > 1:
        return []
    return meetings.next_meetings(db.session, region_ids=[region.id])


def _pinned_materials(
    region: Region | None, theme: Theme | None, theme_first: bool, page: int, regions: list[Region]
) -> list:
    """The files of the meetings pinned to the region's page, with the national meetings'
    (pinned to every region's page), on its first page as its next meetings are: one
    statement. Which regions are national comes from the list the page shows anyway."""
    if theme_first or theme is not None or region is None or page > 1:
        return []
    region_ids = {region.id} | {r.id for r in regions if r.is_national}
    return meetings.pinned_materials(db.session, sorted(region_ids))


def _place_list(region: Region | None, theme: Theme | None, *, theme_first: bool):  # type: ignore[no-untyped-def]
    pagination = _topic_page(region, theme)
    regions = places.regions(db.session)
    materials = _pinned_materials(region, theme, theme_first, pagination.page, regions)
    # The follow menu is for the place the page is about: the theme's page, or the region's.
    if theme_first and theme is not None:
        follow = (
            url_for("following.theme", slug=theme.slug),
            following.theme_level(db.session, current_user, theme),
        )
    else:
        assert region is not None
        follow = (
            url_for("following.region", slug=region.slug),
            following.region_level(db.session, current_user, region),
        )
    return render_template(
        "browse/list.html",
        pagination=pagination,
        region=region,
        theme=theme,
        themes=places.active_themes(db.session),
        regions=regions,
        theme_first=theme_first,
        follow_action=follow[0],
        follow_level=follow[1],
        meetings=_next_meetings(region, theme, theme_first, pagination.page),
        materials=materials,
    )
