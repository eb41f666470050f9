"""URL slugs for Danish text: ``Kvalitet i familiepleje`` -> ``kvalitet-i-familiepleje``."""

from __future__ import annotations

import re
import unicodedata

# Danish letters have customary ASCII spellings; NFKD would strip ø to nothing.
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 80) -> str:
    """Return a lower-case ASCII slug; never empty (falls back to ``emne``)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_DANISH))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_WORD.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or "emne"
