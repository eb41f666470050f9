"""Slugs for URLs from Danish text."""

from __future__ import annotations

import pytest

from forum.slugs import slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Kvalitet i familiepleje", "kvalitet-i-familiepleje"),
        ("Børn og unge på Ærø", "boern-og-unge-paa-aeroe"),
        ("Hvordan mobiliserer I barnets netværk?", "hvordan-mobiliserer-i-barnets-netvaerk"),
        ("  --  ", "emne"),
        ("Høje-Taastrup", "hoeje-taastrup"),
        ("Café & Ålborg 2024", "cafe-aalborg-2024"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_is_cut_at_a_word_boundary() -> None:
    slug = slugify("anbringelse " * 20, max_length=30)
    assert len(slug) <= 30
    assert not slug.endswith("-")
    assert slug.split("-")[-1] == "anbringelse"
