"""Find Danish CPR numbers in post text before it is published.

The forum is for leaders who work with vulnerable children and families. Their posts must
never carry personal data about a child or a family, and a CPR number is the most direct
identifier there is: it names one person and gives away their birthday and legal sex. So a
post is checked for CPR numbers before it is stored, and the author is asked to remove them.

Detection is a heuristic, tuned to miss as few real numbers as possible while leaving the
many other numbers in municipal prose alone (phone numbers, dates, amounts, case numbers):

* shape: ``DDMMYY-SSSS`` with a hyphen (also a Unicode hyphen or dash), one space or nothing
  between the two parts, and the ten digits standing on their own;
* the six leading digits must be a real date, with the century read from the seventh digit
  the way the CPR office does it;
* a number glued to other digit groups (``2023-120590-1234``) or introduced by a
  case-number word (``sagsnr.``, ``j.nr.``) is a case/journal number, not a CPR number;
* a number introduced by ``CPR`` or ``personnummer`` is always reported, valid date or not,
  because the author has told us what it is.

The modulus-11 check is deliberately not used: numbers issued since 2007 may fail it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

__all__ = ["CprMatch", "find_cpr", "mask"]


@dataclass(frozen=True)
class CprMatch:
    """One likely CPR number found in a text."""

    text: str  # the matched characters as written, e.g. "120590-1234"
    start: int  # offset in the text
    end: int
    line: int  # 1-based line number of the match


# ASCII hyphen plus U+2010-U+2014 (hyphen, non-breaking hyphen, figure dash, en and em dash)
# and the minus sign: word processors and phones swap these in for "-".
_DASHES = "\\-\u2010-\u2014\u2212"

# Six digits, an optional separator, four digits. A no-break space counts as a space because
# text pasted from Word or a case system often has one. The lookarounds keep the ten digits
# from being a slice of a longer run of digits (account numbers, EAN codes, ...).
_CANDIDATE = re.compile(rf"(?<![0-9])([0-9]{{6}})[{_DASHES} \u00a0]?([0-9]{{4}})(?![0-9])")

# A digit group joined on with one of these makes the number part of a longer reference,
# e.g. "27.24.00-120590-1234-22" or "2023-120590-1234".
_GLUE_BEFORE = re.compile(rf"[0-9][.,/{_DASHES}]\Z")
# Used with .match(text, end), which anchors at end; "\A" would anchor at offset 0 instead.
_GLUE_AFTER = re.compile(rf"[.,/{_DASHES}][0-9]")

# How far back an introducing word may end: only punctuation and spaces may lie between it
# and the number, as in "Sagsnr.: 120590-1234" or "CPR-nr. (120590-1234)".
_MAX_GAP = 15
_GAP = rf"[\W_]{{0,{_MAX_GAP}}}\Z"
# Enough text before a candidate to hold the longest keyword plus the gap.
_LOOKBEHIND = 40

# "nr", "nr." or "nummer", optionally set off from the word before by space, dot or hyphen.
_NR = r"[\s.\-]*n(?:umme)?r"

# Case-number words. The "sag" form has no leading word boundary on purpose: Danish
# compounds such as "klagesagsnr." introduce case numbers too. "jr." is a common
# abbreviation of "journal".
_CASE_INTRO = re.compile(rf"(?:sags?{_NR}|\bj(?:ournal|r)?{_NR}){_GAP}", re.IGNORECASE)

# The author says outright that this is a CPR number.
_CPR_INTRO = re.compile(rf"(?:cpr(?:{_NR})?|person{_NR}){_GAP}", re.IGNORECASE)


def find_cpr(text: str) -> list[CprMatch]:
    """Return the likely Danish CPR numbers in text, in order (empty list when none)."""
    matches: list[CprMatch] = []
    for candidate in _CANDIDATE.finditer(text):
        start, end = candidate.span()
        before = text[max(0, start - _LOOKBEHIND) : start]
        if not _CPR_INTRO.search(before):
            if _CASE_INTRO.search(before):
                continue
            if _GLUE_BEFORE.search(before) or _GLUE_AFTER.match(text, end):
                continue
            if not _is_cpr_date(candidate.group(1), candidate.group(2)):
                continue
        line = text.count("\n", 0, start) + 1
        matches.append(CprMatch(text=candidate.group(0), start=start, end=end, line=line))
    return matches


def mask(match_text: str) -> str:
    """'120590-1234' -> '120590-****' (for messages that must not repeat the whole number)."""
    # Keep the date part and the separator so the author can find the number in the post;
    # hide every digit after the sixth, which is what makes the number identify one person.
    seen = 0
    masked: list[str] = []
    for char in match_text:
        if char.isdecimal():
            seen += 1
            if seen > 6:
                char = "*"
        masked.append(char)
    return "".join(masked)


def _is_cpr_date(ddmmyy: str, serial: str) -> bool:
    """Whether DDMMYY is a real date in the century that the serial number implies."""
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    if not 1 <= month <= 12:
        return False
    year = _birth_year(yy, int(serial[0]))
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _birth_year(yy: int, seventh_digit: int) -> int:
    """The full birth year, by the CPR office's rule for the seventh digit."""
    # The century matters for 29 February: 2000 was a leap year, 1900 and 1800 were not.
    if seventh_digit <= 3:
        return 1900 + yy
    if seventh_digit in (4, 9):
        return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy
