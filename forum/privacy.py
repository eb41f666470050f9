"""Find Danish CPR numbers in member-written text before it is published.

The forum is for leaders who work with vulnerable children and families. Their posts must
never carry personal data about a child or a family, and a CPR number is the most direct
identifier there is: it names one person and gives away their birthday and legal sex. So
every field a member writes is checked before it is stored, and the author is asked to remove
the number.

The check looks at what a reader sees, not at the bytes typed. The text is first normalised:

* NFKC, so fullwidth digits, superscripts, circled digits and no-break, thin and narrow
  spaces become plain digits and spaces; every Unicode decimal digit (Arabic-Indic,
  Devanagari, ...) becomes its ASCII digit; every dash (hyphen, en/em dash, minus sign, ...)
  becomes ``-``;
* format characters (zero-width space/joiner, soft hyphen, word joiner, BOM, bidi marks) and
  combining marks are dropped, as are carriage returns;
* Markdown noise that a reader does not see as characters is dropped: emphasis and code
  markers (``*``, ``_``, `````, ``~``) and backslash escapes; HTML character references
  (``&#48;``, ``&#x30;``, ``&nbsp;``, ``&minus;``) are decoded.

With ``markdown=True`` the Markdown is also rendered through :mod:`forum.markup` and the
resulting plain text checked the same way, which catches numbers that only come together on
the page (``[1205](/x)901234``, image alt text).

What counts as a likely CPR number, on the normalised text:

* shape: ten digits standing on their own, as ``DDMMYYSSSS`` or ``DDMMYY`` + ``SSSS``, or as
  ``DD MM YY`` + ``SSSS`` with ``.``, ``/``, ``-`` or spaces inside the date. Between date and
  serial: nothing, a dash, or up to three spaces, with at most one line break (a quote's
  ``>`` markers after it are allowed), e.g. ``12.05.90 - 1234`` or ``120590-`` / ``1234``;
* the six leading digits must be a real date (day 01-31 valid for the month, month 01-12),
  with the century read from the seventh digit the way the CPR office does it;
* a number introduced by ``CPR`` or ``personnummer`` is always reported, valid date or not,
  because the author has told us what it is.

What it deliberately lets through (ordinary numbers in municipal prose):

* fewer or more than ten digits, or other groupings: phone numbers (8 digits, ``12 34 56 78``),
  postcodes, amounts (``1.234.567,50 kr.``), ISBN-13, dates with a four-digit year
  (``12-05-2024 14:30``), date ranges (``01.02.23-15.03.23``, ``010124-311224``), paragraph
  references (``§ 52, stk. 3``);
* ten digits glued to other digit groups (``2023-120590-1234``, ``120590-1234/22``), after a
  ``+`` (an international phone number), after a four-digit group and a space (bank
  registration number + account number), or followed by ``kr``/``DKK``/``,-`` (an amount);
* ten digits introduced by a word saying what else they are: case and journal numbers
  (``sagsnr.``, ``j.nr.``), ``konto``, ``reg.nr.``, ``ordre``, ``faktura``, ``kunde``, ``vare``,
  ``tlf``/``telefon``/``mobil``/``fax``, ``ISBN``/``ISSN``/``EAN``/``GLN``, ``CVR``/``P-nr``/
  ``SE-nr``, ``bilag``, ``§`` and ``stk.``;
* ``DDMMYY/SSSS`` and ``DDMMYY.SSSS`` (the shape of journal numbers and decimals), two dashes
  in a row, and a date with a four-digit year followed by a serial.

A bare ten-digit run whose first six digits are a valid date is reported: nothing in the
digits tells it apart from a CPR number. The modulus-11 check is deliberately not used:
numbers issued since 2007 may fail it.

Every step is linear in the input: one pass to normalise, regexes without nested
quantifiers, and look-behind windows of fixed size.
"""

from __future__ import annotations

import bisect
import calendar
import html
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["CprMatch", "find_cpr", "mask"]


@dataclass(frozen=True)
class CprMatch:
    """One likely CPR number found in a text."""

    text: str  # the source characters as written, e.g. "120590-1234" or "12&#48;590-1234"
    start: int  # offset in the text
    end: int
    line: int  # 1-based line number of the match
    digits: str = ""  # the ten digits a reader sees, e.g. "1205901234"

    @property
    def masked(self) -> str:
        """The number with its serial hidden, e.g. '120590-****', for messages."""
        if len(self.digits) == 10:
            return f"{self.digits[:6]}-****"
        return mask(self.text)


# --- normalising ------------------------------------------------------------------------------

# Everything that is not plain printable ASCII or a newline, HTML character references,
# Markdown emphasis/code markers and backslash escapes; ASCII runs in between are copied as
# they are, which keeps the usual case fast.
_SPECIAL = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|\\(?=[!-/:-@\[-`{-~])"
    r"|[*_`~]"
    r"|[^\x20-\x7e\n]+"
)
_EXTRA_DASHES = frozenset("\u2212\u2043\ufe63\uff0d")
_LINE_BREAKS = frozenset("\u2028\u2029\x85")


def _normal_char(char: str) -> str:
    """What a reader sees for one character: '' for invisible ones."""
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me") or char == "\r":
        return ""
    if char in _LINE_BREAKS:
        return "\n"
    if category == "Cc":
        return " " if char == "\t" else ""
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", char):
        if c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
        elif c in _EXTRA_DASHES or unicodedata.category(c) == "Pd":
            out.append("-")
        elif c.isspace() and c != "\n":
            out.append(" ")
        elif unicodedata.category(c) not in ("Cf", "Mn", "Me"):
            out.append(c)
    return "".join(out)


class _Normalised:
    """The reader's view of a text, with a map from its offsets back to the source."""

    def __init__(self, source: str) -> None:
        pieces: list[str] = []
        # Segment k starts at normalised offset _at[k] and covers source[_src[k]:_src_end[k]];
        # a copied ASCII run maps one to one, a replaced special maps as a whole.
        self._at: list[int] = []
        self._src: list[int] = []
        self._src_end: list[int] = []
        self._linear: list[bool] = []
        length = 0
        pos = 0
        for m in _SPECIAL.finditer(source):
            if m.start() > pos:
                self._add(length, pos, m.start(), True)
                pieces.append(source[pos : m.start()])
                length += m.start() - pos
            special = m.group(0)
            if special[0] == "&":
                replaced = "".join(_normal_char(c) for c in html.unescape(special))
                self._add(length, m.start(), m.end(), False)
                pieces.append(replaced)
                length += len(replaced)
            elif special[0] in "\\*_`~":
                pass  # invisible to the reader: contributes nothing
            else:
                # One segment per character so offsets inside a non-ASCII run stay exact.
                for i, char in enumerate(special, start=m.start()):
                    replaced = _normal_char(char)
                    if replaced:
                        self._add(length, i, i + 1, False)
                        pieces.append(replaced)
                        length += len(replaced)
            pos = m.end()
        if pos < len(source):
            self._add(length, pos, len(source), True)
            pieces.append(source[pos:])
        self.text = "".join(pieces)

    def _add(self, at: int, src: int, src_end: int, linear: bool) -> None:
        self._at.append(at)
        self._src.append(src)
        self._src_end.append(src_end)
        self._linear.append(linear)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span that produced normalised text[start:end] (end > start)."""
        k = bisect.bisect_right(self._at, start) - 1
        src_start = self._src[k] + (start - self._at[k] if self._linear[k] else 0)
        k = bisect.bisect_right(self._at, end - 1) - 1
        src_end = self._src[k] + (end - self._at[k] if self._linear[k] else 0)
        if not self._linear[k]:
            src_end = self._src_end[k]
        return src_start, src_end


# --- shapes -----------------------------------------------------------------------------------

# After normalising, all spaces are " " and all dashes "-". A line break may carry a quote's
# ">" markers after it, as in a quoted post.
_BREAK = r"(?:\n(?: {0,3}>){0,3})?"
# Between the date and the serial: nothing, a dash, or spaces; at most one line break.
_SERIAL_SEP = rf"(?: {{0,3}}-? {{0,3}}{_BREAK} {{0,3}}| {{0,3}}{_BREAK} {{0,3}}- {{0,3}})"
# Inside the date: ".", "/" or "-" with a little space around, or one or two spaces.
_DATE_SEP = r"(?: {0,2}[-./] {0,2}| {1,2})"

_CANDIDATE = re.compile(
    r"(?<![0-9])(?:"
    rf"(?P<date>[0-9]{{6}}){_SERIAL_SEP}(?P<serial>[0-9]{{4}})"
    rf"|(?P<dd>[0-9]{{2}}){_DATE_SEP}(?P<mm>[0-9]{{2}}){_DATE_SEP}(?P<yy>[0-9]{{2}})"
    rf"{_SERIAL_SEP}(?P<serial2>[0-9]{{4}})"
    r")(?![0-9])"
)

# A digit group joined on with one of these makes the number part of a longer reference,
# e.g. "27.24.00-120590-1234-22" or "2023-120590-1234"; "+" makes it a phone number.
_GLUE_BEFORE = re.compile(r"(?:[0-9][.,/-]|\+ ?)\Z")
# Used with .match(text, end), which anchors at end; "\A" would anchor at offset 0 instead.
_GLUE_AFTER = re.compile(r"[.,/-][0-9]| ?(?:kr\b|kroner\b|dkk\b|,-)", re.IGNORECASE)
# A bank registration number before a ten-digit account number: "1234 0102034567".
_REG_BEFORE = re.compile(r"(?<![0-9])[0-9]{4} {1,3}\Z")

# How far back an introducing word may end: only punctuation and spaces (and a few small
# words) may lie between it and the number, as in "Sagsnr.: 120590-1234" or
# "ordrenummeret er 0102034567".
_GAP = r"(?:[\W_]|\ber\b|\bpå\b|\btil\b){0,15}\Z"
# Enough text before a candidate to hold the longest keyword plus the gap.
_LOOKBEHIND = 48

# "nr", "nr." or "nummer(et)", optionally set off from the word before by space, dot or hyphen.
_NR = r"[\s.\-]*n(?:umme)?r(?:et)?"

# Words saying the number is something else. The "sag" form has no leading word boundary on
# purpose: Danish compounds such as "klagesagsnr." introduce case numbers too. "jr." is a
# common abbreviation of "journal". A registration number may stand between "konto"/"reg"
# and the account number: "reg. 1234 konto 1234567890", "konto 1234 0102034567".
_OTHER_INTRO = re.compile(
    rf"(?:sags?{_NR}|\bj(?:ournal|r)?{_NR}"
    rf"|\b(?:konto|reg(?:istrering)?s?|ordre|faktura|kunde|vare|bilag|cvr)(?:{_NR})?"
    # "SE-nr."/"P-nr." only written together: "Se nr. 120590-1234" means "see number".
    r"|\b(?:p|se)-?n(?:umme)?r|\bløbe-?n(?:umme)?r"
    r"|\b(?:tlf|telefon|mobil|fax|isbn(?:-1[03])?|issn|ean(?:-13)?|gln|stk)\b"
    r"|§)"
    rf"(?:{_GAP}|[\W_]{{0,8}}[0-9]{{4}}[\W_]{{1,8}}\Z)",
    re.IGNORECASE,
)

# The author says outright that this is a CPR number.
_CPR_INTRO = re.compile(rf"(?:cpr(?:{_NR})?|person{_NR}){_GAP}", re.IGNORECASE)

# Past this size the rendered pass is skipped: rendering is linear but slow, and no member
# field is this long (posts are limited far below); the source pass still runs in full.
_MAX_RENDERED = 50_000


def find_cpr(text: str, *, markdown: bool = False) -> list[CprMatch]:
    """Return the likely CPR numbers in text, in order, with where they are (empty if none).

    With markdown=True the text is also rendered and the page's plain text checked; numbers
    found only there are placed at the source line holding their digits.
    """
    normalised = _Normalised(text)
    matches = []
    for start, end, digits in _scan(normalised.text):
        src_start, src_end = normalised.source_span(start, end)
        matches.append(_match(text, src_start, src_end, digits))
    if markdown and len(text) <= _MAX_RENDERED:
        matches += _rendered_only(text, normalised, matches)
        matches.sort(key=lambda m: m.start)
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


def _match(text: str, start: int, end: int, digits: str) -> CprMatch:
    line = text.count("\n", 0, start) + 1
    return CprMatch(text=text[start:end], start=start, end=end, line=line, digits=digits)


def _scan(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ten digits) of every likely CPR number in normalised text."""
    found = []
    for candidate in _CANDIDATE.finditer(text):
        start, end = candidate.span()
        if candidate.group("date"):
            date, serial = candidate.group("date"), candidate.group("serial")
        else:
            date = candidate.group("dd") + candidate.group("mm") + candidate.group("yy")
            serial = candidate.group("serial2")
        before = text[max(0, start - _LOOKBEHIND) : start]
        if not _CPR_INTRO.search(before) and not _is_likely_cpr(text, candidate, before):
            continue
        found.append((start, end, date + serial))
    return found


def _is_likely_cpr(text: str, candidate: re.Match[str], before: str) -> bool:
    """Whether a candidate without a "CPR" label should be reported."""
    if _OTHER_INTRO.search(before):
        return False
    if _GLUE_BEFORE.search(before) or _GLUE_AFTER.match(text, candidate.end()):
        return False
    plain_run = candidate.group("date") and candidate.end() - candidate.start() == 10
    if plain_run and _REG_BEFORE.search(before):
        return False
    if candidate.group("date"):
        return _is_cpr_date(candidate.group("date"), candidate.group("serial"))
    date = candidate.group("dd") + candidate.group("mm") + candidate.group("yy")
    return _is_cpr_date(date, candidate.group("serial2"))


def _rendered_only(text: str, normalised: _Normalised, known: list[CprMatch]) -> list[CprMatch]:
    """Numbers that only appear once the Markdown is rendered, placed in the source."""
    from forum import markup  # imported here: markup is heavy and most callers never render

    remaining = [m.digits for m in known]
    new_digits = []
    for _start, _end, digits in _scan(_Normalised(markup.plain_text(text)).text):
        if digits in remaining:
            remaining.remove(digits)
        else:
            new_digits.append(digits)
    if not new_digits:
        return []
    positions = [i for i, c in enumerate(normalised.text) if c.isdigit()]
    digit_string = "".join(normalised.text[i] for i in positions)
    taken = {m.start for m in known}
    found = []
    for digits in new_digits:
        at = digit_string.find(digits)
        while at != -1:
            src_start, src_end = normalised.source_span(positions[at], positions[at + 9] + 1)
            if src_start not in taken:
                break
            at = digit_string.find(digits, at + 1)
        if at == -1:
            # The source does not hold the digits in this order: point at the start, so the
            # author is still told.
            found.append(CprMatch(text="", start=0, end=0, line=1, digits=digits))
        else:
            taken.add(src_start)
            found.append(_match(text, src_start, src_end, digits))
    return found


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


def check_personal_data(text: str, field: str, *, markdown: bool = False) -> None:
    """Refuse member-written text holding a likely CPR number, saying where (``Invalid``).

    Every field a member writes goes through here: titles, posts (``markdown=True`` also checks
    the rendered page), display names, job titles, imported author names, and what
    administrators write: theme names and descriptions, municipality names, organisations.
    """
    # Imported here: find_cpr's other callers (file extraction) need neither.
    from forum.errors import Invalid

    found = find_cpr(text or "", markdown=markdown)
    if found:
        raise Invalid(cpr_message(found[0]), field=field)


def cpr_message(match: CprMatch) -> str:
    """The Danish message for a likely CPR number: where it is, the number masked."""
    from flask_babel import lazy_gettext as _l

    return _l(
        "Teksten ser ud til at indeholde et CPR-nummer (%(number)s i linje %(line)d). "
        "Forummet må ikke rumme personoplysninger om børn og familier: fjern "
        "nummeret og skriv om praksis, ikke om en konkret sag.",
        number=match.masked,
        line=match.line,
    )
