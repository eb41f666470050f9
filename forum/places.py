"""Look-ups of regions, themes and municipalities by slug, with Danish errors for bad input."""

from __future__ import annotations

from collections.abc import Mapping

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from forum import permissions, privacy
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import Municipality, Region, Theme
from forum.slugs import slugify


def region_by_slug(session: Session, slug: str, *, field: str | None = None) -> Region:
    """The region with this slug; Invalid (for a form field) or NotFound (for a URL) if none."""
    region = next((r for r in _all(session)[0] if r.slug == slug), None)
    if region is None:
        if field:
            raise Invalid(_l("Vælg en region fra listen."), field=field)
        raise NotFound(_l("Regionen findes ikke."))
    return region


def theme_by_slug(session: Session, slug: str, *, field: str | None = None) -> Theme:
    """The theme with this slug; Invalid (for a form field) or NotFound (for a URL) if none."""
    theme = next((t for t in _all(session)[1] if t.slug == slug), None)
    if theme is None:
        if field:
            raise Invalid(_l("Vælg et tema fra listen."), field=field)
        raise NotFound(_l("Temaet findes ikke."))
    return theme


def filters(session: Session, args: Mapping[str, str]) -> tuple[Region | None, Theme | None]:
    """The region and theme a list is narrowed to (``?region=…&tema=…``); NotFound for a slug
    that names none."""
    region = region_by_slug(session, args["region"]) if args.get("region") else None
    theme = theme_by_slug(session, args["tema"]) if args.get("tema") else None
    return region, theme


def municipality_by_name(session: Session, name: str) -> Municipality | None:
    """Find a municipality by name or slug, forgiving a trailing 'Kommune' and letter case."""
    cleaned = name.strip()
    for suffix in (" kommune", " Kommune"):
        cleaned = cleaned.removesuffix(suffix)
    # The slug too: SQLite's lower() leaves Æ, Ø and Å as they are ("Ærø" is "aeroe").
    return session.scalar(
        select(Municipality).where(
            (func.lower(Municipality.name) == cleaned.lower())
            | (Municipality.slug == cleaned.lower())
            | (Municipality.slug == slugify(cleaned))
        )
    )


def _all(session: Session) -> tuple[list[Region], list[Theme]]:
    """Every region and every theme (two small tables), read once per request: a list page
    shows them in its navigation and names them on each row. Kept with the request (its
    WSGI environ, as forum.urls keeps its patterns), so a change is seen by the next request;
    outside a request (commands, workers) read each time."""
    if not has_request_context():
        return _read_all(session)
    # Read again in another session or transaction: a commit or rollback expires (or undoes)
    # what was read, and an app context pushed inside the request has its own session.
    real = session() if isinstance(session, scoped_session) else session
    found = request.environ.get("forum.places")
    if found is None or found[0] != (real, real.get_transaction()):
        read = _read_all(session)  # begins the transaction if none had begun
        found = request.environ["forum.places"] = ((real, real.get_transaction()), *read)
    return found[1], found[2]


def _forget() -> None:
    """After a theme is added or changed: the request reads the places again."""
    if has_request_context():
        request.environ.pop("forum.places", None)


def _read_all(session: Session) -> tuple[list[Region], list[Theme]]:
    return (
        list(session.scalars(select(Region).order_by(Region.position))),
        list(session.scalars(select(Theme).order_by(Theme.position, Theme.name))),
    )


def regions(session: Session) -> list[Region]:
    """All regions in the network's order (the national scope last)."""
    return list(_all(session)[0])


def all_themes(session: Session) -> list[Theme]:
    """Every theme, the retired ones too (old topics keep theirs)."""
    return list(_all(session)[1])


def active_themes(session: Session) -> list[Theme]:
    """Themes offered for new topics."""
    return [theme for theme in _all(session)[1] if theme.is_active]


def save_theme(
    session: Session,
    admin: object,
    theme: Theme | None,
    *,
    name: str,
    slug: str,
    description: str,
    position: int | None,
    is_active: bool,
) -> Theme:
    """Create or change a theme; the slug (its address) must be unique."""
    if not permissions.can(admin, permissions.ADMINISTER):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    name = " ".join((name or "").split())
    if len(name) < 2:
        raise Invalid(_l("Skriv temaets navn."), field="name")
    privacy.check_personal_data(name, "name")
    privacy.check_personal_data(description, "description")
    slug = slugify(slug or name, max_length=60)
    clash = session.scalar(select(Theme).where(Theme.slug == slug))
    if clash is not None and clash is not theme:
        raise Invalid(_l("Et andet tema bruger allerede denne adresse."), field="slug")
    if theme is None:
        if position is None:  # asked before the empty Theme is added (autoflush would insert it)
            position = (session.scalar(select(func.max(Theme.position))) or 0) + 1
        theme = Theme()
        session.add(theme)
    theme.name = name
    theme.slug = slug
    theme.description = (description or "").strip()
    theme.position = position if position is not None else theme.position
    theme.is_active = is_active
    session.flush()
    _forget()
    return theme


def save_municipality(
    session: Session, admin: object, municipality: Municipality | None, *, name: str, region: Region
) -> Municipality:
    """Create or rename a municipality, or move it to another region."""
    if not permissions.can(admin, permissions.ADMINISTER):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    name = " ".join((name or "").split())
    if len(name) < 2:
        raise Invalid(_l("Skriv kommunens navn."), field="name")
    privacy.check_personal_data(name, "name")
    slug = slugify(name, max_length=60)
    clash = session.scalar(
        select(Municipality).where((Municipality.slug == slug) | (Municipality.name == name))
    )
    if clash is not None and clash is not municipality:
        raise Invalid(_l("Kommunen findes allerede."), field="name")
    if municipality is None:
        municipality = Municipality()
        session.add(municipality)
    municipality.name = name
    municipality.slug = slug
    municipality.region = region
    session.flush()
    return municipality
