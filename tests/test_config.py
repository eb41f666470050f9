"""Settings come from FORUM_* variables; production refuses the development secret key."""

from __future__ import annotations

import pytest

from forum import create_app
from forum.config import DEV_SECRET_KEY


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORUM_TOPICS_PER_PAGE", "7")
    monkeypatch.setenv("FORUM_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app()
    assert app.config["TOPICS_PER_PAGE"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_default_database_is_sqlite_in_instance_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUM_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/forum.db")


def test_production_refuses_development_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="FORUM_SECRET_KEY"):
        create_app()


def test_production_with_real_key_has_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("FORUM_SECRET_KEY", "a" * 64)
    app = create_app()
    assert app.config["SECRET_KEY"] != DEV_SECRET_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
