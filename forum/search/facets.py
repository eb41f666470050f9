"""Facet counts of a search, labelled and ordered for the page."""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _

from forum.search.language import ParsedQuery, Places
from forum.search.results import Facet, FacetValue
from forum.search.scan import Match
from forum.search.schema import FACETS, FILE


def facets(match: Match, parsed: ParsedQuery, places: Places) -> list[Facet]:
    """The facets of a scan: labels in the member's language, selected values marked."""
    from forum.topics import KIND_LABELS

    labels = {
        "region": (_("Region"), places.regions),
        "theme": (_("Tema"), places.themes),
        "kind": (
            _("Type"),
            {**{kind: str(label) for kind, label in KIND_LABELS.items()}, FILE: _("Bilag")},
        ),
        "municipality": (_("Kommune"), places.municipalities),
        "year": (_("År"), {}),
        "answered": (_("Løst"), {"ja": _("Løst"), "nej": _("Ikke løst")}),
    }
    facets = []
    for name in FACETS:
        label, names = labels[name]
        counts = match.facets.get(name, Counter())
        selected = set(parsed.filters.get(name, ()))
        values = [
            FacetValue(value, str(names.get(value, value)), count, value in selected)
            for value, count in counts.items()
            if value
        ]
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        elif name in ("region", "theme", "kind"):
            order = list(names)
            values.sort(key=lambda v: order.index(v.value) if v.value in order else 999)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        if values:
            facets.append(Facet(name, str(label), values))
    return facets
