"""The forum of the Danish leader network on vulnerable children and young people."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from forum.afterwards import CloseAfterBody
from forum.config import DEV_SECRET_KEY, Config
from forum.extensions import babel, csrf, db, login_manager, migrate

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
# A wheel carries templates/, static/, migrations/ and translations/ inside the package (setup.py
# copies them in at build time); a source checkout keeps them beside it, where they are edited.
INSTALLED = (PACKAGE / "templates").is_dir()


def shipped(name: str) -> Path:
    """Where the directory ``name`` (templates, static, migrations, translations) is."""
    return (PACKAGE if INSTALLED else ROOT) / name


def create_app(config: type | Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        template_folder=str(shipped("templates")),
        static_folder=str(shipped("static")),
        # Installed, Flask's own default (<prefix>/var/forum-instance), never site-packages.
        instance_path=None if INSTALLED else str(ROOT / "instance"),
    )
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app: Flask, config: type | Mapping[str, Any] | None) -> None:
    """Defaults, then FORUM_* environment variables, then explicit (test) settings."""
    app.config.from_object(Config)
    app.config.from_prefixed_env("FORUM")
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    elif config is not None:
        app.config.from_object(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'forum.db'}"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(shipped("translations"))
    # A request may carry one upload a little over the limit (forum.uploads then says "too
    # large" beside the field); anything bigger is cut off with 413 before it is read.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = (int(app.config["UPLOAD_MAX_MB"]) + 1) * 1024 * 1024
    if app.config["ENV"] == "production":
        if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
            raise RuntimeError(
                "FORUM_SECRET_KEY must be set to a long random value in production "
                '(python -c "import secrets; print(secrets.token_hex(32))").'
            )
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    elif app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.testing:
        logging.getLogger(__name__).warning(
            "Using the development secret key: set FORUM_ENV=production and FORUM_SECRET_KEY "
            "before this serves anyone."
        )
    # The work after a response runs under `flask run` too (forum.afterwards.CloseAfterBody).
    app.wsgi_app = CloseAfterBody(app.wsgi_app)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops > 0:
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto/-Host, so that rate limits
        # see members' addresses and e-mailed links use https and the public host name.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite as a real server database: WAL for concurrent readers, waits instead of errors."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects of forum.extensions."""
    from forum import models, search, storage, throttle  # noqa: F401  (models: the tables)
    from forum.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(shipped("migrations")))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    throttle.init_app(app)
    login_manager.init_app(app)
    search.init_app(app)
    storage.init_app(app)  # a wrong FORUM_UPLOAD_STORAGE stops the app here, not at an upload
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log ind for at se forummet.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(login_id: str) -> Any:
        from forum import logins

        return logins.load(db.session, login_id)


def register_blueprints(app: Flask) -> None:
    """One blueprint (``bp``) per module in forum/blueprints, each registered once."""
    import importlib
    import pkgutil

    from forum import blueprints
    from forum.urls import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter

    for info in sorted(pkgutil.iter_modules(blueprints.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"forum.blueprints.{info.name}")
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    """Danish error pages; domain exceptions become 403/404."""
    from forum.blueprints.errors import register

    register(app)


# Pages a visitor who is not logged in may open: the network is closed.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.accept_invitation",
    "auth.forgot_password",
    "auth.reset_password",
    # An e-mail's unsubscribe link: its signed token is the permission (RFC 8058 one-click).
    "unsubscribe.confirm",
    "unsubscribe.apply",
    # Feed readers have no session: the feeds authenticate by the token in their URL
    # (forum.feeds), and anything else under /feeds is a bare 404.
    "feeds.latest",
    "feeds.region",
    "feeds.theme",
    "feeds.topic",
    "feeds.not_found",
    # Subscribed calendars (forum.blueprints.meetings): the same feed token in their URL.
    "meetings.region_calendar",
    "meetings.my_calendar",
    "meetings.calendar_not_found",
    "static",
}


def register_request_hooks(app: Flask) -> None:
    """Login everywhere, security headers, and mail sent after the response is decided."""

    @app.before_request
    def require_login() -> Any:
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def security_headers(response: Any) -> Any:
        # A stricter policy a view set stays (a member's file is served sandboxed).
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        hsts = int(app.config["HSTS_SECONDS"])
        if app.config["ENV"] == "production" and hsts > 0:
            # Only production is behind https; a laptop on http must not pin itself to https.
            response.headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
        if request.endpoint != "static" and current_user.is_authenticated:
            # Member-only pages must not be kept by shared caches.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    @app.before_request
    def refuse_nul_bytes() -> None:
        # PostgreSQL cannot store NUL in text; such input is never legitimate.
        values = [request.path, *request.args.values()]
        if request.method == "POST":
            values.extend(request.form.values())
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def record_login_seen(response: Any) -> Any:
        from forum import logins

        return logins.schedule_touch(app, response)

    @app.after_request
    def send_queued_mail(response: Any) -> Any:
        # After the response has gone: a slow or failing SMTP server must neither delay the
        # page nor reveal (by timing) whether a password-reset address belongs to a member.
        # The notifications a post causes are written here too, off the request: a reply in a
        # region two thousand members follow costs its writer one outbox row.
        notify = bool(g.get("notify_queued")) and app.config["NOTIFY_AFTER_REQUEST"]
        if notify or g.get("mail_queued"):
            response.call_on_close(partial(_work_after_response, app, notify))
        return response


def _work_after_response(app: Flask, notify: bool) -> None:
    from forum.mail import send_pending
    from forum.notify import run

    log = logging.getLogger(__name__)
    with app.app_context():
        if notify:
            try:
                run(db.session)
            except Exception:  # `flask notify send` catches up
                db.session.rollback()
                log.exception("Writing notifications failed")
        try:
            send_pending(db.session)
        except Exception:  # mail must never break a page; `flask mail send` retries
            log.exception("Sending queued mail failed")
        finally:
            db.session.remove()


def register_template_helpers(app: Flask) -> None:
    """Jinja filters and globals: Danish dates, the permission policy, labels."""
    from forum.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    """flask commands: demo, create-admin, generate, import-jsonl, mail."""
    from forum.cli import register

    register(app)
