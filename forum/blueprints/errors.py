"""Error pages in Danish; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from forum.errors import NotAllowed, NotFound
from forum.extensions import db

MESSAGES = {
    400: (_l("Forkert forespørgsel"), _l("Siden kunne ikke forstå forespørgslen.")),
    403: (_l("Ingen adgang"), _l("Du har ikke adgang til denne side.")),
    404: (_l("Siden findes ikke"), _l("Siden findes ikke, eller den er blevet fjernet.")),
    405: (_l("Ikke tilladt"), _l("Den handling kan ikke udføres her.")),
    413: (_l("For stor"), _l("Det, du sendte, er for stort.")),
    429: (
        _l("For mange forsøg"),
        _l("Du har prøvet for mange gange på kort tid. Vent lidt, og prøv igen."),
    ),
    500: (
        _l("Der skete en fejl"),
        _l("Noget gik galt hos os. Prøv igen om lidt; fejlen er skrevet i loggen."),
    ),
}


def text_kept(message: str, body: str | None, title: str | None = None) -> str:
    """A page that explains why a post was not saved and hands its text back."""
    return render_template("topics/text_kept.html", message=message, body=body, title=title)


def _rollback(always: bool = False) -> None:
    """End a failed transaction before the page is drawn: the template asks the database (the
    member's language, their name), and a session whose flush failed answers every question
    with PendingRollbackError, so the error page itself would fail."""
    try:
        if always or not db.session.is_active:
            db.session.rollback()
    except Exception:  # the database itself is gone: still show the page, from what is loaded
        logging.getLogger(__name__).exception("Rolling back before an error page failed")


def error_page(code: int, detail: str | None = None) -> tuple[str, int]:
    """Render the error template for an HTTP status code (after ending any failed transaction)."""
    _rollback(always=code >= 500)
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register(app: Flask) -> None:
    """Attach handlers for HTTP errors, CSRF failures and domain exceptions."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return error_page(exc.code or 500)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        # Cut off before a byte of the form was read, so the text cannot be handed back here;
        # the browser's Back keeps what was typed in the form (the script stops this earlier).
        limit = int(current_app.config["UPLOAD_MAX_MB"])
        message = str(
            _l(
                "Det, du sendte, fyldte mere end %(mb)d MB, så intet blev gemt. Gå tilbage med "
                "browserens tilbage-knap – din tekst står normalt stadig i feltet – og vælg færre "
                "eller mindre filer.",
                mb=limit,
            )
        )
        return error_page(413, message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        message = str(
            _l(
                "Sikkerhedsnøglen i formularen var ugyldig eller udløbet (typisk fordi siden "
                "har stået åben længe, eller du er blevet logget ud)."
            )
        )
        body = request.form.get("body")
        if body:
            # Whatever was written must not be lost with the expired form.
            return text_kept(message, body, request.form.get("title")), 400
        return error_page(400, message)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):  # type: ignore[no-untyped-def]
        return error_page(404, str(exc.message) if exc.message else None)

    @app.errorhandler(NotAllowed)
    def not_allowed(exc: NotAllowed):  # type: ignore[no-untyped-def]
        return error_page(403, str(exc.message) if exc.message else None)

    @app.errorhandler(500)
    def server_error(exc: Exception):  # type: ignore[no-untyped-def]
        return error_page(500)
