"""Demo content for `make run`: three fixed accounts and the network's sample discussions.

The topics are JSON Lines in the import format (forum/demo/content/*.jsonl), loaded through
the same importer members use, so the demo also exercises the import path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from forum import places
from forum.imports import ImportReport, import_lines
from forum.models import NotifyOutboxEntry, Role, Topic, User
from forum.timeutil import utcnow

CONTENT = Path(__file__).parent / "content"
DEMO_PASSWORD = "demo-adgangskode"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    username: str
    name: str
    title: str
    role: str
    municipality: str | None
    organisation: str = ""


ACCOUNTS = (
    DemoAccount(
        "admin@demo.dk", "admin", "Anne Administrator", "Administrator", Role.ADMIN, None, "KL"
    ),
    DemoAccount(
        "facilitator@demo.dk",
        "jonas-holm",
        "Jonas Holm",
        "Chefkonsulent",
        Role.FACILITATOR,
        None,
        "KL",
    ),
    DemoAccount(
        "leder@demo.dk", "mette-kjaer", "Mette Kjær", "Teamleder", Role.MEMBER, "Norddjurs"
    ),
)


def is_empty(session: Session) -> bool:
    """No members and no topics yet: a fresh installation."""
    return not session.scalar(select(func.count(User.id))) and not session.scalar(
        select(func.count(Topic.id))
    )


def create_accounts(session: Session) -> list[User]:
    """The three demo accounts, all with the password ``demo-adgangskode``."""
    password_hash = generate_password_hash(DEMO_PASSWORD)
    users = []
    for account in ACCOUNTS:
        municipality = (
            places.municipality_by_name(session, account.municipality)
            if account.municipality
            else None
        )
        user = User(
            email=account.email,
            username=account.username,
            display_name=account.name,
            job_title=account.title,
            role=account.role,
            municipality=municipality,
            organisation=account.organisation,
            password_hash=password_hash,
        )
        session.add(user)
        users.append(user)
    session.flush()
    return users


def load_demo(session: Session) -> ImportReport:
    """Create the demo accounts, import every demo topic, plan the demo's meetings and put
    the held ones' slides and minutes on them; the caller commits."""
    from forum.demo.materials import add_materials
    from forum.demo.meetings import plan_meetings

    accounts = create_accounts(session)
    total = ImportReport()
    for path in sorted(CONTENT.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            report = import_lines(session, lines)
        total.topics += report.topics
        total.posts += report.posts
        total.users_created += report.users_created
        total.errors.extend((line, f"{path.name}: {message}") for line, message in report.errors)
    if not total.errors:
        facilitator = next(user for user in accounts if user.role == Role.FACILITATOR)
        plan_meetings(session, facilitator)
        add_materials(session, facilitator)
        # The demo's history has already happened: nobody is told of it now (members who
        # join later would otherwise hear of meetings planned before they came).
        session.execute(
            update(NotifyOutboxEntry)
            .where(NotifyOutboxEntry.done_at.is_(None))
            .values(done_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return total
