"""Settings: every value has a laptop default; ``FORUM_<NAME>`` environment variables override."""

from __future__ import annotations

from datetime import timedelta

DEV_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


class Config:
    """Defaults for development; production changes them through ``FORUM_*`` variables."""

    # "development" or "production"; production refuses the development secret key.
    ENV = "development"
    SECRET_KEY = DEV_SECRET_KEY
    # None means a SQLite file in the instance folder (set in create_app, which knows the path).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # Remember-me is short-lived: a shared municipal laptop must not stay logged in for a year.
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = 12 * 3600

    # Strict-Transport-Security max-age in production (0: no header); one year by default.
    HSTS_SECONDS = 365 * 24 * 3600

    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    PROXY_FIX_HOPS = 0

    # Where login and reset attempts are counted: "database" (shared by every worker and node
    # on this database) or a redis:// URI. Limits as the `limits` library writes them.
    RATELIMIT_STORAGE_URI = "database"
    RATELIMIT_KEY_PREFIX = "forum"
    RATELIMIT_ENABLED = True
    # Per e-mail typed: the guard against guessing one member's password.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    # Per address, failures only, and high: a whole municipality may share one address.
    LOGIN_LIMIT_PER_IP = "100 per 15 minutes"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_IP = "30 per hour"
    # A login's last-seen time (shown in the member's settings) moves at most this often.
    LOGIN_TOUCH_SECONDS = 300

    INVITATION_DAYS = 14
    PASSWORD_RESET_HOURS = 2
    PASSWORD_MIN_LENGTH = 12

    TOPICS_PER_PAGE = 30
    POSTS_PER_PAGE = 20
    NOTIFICATIONS_PER_PAGE = 30
    TITLE_MAX_LENGTH = 150
    BODY_MAX_LENGTH = 30000

    # Where the search index lives; empty means instance/search-index. Each app node keeps its
    # own (rebuilt from the database with `flask search rebuild`).
    SEARCH_INDEX_DIR = ""
    # Apply a request's changes to the index right after its response (off: only by CLI).
    SEARCH_SYNC_AFTER_REQUEST = True

    # Uploaded files (forum.storage): "local" keeps them under UPLOAD_DIR (empty means
    # instance/uploads), "s3" in an S3-compatible bucket that several app nodes share
    # (credentials from the usual AWS_* environment or the machine's role).
    UPLOAD_STORAGE = "local"
    UPLOAD_DIR = ""
    UPLOAD_MAX_MB = 25
    S3_BUCKET = ""
    S3_ENDPOINT_URL = ""  # empty: AWS itself; else e.g. a MinIO or Ceph address
    S3_REGION = ""
    S3_PREFIX = "uploads/"

    # "Kun når jeg ikke er på forummet": a notification is e-mailed after this many seconds,
    # and not at all if the member has read it meanwhile.
    NOTIFY_EMAIL_DELAY_SECONDS = 600
    # Write a post's notifications right after its response (off: only `flask notify send`).
    NOTIFY_AFTER_REQUEST = True

    # The forum's public address: links in e-mails and feeds, also when written by a command.
    BASE_URL = "http://127.0.0.1:5000"

    # Empty MAIL_SERVER: mail is written to the log instead of sent (development).
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = True
    # A CA bundle to verify the SMTP server's certificate by (a relay with a private CA);
    # empty: the system's trusted CAs.
    MAIL_CA_FILE = ""
    MAIL_SENDER = "Ledernetværket <forum@localhost>"
    # Sent mail is deleted this many days after it left (`flask mail prune`, `flask mail send`).
    MAIL_RETENTION_DAYS = 30


class TestConfig(Config):
    """Settings for the test suite: the database URI is supplied by the fixtures."""

    TESTING = True
    ENV = "testing"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SECRET_KEY = "test-secret-key"
