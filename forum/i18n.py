"""Language and time zone per request: the member's choice, Danish by default."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user


def select_locale() -> str:
    """The logged-in member's language; otherwise ?lang= or Danish."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak Danish
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    wanted = request.args.get("lang")
    if wanted in languages:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everyone in the network is in Denmark."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
