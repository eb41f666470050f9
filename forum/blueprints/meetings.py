"""Meetings: the list, a meeting's page, planning one, signing up, and its calendars."""

from __future__ import annotations

import hashlib
from datetime import time
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from forum import feeds, files, notify, permissions, places, uploads
from forum import meetings as domain
from forum.afterwards import small_write
from forum.errors import ForumError, Invalid, NotFound
from forum.extensions import db
from forum.forms import MaterialsPinForm, MeetingForm, UploadForm, add_error
from forum.models import Meeting, MeetingKind, SignupStatus
from forum.templating import meeting_url
from forum.urls import external_url, page_number

bp = Blueprint("meetings", __name__)

CALENDAR = "text/calendar; charset=utf-8"
UPCOMING_SHOWN = 25


def _meeting_or_404(meeting_id: int) -> Meeting:
    return domain.get_meeting(db.session, current_user, meeting_id)


def _choices(form: MeetingForm) -> None:
    form.kind.choices = [(kind, str(label)) for kind, label in domain.KIND_LABELS.items()]
    form.region.choices = [(r.slug, r.name) for r in places.regions(db.session)]
    themes = [(t.slug, t.name) for t in places.active_themes(db.session)]
    form.theme.choices = themes
    form.other_themes.choices = themes


def _input(form: MeetingForm) -> domain.MeetingInput:
    """What the form holds, as the domain takes it (unknown places become field errors)."""
    problems = []
    region = theme = None
    try:
        region = places.region_by_slug(db.session, form.region.data or "", field="region")
    except ForumError as exc:
        problems.append(exc)
    try:
        theme = places.theme_by_slug(db.session, form.theme.data or "", field="theme")
    except ForumError as exc:
        problems.append(exc)
    themes = [theme] if theme is not None else []
    for slug in form.other_themes.data or []:
        try:
            other = places.theme_by_slug(db.session, slug, field="themes")
        except ForumError as exc:
            problems.append(exc)
        else:
            if other not in themes:
                themes.append(other)
    return domain.MeetingInput(
        title=form.title.data or "",
        kind=form.kind.data or "",
        region=region,
        themes=themes if theme is not None else [],
        day=form.day.data,
        starts=form.starts.data,
        ends=form.ends.data,
        end_day=form.end_day.data,
        place=form.place.data or "",
        online_url=form.online_url.data or "",
        agenda=form.agenda.data or "",
        capacity=form.capacity.data,
        problems=problems,
    )


def _fill(form: MeetingForm, meeting: Meeting) -> None:
    """A meeting's values into the form, times in Copenhagen."""
    starts, ends = domain.to_local(meeting.starts_at), domain.to_local(meeting.ends_at)
    form.title.data = meeting.title
    form.kind.data = meeting.kind
    form.region.data = meeting.region.slug
    themes = meeting.themes
    form.theme.data = themes[0].slug if themes else None
    form.other_themes.data = [theme.slug for theme in themes[1:]]
    form.day.data = starts.date()
    form.starts.data = starts.time().replace(tzinfo=None)
    form.ends.data = ends.time().replace(tzinfo=None)
    form.end_day.data = ends.date() if ends.date() != starts.date() else None
    form.place.data = meeting.place
    form.online_url.data = meeting.online_url
    form.agenda.data = meeting.agenda
    form.capacity.data = meeting.capacity


# -- reading ---------------------------------------------------------------------------------


@bp.route("/moeder")
def index():  # type: ignore[no-untyped-def]
    """Upcoming meetings, soonest first, then past ones; by region and theme."""
    region, theme = places.filters(db.session, request.args)  # NotFound: a 404 page
    # The next ones (a year's worth at most); more are found by region and theme.
    upcoming = list(
        db.session.scalars(
            domain.meetings_query(region=region, theme=theme, upcoming=True).limit(
                UPCOMING_SHOWN + 1
            )
        )
    )
    more_upcoming = len(upcoming) > UPCOMING_SHOWN
    upcoming = upcoming[:UPCOMING_SHOWN]
    past = db.paginate(
        domain.meetings_query(region=region, theme=theme, upcoming=False),
        page=request.args.get("page", 1, type=page_number),
        per_page=20,
        error_out=False,
    )
    shown = [meeting.id for meeting in [*upcoming, *past.items]]
    return render_template(
        "meetings/index.html",
        upcoming=upcoming,
        more_upcoming=more_upcoming,
        past=past,
        counts=domain.counts(db.session, shown),
        mine=domain.my_signups(db.session, current_user, shown),
        region=region,
        theme=theme,
        regions=places.regions(db.session),
        themes=places.active_themes(db.session),
    )


@bp.route("/moeder/<int:meeting_id>")
def short(meeting_id: int):  # type: ignore[no-untyped-def]
    return redirect(meeting_url(_meeting_or_404(meeting_id)), code=301)


@bp.route("/moeder/<int:meeting_id>-<slug>")
def show(meeting_id: int, slug: str):  # type: ignore[no-untyped-def]
    """One meeting: when and where, its agenda, materials, sign-up, calendar and topic."""
    meeting = _meeting_or_404(meeting_id)
    if slug != meeting.slug:
        return redirect(meeting_url(meeting), code=301)
    page = _render_meeting(meeting)
    _remember_seen(meeting)
    return page


def _remember_seen(meeting: Meeting) -> None:
    """Mark the member's notifications about the meeting read (its page is where they lead),
    after the response, in one small statement, and only if they have unread ones (the bell,
    counted for the page's header anyway)."""
    if notify.bell_count(db.session, current_user) == 0:
        return
    app, user_id = current_app._get_current_object(), current_user.id  # type: ignore[attr-defined]
    topic_id = meeting.topic_id
    write = partial(
        small_write,
        app,
        lambda session: notify.mark_meeting_read(session, user_id, topic_id),
        f"notifications about meeting {meeting.id}",
    )

    @after_this_request
    def record(response):  # type: ignore[no-untyped-def]
        response.call_on_close(write)
        return response


def _render_meeting(meeting: Meeting, upload_form: UploadForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    domain.ensure_agenda_html(meeting)
    viewer = current_user._get_current_object()
    see_signups = permissions.can(viewer, permissions.VIEW_SIGNUPS, meeting)
    may_upload = permissions.can(viewer, permissions.UPLOAD, meeting)
    html = render_template(
        "meetings/show.html",
        meeting=meeting,
        counts=domain.counts(db.session, [meeting.id])[meeting.id],
        signup=domain.signup_of(db.session, viewer, meeting),
        signups=domain.signups(db.session, meeting) if see_signups else None,
        when=domain.when_label(meeting),
        viewer=viewer,
        materials=files.meeting_files(db.session, viewer, meeting),
        upload_form=(upload_form or UploadForm()) if may_upload else None,
        accept=uploads.ACCEPT,
        upload_limit_mb=files.upload_limit_mb(),
        file_reason=files.reason_label,
        pin_form=(
            MaterialsPinForm(prefix="pin", formdata=None)
            if permissions.can(viewer, permissions.PIN_MATERIALS, meeting)
            else None
        ),
    )
    return html, status


@bp.route("/moeder/<int:meeting_id>/filer", methods=["POST"])
def upload(meeting_id: int):  # type: ignore[no-untyped-def]
    """Attach a file to the meeting's materials (facilitators and administrators)."""
    meeting = _meeting_or_404(meeting_id)
    if not permissions.can(current_user, permissions.UPLOAD, meeting):
        abort(403)
    form = UploadForm()
    given = request.files.get("file")
    if not form.validate_on_submit():
        return _render_meeting(meeting, form, 400)
    if given is None or not given.filename:
        form.file.errors = [*form.file.errors, _("Vælg en fil.")]
        return _render_meeting(meeting, form, 400)
    try:
        with files.receive(given.stream, given.filename) as incoming:
            attachment = files.attach_to_meeting(
                db.session, current_user, meeting, incoming, confirmed=bool(form.confirm.data)
            )
    except ForumError as exc:
        db.session.rollback()
        meeting = _meeting_or_404(meeting_id)
        add_error(form, exc)
        return _render_meeting(meeting, form, 400)
    files.commit(db.session, [attachment])  # its bytes go again should the commit fail
    flash(_("%(name)s er lagt på mødesiden.", name=attachment.filename), "success")
    return redirect(meeting_url(meeting, _anchor="materialer"))


# -- pinned materials ------------------------------------------------------------------------


@bp.route("/moeder/<int:meeting_id>/fastgoer", methods=["POST"])
def pin(meeting_id: int):  # type: ignore[no-untyped-def]
    """Pin the meeting's materials to its region's page, optionally until and including a
    date (facilitators and administrators)."""
    meeting = _meeting_or_404(meeting_id)
    if not permissions.can(current_user, permissions.PIN_MATERIALS, meeting):
        abort(403)
    back = redirect(meeting_url(meeting, _anchor="materialer"))
    form = MaterialsPinForm(prefix="pin")
    if not form.validate_on_submit():
        flash(_("Skriv en gyldig dato."), "error")
        return back
    # "Until and including" a Danish date: the pin ends at that day's end in Copenhagen.
    until = domain.local_to_utc(form.until.data, time(23, 59, 59)) if form.until.data else None
    try:
        domain.pin_materials(db.session, current_user, meeting, until)
    except Invalid as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return back
    db.session.commit()
    if meeting.region.is_national:
        flash(_("Materialerne er fastgjort på alle regioners sider."), "success")
    else:
        flash(_("Materialerne er fastgjort på regionens side."), "success")
    return back


@bp.route("/moeder/<int:meeting_id>/loesgoer", methods=["POST"])
def unpin(meeting_id: int):  # type: ignore[no-untyped-def]
    """Take the meeting's materials off the region page (the files stay on the meeting)."""
    meeting = _meeting_or_404(meeting_id)
    if not permissions.can(current_user, permissions.PIN_MATERIALS, meeting):
        abort(403)
    domain.unpin_materials(db.session, current_user, meeting)
    db.session.commit()
    flash(_("Materialerne er ikke længere fastgjort."), "success")
    return redirect(meeting_url(meeting, _anchor="materialer"))


# -- planning --------------------------------------------------------------------------------


@bp.route("/moeder/ny", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    """Plan a meeting (facilitators and administrators)."""
    if not permissions.can(current_user, permissions.CREATE_MEETING):
        abort(403)
    form = MeetingForm()
    _choices(form)
    if request.method == "GET":
        form.kind.data = request.args.get("type", MeetingKind.NETWORK)
        form.region.data = request.args.get("region")
        form.theme.data = request.args.get("tema")
    if form.validate_on_submit():
        try:
            meeting = domain.create_meeting(db.session, current_user, _input(form))
        except ForumError as exc:
            db.session.rollback()
            add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Mødet er oprettet, med en tråd til drøftelsen."), "success")
            return redirect(meeting_url(meeting))
    return render_template("meetings/form.html", form=form, meeting=None), (
        400 if form.errors or form.form_errors else 200
    )


@bp.route("/moeder/<int:meeting_id>/rediger", methods=["GET", "POST"])
def edit(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(meeting_id)
    if not permissions.can(current_user, permissions.EDIT_MEETING, meeting):
        abort(403)
    form = MeetingForm()
    _choices(form)
    if request.method == "GET":
        _fill(form, meeting)
    if form.validate_on_submit():
        try:
            domain.update_meeting(db.session, current_user, meeting, _input(form))
        except ForumError as exc:
            db.session.rollback()
            meeting = _meeting_or_404(meeting_id)
            add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Mødet er gemt. Kalendere, der abonnerer, får ændringen."), "success")
            return redirect(meeting_url(meeting))
    return render_template("meetings/form.html", form=form, meeting=meeting), (
        400 if form.errors or form.form_errors else 200
    )


@bp.route("/moeder/<int:meeting_id>/aflys", methods=["POST"])
def cancel(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(meeting_id)
    domain.cancel_meeting(db.session, current_user, meeting)
    db.session.commit()
    flash(_("Mødet er aflyst, og de tilmeldte har fået besked."), "success")
    return redirect(meeting_url(meeting))


@bp.route("/moeder/<int:meeting_id>/genoptag", methods=["POST"])
def reopen(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(meeting_id)
    domain.reopen_meeting(db.session, current_user, meeting)
    db.session.commit()
    flash(_("Mødet er ikke længere aflyst."), "success")
    return redirect(meeting_url(meeting))


# -- signing up ------------------------------------------------------------------------------


@bp.route("/moeder/<int:meeting_id>/tilmeld", methods=["POST"])
def sign_up(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(meeting_id)
    try:
        signup = domain.sign_up(db.session, current_user, meeting)
    except Invalid as exc:  # cancelled or over meanwhile
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(meeting_url(meeting, _anchor="tilmelding"))
    db.session.commit()
    if signup.status == SignupStatus.WAITING:
        flash(
            _("Mødet er fuldt: du står på ventelisten og får besked, hvis du får en plads."), "info"
        )
    else:
        flash(_("Du er tilmeldt."), "success")
    return redirect(meeting_url(meeting, _anchor="tilmelding"))


@bp.route("/moeder/<int:meeting_id>/afmeld", methods=["POST"])
def withdraw(meeting_id: int):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(meeting_id)
    if domain.withdraw(db.session, current_user, meeting):
        db.session.commit()
        flash(_("Du er afmeldt."), "success")
    return redirect(meeting_url(meeting, _anchor="tilmelding"))


@bp.route("/moeder/<int:meeting_id>/tilmeldte.csv")
def signups_csv(meeting_id: int):  # type: ignore[no-untyped-def]
    """The sign-up list for a spreadsheet (facilitators and administrators)."""
    meeting = _meeting_or_404(meeting_id)
    if not permissions.can(current_user, permissions.VIEW_SIGNUPS, meeting):
        abort(403)
    response = Response(domain.signups_csv(db.session, meeting), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="tilmeldte-{meeting.id}-{meeting.slug}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- calendars -------------------------------------------------------------------------------


def _link(meeting: Meeting) -> str:
    return external_url("meetings.show", meeting_id=meeting.id, slug=meeting.slug)


def _calendar(meetings: list[Meeting], name: str) -> bytes:
    from forum import calendars

    return calendars.calendar_bytes(meetings, name=name, link=_link)


def _calendar_response(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, status=200)
    response.headers["Content-Type"] = CALENDAR
    # Only the member's own calendar program may keep it, asking again (cheaply: 304) each time.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The same meetings give the same bytes (DTSTAMP is their last change), so an ETag of
    # the document lets a polling calendar program skip what it already has.
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/moeder/<int:meeting_id>/kalender.ics")
def ics(meeting_id: int):  # type: ignore[no-untyped-def]
    """ "Tilføj til kalender": the one meeting as an .ics file."""
    meeting = _meeting_or_404(meeting_id)
    return _calendar_response(
        _calendar([meeting], meeting.title), f"moede-{meeting.id}-{meeting.slug}.ics"
    )


def _calendar_not_found() -> Response:
    return Response(_("Kalenderen findes ikke."), status=404, mimetype="text/plain")


@bp.route("/kalender/<token>/region/<slug>.ics")
def region_calendar(token: str, slug: str) -> Response:
    """A region's meetings, for a calendar program to subscribe to (the token is the login)."""
    member = feeds.member_for_token(db.session, token)
    if member is None:
        return _calendar_not_found()
    try:
        region = places.region_by_slug(db.session, slug)
    except NotFound:
        return _calendar_not_found()
    with force_locale(feeds.feed_locale(member)):
        meetings = domain.calendar_meetings(db.session, region=region)
        body = _calendar(meetings, _("Møder: %(region)s", region=region.name))
    return _calendar_response(body)


@bp.route("/kalender/<path:rest>")
def calendar_not_found(rest: str) -> Response:
    """Any other address under /kalender: the same bare 404, without starting a session."""
    return _calendar_not_found()


@bp.route("/kalender/<token>/mine.ics")
def my_calendar(token: str) -> Response:
    """The meetings the member signed up for."""
    member = feeds.member_for_token(db.session, token)
    if member is None:
        return _calendar_not_found()
    with force_locale(feeds.feed_locale(member)):
        body = _calendar(domain.my_meetings(db.session, member), _("Mine møder"))
    return _calendar_response(body)
