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


class _Body:
    """A WSGI body that records when it was closed."""

    def __init__(self) -> None:
        self.closed = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield b"one"
        yield b"two"

    def close(self) -> None:
        self.closed += 1


def test_the_body_closes_when_the_dev_server_has_iterated_it() -> None:
    from forum.afterwards import CloseAfterBody

    body = _Body()
    wrapped = CloseAfterBody(lambda environ, start_response: body)
    result = wrapped({"SERVER_SOFTWARE": "Werkzeug/3.1.3 Python/3.11.7"}, None)
    chunks = iter(result)
    assert next(chunks) == b"one"
    assert next(chunks) == b"two"
    assert body.closed == 0  # the last chunk is being written
    assert list(chunks) == []
    assert body.closed == 1  # before the server reads the rest of the request (and may fail)
    result.close()  # the server's own close does nothing more
    assert body.closed == 1


def test_other_servers_get_the_body_untouched() -> None:
    from forum.afterwards import CloseAfterBody

    body = _Body()
    wrapped = CloseAfterBody(lambda environ, start_response: body)
    assert wrapped({"SERVER_SOFTWARE": "gunicorn/23.0.0"}, None) is body
