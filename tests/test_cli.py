"""`flask` commands: import-jsonl, demo, create-admin, mail send; and the migrated schema."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from forum import create_app
from forum.extensions import db
from forum.mail import MAX_ATTEMPTS, queue_mail
from forum.models import (
    Attachment,
    MailMessage,
    Meeting,
    Municipality,
    NotifyOutboxEntry,
    Post,
    Region,
    Role,
    TextStatus,
    Theme,
    Topic,
    TopicKind,
    User,
)
from tests import factories
from tests.conftest import _settings

DOMAIN_THEMES = {
    "barnets-lov": "Implementering af Barnets Lov",
    "tidlig-indsats": "Tidlig og forebyggende indsats",
    "netvaerksanbringelser": "Netværksanbringelser",
    "familiepleje": "Kvalitet i familiepleje",
    "anbringelser": "Kvalitet i anbringelser og færre skift",
    "helhedsorienteret-indsats": "Helhedsorienteret og tværfaglig indsats",
    "inddragelse": "Inddragelse og børns rettigheder",
    "sagsbehandling": "Kontinuitet og kvalitet i sagsbehandlingen",
    "hverdagsliv": "Hverdagsliv og netværk i anbringelsen",
    "voksenliv": "Overgang til voksenlivet og efterværn",
    "civilsamfund": "Samarbejde med civilsamfundet",
    "adoption": "Adoption og permanens",
    "ledelse": "Ledelse af forandring",
}
DOMAIN_REGIONS = {
    "nordjylland": "Region Nordjylland",
    "midtjylland": "Region Midtjylland",
    "syddanmark": "Region Syddanmark",
    "sjaelland": "Region Sjælland",
    "hovedstaden": "Region Hovedstaden",
    "landsdaekkende": "Landsdækkende",
}


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def jsonl(*records: object) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )


def topic_record(title: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": title,
        "kind": "experience",
        "region": "syddanmark",
        "theme": "familiepleje",
        "posts": [
            {
                "author": "lise@odense.dk",
                "author_name": "Lise Lund",
                "municipality": "Odense",
                "body": "Vi har styrket opfølgningen på plejefamilierne.",
            },
            {
                "author": "bo@vejle.dk",
                "author_name": "Bo Berg",
                "municipality": "Vejle",
                "body": "Det har vi også gjort.",
            },
        ],
    }
    data.update(changes)
    return data


# -- import-jsonl ----------------------------------------------------------------------------


def test_import_jsonl_good_file(runner, tmp_path):
    path = tmp_path / "emner.jsonl"
    path.write_text(
        jsonl(topic_record("Opfølgning på plejefamilier"), topic_record("Kvalitet i plejen")),
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-jsonl", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 topics and 4 posts; 2 new (inactive) members." in result.output
    assert sorted(db.session.scalars(select(Topic.title))) == [
        "Kvalitet i plejen",
        "Opfølgning på plejefamilier",
    ]
    assert count(Post) == 4
    assert not any(db.session.scalars(select(User.active)))


def test_import_jsonl_reports_bad_line_and_keeps_good_ones(runner, tmp_path):
    path = tmp_path / "emner.jsonl"
    bad = topic_record("Et emne med et CPR-nummer")
    bad["posts"][0]["body"] = "Drengen (120590-1234) er anbragt."  # type: ignore[index]
    path.write_text(
        jsonl(
            topic_record("Før den dårlige linje"),
            "{ikke json",
            bad,
            topic_record("Efter den dårlige linje"),
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-jsonl", str(path)])
    assert result.exit_code != 0
    assert "line 2: ugyldig JSON" in result.output
    assert "line 3: indlæg 1: Teksten ser ud til at indeholde et CPR-nummer" in result.output
    assert "120590-1234" not in result.output  # the number is masked, not repeated
    assert "2 line(s) skipped." in result.output
    assert sorted(db.session.scalars(select(Topic.title))) == [
        "Efter den dårlige linje",
        "Før den dårlige linje",
    ]


def test_import_jsonl_missing_file(runner, tmp_path):
    result = runner.invoke(args=["import-jsonl", str(tmp_path / "findes-ikke.jsonl")])
    assert result.exit_code != 0
    assert count(Topic) == 0


# -- demo ------------------------------------------------------------------------------------


def test_demo_loads_the_network(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo content loaded:" in result.output
    assert "demo-adgangskode" in result.output

    assert count(Topic) >= 60
    assert count(Post) >= 300
    regions = set(db.session.scalars(select(Region.slug).join(Topic, Topic.region_id == Region.id)))
    assert regions == set(DOMAIN_REGIONS)
    themes = set(db.session.scalars(select(Theme.slug).join(Topic, Topic.theme_id == Theme.id)))
    assert themes == set(DOMAIN_THEMES)
    assert set(db.session.scalars(select(Topic.kind))) == set(TopicKind.ALL)
    # The material threads' "slides og referat som bilag på mødesiden" are there, read and
    # searchable: real uploads, made from the threads' own text.
    from forum.demo.meetings import HELD as HELD_MEETINGS

    held = db.session.scalars(
        select(Meeting).where(Meeting.title.in_([m.title for m in HELD_MEETINGS]))
    ).all()
    assert len(held) >= 5
    for meeting in held:
        names = sorted(
            a.filename.rsplit(".", 1)[1]
            for a in db.session.scalars(
                select(Attachment).where(Attachment.meeting_id == meeting.id)
            )
        )
        assert names == ["pdf", "pptx"], meeting.title
    assert set(db.session.scalars(select(Attachment.text_status))) == {TextStatus.OK}
    # Put up the day after each meeting, and nobody is told now of the demo's past.
    for meeting in held:
        for attachment in db.session.scalars(
            select(Attachment).where(Attachment.meeting_id == meeting.id)
        ):
            assert attachment.created_at == meeting.ends_at + timedelta(days=1)
    assert count(NotifyOutboxEntry) >= 1
    assert not db.session.scalars(
        select(NotifyOutboxEntry).where(NotifyOutboxEntry.done_at.is_(None))
    ).all()

    pinned = db.session.execute(
        select(Region.slug, func.count(Topic.id))
        .join(Topic, Topic.region_id == Region.id)
        .where(Topic.kind == TopicKind.MATERIAL, Topic.pin_scope == "region")
        .group_by(Region.slug)
    ).all()
    assert dict(pinned) == dict.fromkeys(DOMAIN_REGIONS, 1)
    answered = db.session.scalar(
        select(func.count(Topic.id)).where(Topic.answer_post_id.isnot(None))
    )
    assert answered >= 1
    # Last autumn's meetings own the material threads that speak of "mødesiden"; the next
    # round is ahead of today, whenever the demo is loaded.
    from forum.demo.meetings import HELD
    from forum.timeutil import utcnow

    meetings = db.session.scalars(select(Meeting)).all()
    held = {m.title: m for m in meetings if m.ends_at < utcnow()}
    assert set(held) == {demo.title for demo in HELD}
    assert {m.topic.title for m in held.values()} == {demo.topic_title for demo in HELD}
    assert sum(m.starts_at > utcnow() for m in meetings) >= 4
    assert "meetings." in result.output

    client = app.test_client()
    for email, role in [
        ("admin@demo.dk", Role.ADMIN),
        ("facilitator@demo.dk", Role.FACILITATOR),
        ("leder@demo.dk", Role.MEMBER),
    ]:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role
        assert user.active
        wrong = client.post("/login", data={"email": email, "password": "forkert-adgangskode"})
        assert wrong.status_code == 200
        response = client.post("/login", data={"email": email, "password": "demo-adgangskode"})
        assert response.status_code == 302, email
        assert response.headers["Location"] == "/"
        assert client.post("/logout").headers["Location"] == "/login"
    leder = db.session.scalar(select(User).where(User.email == "leder@demo.dk"))
    assert leder.municipality.name == "Norddjurs"


def test_demo_if_empty_twice(runner):
    first = runner.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    topics, posts, users = count(Topic), count(Post), count(User)
    assert topics > 0
    second = runner.invoke(args=["demo", "--if-empty"])
    assert second.exit_code == 0
    assert "demo content not loaded" in second.output
    assert (count(Topic), count(Post), count(User)) == (topics, posts, users)


def test_demo_refuses_a_database_with_content(runner, member):
    db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert count(Topic) == 0
    assert count(User) == 1


def test_demo_if_empty_skips_a_database_with_members(runner, member):
    db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert count(Topic) == 0


# -- create-admin ----------------------------------------------------------------------------


def test_create_admin_with_option(runner, client):
    result = runner.invoke(
        args=[
            "create-admin",
            "Chef@KL.dk",
            "--name",
            "Bo Chef",
            "--password",
            "lang-nok-adgangskode",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Administrator chef@kl.dk created." in result.output
    user = db.session.scalar(select(User).where(User.email == "chef@kl.dk"))
    assert user.role == Role.ADMIN
    assert user.active
    assert user.display_name == "Bo Chef"
    assert user.username == "bo-chef"
    response = client.post(
        "/login", data={"email": "chef@kl.dk", "password": "lang-nok-adgangskode"}
    )
    assert response.headers["Location"] == "/"
    assert client.get("/admin/medlemmer").status_code == 200


def test_create_admin_with_prompted_password(runner):
    result = runner.invoke(
        args=["create-admin", "chef@kl.dk"], input="lang-nok-adgangskode\nlang-nok-adgangskode\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chef@kl.dk"))
    assert user.role == Role.ADMIN
    assert user.display_name == "Administrator"
    assert "lang-nok-adgangskode" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-admin", "chef@kl.dk", "--password", "kort"], "mindst 12 tegn"),
        (["create-admin", "chef@kl.dk", "--password", "a" * 11], "mindst 12 tegn"),
        (
            ["create-admin", "ikke-en-adresse", "--password", "lang-nok-adgangskode"],
            "Not an e-mail address",
        ),
    ],
)
def test_create_admin_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_create_admin_refuses_existing_email(runner, member):
    db.session.commit()
    result = runner.invoke(
        args=["create-admin", member.email.upper(), "--password", "lang-nok-adgangskode"]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db.session.get(User, member.id).role == Role.MEMBER
    assert count(User) == 1


# -- mail send -------------------------------------------------------------------------------


def test_mail_send_without_server_logs_the_mail(runner, caplog):
    queue_mail(db.session, "lise@odense.dk", "Ugens nyt", "Der er 3 nye emner i din region.")
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="forum.mail"):
        result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0." in result.output
    message = db.session.scalar(select(MailMessage))
    assert message.sent_at is not None
    assert message.attempts == 1
    assert "lise@odense.dk" in caplog.text
    assert "Der er 3 nye emner i din region." in caplog.text
    again = runner.invoke(args=["mail", "send"])
    assert "Sent 0, failed 0." in again.output


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mail_send_failure_is_kept_for_retry(app, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port())
    queue_mail(db.session, "lise@odense.dk", "Emne", "Tekst")
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code != 0
    assert "Sent 0, failed 1." in result.output
    message = db.session.scalar(select(MailMessage))
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error


def test_mail_send_gives_up_after_max_attempts(runner):
    message = queue_mail(db.session, "lise@odense.dk", "Emne", "Tekst")
    message.attempts = MAX_ATTEMPTS
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0
    assert "Sent 0, failed 0." in result.output
    assert db.session.get(MailMessage, message.id).sent_at is None


# -- the migrated schema ---------------------------------------------------------------------


@pytest.fixture
def empty_database_url(database_url: str, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A new, empty database on the same backend as ``database_url``."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"forum_migrations_{uuid.uuid4().hex[:12]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_flask_db_upgrade_builds_schema_and_reference_data(empty_database_url):
    fresh = create_app(_settings(empty_database_url))
    result = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        try:
            regions = dict(db.session.execute(select(Region.slug, Region.name)).all())
            assert regions == DOMAIN_REGIONS
            national = db.session.scalars(select(Region.slug).where(Region.is_national)).all()
            assert national == ["landsdaekkende"]
            assert db.session.scalar(select(func.count(Municipality.id))) == 98
            per_region = dict(
                db.session.execute(
                    select(Region.slug, func.count(Municipality.id))
                    .join(Municipality, Municipality.region_id == Region.id)
                    .group_by(Region.slug)
                ).all()
            )
            assert per_region == {
                "nordjylland": 11,
                "midtjylland": 19,
                "syddanmark": 22,
                "sjaelland": 17,
                "hovedstaden": 29,
            }
            themes = dict(db.session.execute(select(Theme.slug, Theme.name)).all())
            assert themes == DOMAIN_THEMES
            assert all(db.session.scalars(select(Theme.is_active)))
            assert db.session.scalar(select(func.count(User.id))) == 0
            check = fresh.test_cli_runner().invoke(args=["db", "check"])
            assert check.exit_code == 0, check.output
        finally:
            db.session.remove()
            db.engine.dispose()


def test_reference_data_matches_the_migration(app):
    """The fixtures' reset (insert_reference_data) gives what the migration gives."""
    assert dict(db.session.execute(select(Region.slug, Region.name)).all()) == DOMAIN_REGIONS
    assert dict(db.session.execute(select(Theme.slug, Theme.name)).all()) == DOMAIN_THEMES
    assert db.session.scalar(select(func.count(Municipality.id))) == 98
    assert factories.municipality(db.session, "Norddjurs").region.slug == "midtjylland"


@pytest.mark.parametrize(
    "args", [["generate", "--topics", "2"], ["demo"], ["mail", "send"], ["create-admin", "a@b.dk"]]
)
def test_commands_on_a_database_without_schema_say_so_in_one_line(tmp_path, args):
    from forum import create_app

    empty = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    result = empty.test_cli_runner().invoke(args=args, input="x" * 12 + "\n" + "x" * 12 + "\n")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert "db upgrade" in errors[0]
    with empty.app_context():
        db.engine.dispose()
