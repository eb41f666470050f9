"""Test data: small functions that add models and flush (they never commit)."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from forum import accounts, places
from forum.models import Municipality, Post, Role, Topic, TopicKind, User
from forum.topics import append_post, build_topic

PASSWORD = "test-adgangskode-123"
# A cheap hash: scrypt's deliberate slowness would dominate the suite's run time.
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_counter = itertools.count(1)


def municipality(session: Session, name: str) -> Municipality:
    found = places.municipality_by_name(session, name)
    assert found is not None, name
    return found


def facilitator_invitation(session: Session, inviter: User, email: str = "ny@kl.dk") -> str:
    """An open invitation for a KL facilitator; returns its token."""
    _invitation, token = accounts.create_invitation(
        session, inviter, email=email, role=Role.FACILITATOR, municipality=None, organisation="KL"
    )
    return token


def user(
    session: Session,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str = Role.MEMBER,
    municipality: str | None = "Aarhus",
    organisation: str = "",
    active: bool = True,
    job_title: str = "Teamleder",
) -> User:
    n = next(_counter)
    name = name or f"Deltager {n}"
    if organisation and municipality == "Aarhus":
        municipality = None
    member = User(
        email=email or f"user{n}@kommune.example",
        username=accounts.unique_username(session, name),
        display_name=name,
        job_title=job_title,
        role=role,
        municipality=globals()["municipality"](session, municipality) if municipality else None,
        organisation=organisation,
        active=active,
        password_hash=_HASH,
    )
    session.add(member)
    session.flush()
    return member


def topic(
    session: Session,
    author: User,
    *,
    title: str | None = None,
    body: str = "Hvordan griber I det an i jeres kommune?",
    kind: str = TopicKind.DISCUSSION,
    region: str = "midtjylland",
    theme: str = "netvaerksanbringelser",
    replies: int = 0,
    repliers: list[User] | None = None,
    created_at: datetime | None = None,
) -> Topic:
    n = next(_counter)
    created = build_topic(
        session,
        author,
        title=title or f"Erfaringer med netværksanbringelser nr. {n}",
        body=body,
        kind=kind,
        region=places.region_by_slug(session, region),
        theme=places.theme_by_slug(session, theme),
        created_at=created_at,
    )
    for i in range(replies):
        who = (repliers or [author])[i % len(repliers or [author])]
        append_post(session, who, created, f"Svar nummer {i + 1}: sådan gør vi hos os.")
    return created


def post(session: Session, topic: Topic, number: int) -> Post:
    found = session.scalar(select(Post).where(Post.topic_id == topic.id, Post.number == number))
    assert found is not None
    return found
