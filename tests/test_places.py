"""Regions, themes and municipalities: look-ups, counts, and administrators' edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import places
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import Region


@pytest.mark.parametrize(
    "name", ["Norddjurs", "norddjurs", "Norddjurs Kommune", "  Norddjurs kommune ", "norddjurs"]
)
def test_municipality_by_name_forgives_case_and_suffix(session, name) -> None:  # type: ignore[no-untyped-def]
    found = places.municipality_by_name(session, name)
    assert found is not None
    assert found.name == "Norddjurs"
    assert found.region.slug == "midtjylland"


@pytest.mark.parametrize("name", ["Ærø", "ÆRØ", "Ærø Kommune", "Aeroe"])
def test_municipality_by_name_with_a_danish_capital(session, name) -> None:  # type: ignore[no-untyped-def]
    # SQLite's lower() leaves Æ as it is: the name alone would miss "Ærø" typed with a capital.
    assert places.municipality_by_name(session, name).name == "Ærø"


def test_municipality_by_slug_and_unknown(session) -> None:  # type: ignore[no-untyped-def]
    assert places.municipality_by_name(session, "hoeje-taastrup").name == "Høje-Taastrup"
    assert places.municipality_by_name(session, "Atlantis") is None


def test_unknown_slugs_are_not_found_in_urls_and_invalid_in_forms(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        places.region_by_slug(session, "jylland")
    with pytest.raises(Invalid) as caught:
        places.theme_by_slug(session, "nope", field="theme")
    assert caught.value.field == "theme"


def test_inactive_themes_are_not_offered(session, admin) -> None:  # type: ignore[no-untyped-def]
    theme = places.theme_by_slug(session, "adoption")
    places.save_theme(
        session,
        admin,
        theme,
        name=theme.name,
        slug=theme.slug,
        description="",
        position=theme.position,
        is_active=False,
    )
    assert "adoption" not in [t.slug for t in places.active_themes(session)]


def test_save_theme_derives_slug_and_refuses_clashes(session, admin, member) -> None:  # type: ignore[no-untyped-def]
    created = places.save_theme(
        session,
        admin,
        None,
        name="Børn i udsatte boligområder",
        slug="",
        description="",
        position=None,
        is_active=True,
    )
    assert created.slug == "boern-i-udsatte-boligomraader"
    assert created.position == 14  # after the 13 initial themes
    with pytest.raises(Invalid) as caught:
        places.save_theme(
            session,
            admin,
            None,
            name="Noget andet",
            slug="adoption",
            description="",
            position=None,
            is_active=True,
        )
    assert caught.value.field == "slug"
    with pytest.raises(NotAllowed):
        places.save_theme(
            session,
            member,
            None,
            name="Et tema",
            slug="",
            description="",
            position=None,
            is_active=True,
        )


def test_save_municipality_refuses_duplicates(session, admin) -> None:  # type: ignore[no-untyped-def]
    region = places.region_by_slug(session, "sjaelland")
    with pytest.raises(Invalid):
        places.save_municipality(session, admin, None, name="Køge", region=region)
    added = places.save_municipality(session, admin, None, name="Christiansø", region=region)
    assert added.slug == "christiansoe"


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": "Tema 120590-1234"}),
        ("description", {"name": "Et tema", "description": "Som i sagen om 1205901234."}),
    ],
)
def test_theme_texts_with_a_cpr_number_are_refused(session, admin, field, values) -> None:  # type: ignore[no-untyped-def]
    settings = {"slug": "", "description": "", "position": None, "is_active": True} | values
    with pytest.raises(Invalid) as caught:
        places.save_theme(session, admin, None, **settings)
    assert caught.value.field == field
    assert "CPR-nummer" in str(caught.value.message)


def test_a_municipality_name_with_a_cpr_number_is_refused(session, admin) -> None:  # type: ignore[no-untyped-def]
    region = session.scalar(select(Region).limit(1))
    with pytest.raises(Invalid) as caught:
        places.save_municipality(session, admin, None, name="Kommune 120590-1234", region=region)
    assert caught.value.field == "name"


def test_places_are_read_once_per_request_and_again_after_a_commit(app, session, count_queries):  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        first = places.regions(session)
        with count_queries() as counter:
            assert places.regions(session) == first
            assert places.region_by_slug(session, "syddanmark").slug == "syddanmark"
            assert {t.slug for t in places.active_themes(session)} <= {
                t.slug for t in places.all_themes(session)
            }
        assert counter.count == 0
        session.commit()  # what was read is expired: read again, in the new transaction
        with count_queries() as counter:
            places.regions(session)
            places.regions(session)
        assert counter.count == 2  # regions and themes, once
