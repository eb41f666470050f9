"""Small writes after a response: committed in their own session, failures logged, not raised."""

from __future__ import annotations

from sqlalchemy import text, update

from forum.afterwards import small_write
from forum.extensions import db
from forum.models import User


def test_a_small_write_commits_in_its_own_session(app, member) -> None:  # type: ignore[no-untyped-def]
    db.session.commit()
    member_id = member.id
    member.job_title = "Ikke gemt af skriveren"  # the view's own change, never to be stored
    small_write(
        app,
        lambda session: session.execute(
            update(User).where(User.id == member_id).values(display_name="Nyt Navn")
        ),
        "a test",
    )
    db.session.rollback()
    assert db.session.get(User, member_id).display_name == "Nyt Navn"
    assert db.session.get(User, member_id).job_title != "Ikke gemt af skriveren"


def test_a_failing_small_write_is_logged_and_not_raised(app, caplog) -> None:  # type: ignore[no-untyped-def]
    small_write(app, lambda session: session.execute(text("SELECT * FROM no_such_table")), "x y")
    assert "could not record x y" in caplog.text
