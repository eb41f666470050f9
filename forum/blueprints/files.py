"""Files: downloads through the permission policy, preview images, deleting and restoring.

A file is served only to a member who may see what it is attached to, under its own name in
the address (``/filer/<id>/<name>``), with ``Content-Disposition: attachment`` (images
inline), ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``: even a
file that slipped past the sniffing could not run script on the forum's origin.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from forum import files, places
from forum.extensions import db
from forum.models import Attachment
from forum.storage import Missing
from forum.templating import file_url, meeting_url, post_url
from forum.urls import page_number

bp = Blueprint("files", __name__)


def _or_404(attachment_id: int) -> Attachment:
    return files.get_attachment(db.session, current_user, attachment_id)


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'"
    )
    # Members' files: their browser may keep them, nothing in between.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _disposition(attachment: Attachment, inline: bool) -> str:
    """The download's name, ASCII for old clients and UTF-8 for the rest (RFC 6266/5987)."""
    fallback = attachment.filename.encode("ascii", "replace").decode().replace("?", "_")
    fallback = fallback.replace('"', "_").replace("\\", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.filename)}"


@bp.route("/filer/<int:attachment_id>/<path:name>")
def download(attachment_id: int, name: str) -> Response:
    """The file, under its own name (another name redirects there)."""
    attachment = _or_404(attachment_id)
    if name != attachment.filename:
        return redirect(file_url(attachment), code=301)  # type: ignore[return-value]
    inline = attachment.is_image
    try:
        path = files.local_path(attachment)
        if path is not None:
            # From the disk with ranges and conditional requests (a PDF viewer asks for parts).
            response = send_file(
                path, mimetype=attachment.mime, conditional=True, etag=attachment.digest
            )
        else:
            response = send_file(
                files.open_stored(attachment), mimetype=attachment.mime, etag=attachment.digest
            )
    except Missing:
        abort(404)
    response.headers["Content-Disposition"] = _disposition(attachment, inline)
    return _secure(response)


# No extension: a file's own name always has one, so the two addresses never meet.
@bp.route("/filer/<int:attachment_id>/forhaandsvisning")
def preview(attachment_id: int) -> Response:
    """The file's preview image (a PDF's first page, a smaller image)."""
    attachment = _or_404(attachment_id)
    if attachment.preview_digest is None:
        abort(404)
    try:
        response = send_file(
            files.open_stored(attachment, preview=True),
            mimetype="image/png",
            etag=attachment.preview_digest,
        )
    except Missing:
        abort(404)
    return _secure(response.make_conditional(request))


@bp.route("/materialer")
def materials():  # type: ignore[no-untyped-def]
    """Every file from the network's meetings and material topics, newest first, by region
    and theme."""
    region, theme = places.filters(db.session, request.args)  # NotFound: a 404 page
    pagination = db.paginate(
        files.materials_query(region=region, theme=theme),
        page=request.args.get("page", 1, type=page_number),
        per_page=30,
        error_out=False,
    )
    return render_template(
        "files/materials.html",
        pagination=pagination,
        region=region,
        theme=theme,
        regions=places.regions(db.session),
        themes=places.active_themes(db.session),
    )


def _back(attachment: Attachment):  # type: ignore[no-untyped-def]
    if attachment.meeting is not None:
        return redirect(meeting_url(attachment.meeting, _anchor="materialer"))
    if attachment.post is not None:
        return redirect(post_url(attachment.post) + f"#p{attachment.post.number}")
    return redirect(url_for("browse.index"))


@bp.route("/filer/<int:attachment_id>/slet", methods=["POST"])
def delete(attachment_id: int):  # type: ignore[no-untyped-def]
    attachment = _or_404(attachment_id)
    files.delete_file(db.session, current_user, attachment)
    db.session.commit()
    flash(_("Filen er slettet. En facilitator kan gendanne den."), "success")
    return _back(attachment)


@bp.route("/filer/<int:attachment_id>/gendan", methods=["POST"])
def restore(attachment_id: int):  # type: ignore[no-untyped-def]
    attachment = _or_404(attachment_id)
    files.restore_file(db.session, current_user, attachment)
    db.session.commit()
    flash(_("Filen er gendannet."), "success")
    return _back(attachment)
