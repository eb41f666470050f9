"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forum.extensions import db


def test_migrated_schema_matches_the_models(app) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_run_over_existing_data_down_and_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite alters a table by copying it: with rows pointing at ``users`` that must still work
    (foreign keys off while migrating), and 0006 gives earlier writers their read state."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from forum import create_app
    from forum.config import TestConfig
    from forum.models import TopicMember
    from tests import factories

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'upgrade.db'}"
    settings["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    app = create_app(settings)
    with app.app_context():
        upgrade()  # the first migration brings the reference data
        author = factories.user(db.session, name="Mette Kjær", municipality="Aarhus")
        replier = factories.user(db.session, name="Søren Holm", municipality="Vejle")
        topic = factories.topic(db.session, author, replies=2, repliers=[replier])
        db.session.commit()
        author_id, replier_id = author.id, replier.id
        assert topic.id
        db.session.remove()

        downgrade(revision="0004")
        upgrade()

        rows = {
            (row.user_id, row.level_reason, row.last_read_post_number)
            for row in db.session.scalars(db.select(TopicMember))
        }
        assert rows == {(author_id, "created", 3), (replier_id, "replied", 3)}
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()
        db.engine.dispose()


def test_0011_gives_every_member_the_defaults_and_goes_back(app) -> None:  # type: ignore[no-untyped-def]
    """Members from before 0011 watch the topics they start and track those they reply to
    (the server defaults); downgrading drops the two columns again, on each backend."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from tests import factories

    member = factories.user(db.session, name="Mette Kjær", municipality="Aarhus")
    member.started_topic_level, member.replied_topic_level = 1, 1
    db.session.commit()
    member_id = member.id
    db.session.remove()

    def columns() -> set[str]:
        with db.engine.connect() as connection:
            return {column["name"] for column in inspect(connection).get_columns("users")}

    downgrade(revision="0010")
    try:
        assert {"started_topic_level", "replied_topic_level"}.isdisjoint(columns())
    finally:
        upgrade()
    assert {"started_topic_level", "replied_topic_level"} <= columns()
    with db.engine.connect() as connection:
        levels = connection.execute(
            text("SELECT started_topic_level, replied_topic_level FROM users WHERE id = :id"),
            {"id": member_id},
        ).one()
    assert tuple(levels) == (3, 2)
    db.engine.dispose()
