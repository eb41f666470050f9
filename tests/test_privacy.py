"""Tests for CPR-number detection: the forum must never publish a child's or parent's CPR."""

from __future__ import annotations

import dataclasses

import pytest

from forum.privacy import CprMatch, find_cpr, mask

# --- true positives -------------------------------------------------------------------------

# (text, the single number that must be found, as written)
POSITIVES: list[tuple[str, str]] = [
    # the three separators
    ("120590-1234", "120590-1234"),
    ("120590 1234", "120590 1234"),
    ("1205901234", "1205901234"),
    # a no-break space, as pasted from Word
    ("120590\u00a01234", "120590\u00a01234"),
    # in ordinary sentences
    ("Drengen har CPR-nummer 120590-1234 og bor hos sin mor.", "120590-1234"),
    ("Pigen (120590-1234) er anbragt i familiepleje.", "120590-1234"),
    ("CPR: 1205901234.", "1205901234"),
    ("cpr-nr. 120590-1234", "120590-1234"),
    ("Personnummer: 120590 1234", "120590 1234"),
    ("Se nr.120590-1234 i bilaget", "120590-1234"),
    ("Barnet, 120590-1234, flytter.", "120590-1234"),
    # Unicode hyphen, non-breaking hyphen, en dash and em dash
    ("120590\u20101234", "120590\u20101234"),
    ("120590\u20111234", "120590\u20111234"),
    ("120590\u20131234", "120590\u20131234"),
    ("120590\u20141234", "120590\u20141234"),
    # leap days: the seventh digit decides the century, and so whether 29 February exists
    ("290200-4321", "290200-4321"),  # 4 and YY <= 36: year 2000, a leap year
    ("290200-9321", "290200-9321"),  # 9 and YY <= 36: year 2000
    ("290200-5321", "290200-5321"),  # 5-8 and YY <= 57: year 2000
    ("290296-1234", "290296-1234"),  # 0-3: year 1996
    ("290260-6321", "290260-6321"),  # 5-8 and YY > 57: year 1860, a leap year
    ("290236-4321", "290236-4321"),  # 4 and YY <= 36: year 2036
    ("310190-1234", "310190-1234"),  # 31 January exists
    # a case-number word that does not directly introduce the number does not excuse it
    ("Sagsnr. er ukendt, men barnet har 120590-1234", "120590-1234"),
    # "CPR" directly before wins over a case-number word further back
    ("Sagsnr. 17, CPR 120590-1234", "120590-1234"),
    # the author says it is a CPR number, so it is reported even with an impossible date
    ("personnummer: 320190-1234", "320190-1234"),
    ("CPR-nr.: 120590-1234-22", "120590-1234"),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_finds_cpr(text: str, expected: str) -> None:
    matches = find_cpr(text)
    assert [m.text for m in matches] == [expected]
    match = matches[0]
    assert text[match.start : match.end] == expected
    assert match.line == 1


def test_several_numbers_with_positions_and_lines() -> None:
    text = (
        "Møde om familien.\n"
        "Mor: 120590-1234, far: 0102034567\n"
        "\n"
        "Barnet (290200\u20104321) er anbragt."
    )
    expected = [("120590-1234", 2), ("0102034567", 2), ("290200\u20104321", 4)]
    matches = find_cpr(text)
    assert [(m.text, m.line) for m in matches] == expected
    for match in matches:
        assert text[match.start : match.end] == match.text
    assert matches[0].start == text.index("120590-1234")
    assert matches[1].end == text.index("0102034567") + 10
    assert matches[0].start < matches[1].start < matches[2].start


def test_line_numbers_with_windows_newlines() -> None:
    text = "Hej\r\nalle\r\nCPR 120590-1234"
    assert find_cpr(text) == [CprMatch("120590-1234", 15, 26, 3)]


def test_match_is_immutable() -> None:
    match = find_cpr("120590-1234")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.start = 0  # type: ignore[misc]


# --- true negatives -------------------------------------------------------------------------

NEGATIVES: list[str] = [
    "",
    "Vi drøftede Barnets Lov og tidlig indsats på mødet i går.",
    # phone numbers
    "Ring på 3370 3249",
    "Ring på 33 70 32 49",
    "Ring på +45 3370 3249",
    "tlf. 70101010",
    # dates, periods and times
    "Mødet er den 12.05.2024.",
    "Frist 2024-06-02",
    "perioden 010124-311224",
    "kl. 10.00-12.00",
    # amounts, postcodes, years
    "Budgettet er 1.250.000 kr.",
    "8000 Aarhus C og 2100 København Ø",
    "Skoleåret 2024-2025",
    # digit groups glued to other digit groups: journal and case numbers
    "27.24.00-120590-1234-22",
    "2023-120590-1234",
    "120590-1234/2023",
    "120590-1234.5",
    "4,120590-1234",
    "2023\u2013120590-1234",
    # part of a longer digit run
    "12059012345",
    "0120590-1234",
    "120590-12345",
    "1234 12345678901234",
    # introduced by a case-number word
    "Sagsnr. 120590-1234",
    "sags nr: 1205901234",
    "Sagsnummer 120590 1234",
    "J.nr. 120590-1234",
    "j. nr. 120590-1234",
    "jnr 120590-1234",
    "Journalnr.: 120590-1234",
    "journalnummer (120590-1234)",
    "Sag nr. 120590-1234",
    "SAGSNR.:  120590-1234",
    "klagesagsnr. 120590-1234",
    "jr.nr. 120590-1234",
    # not a real date
    "320190-1234",  # 32 January
    "311190-1234",  # November has 30 days
    "310490-1234",  # April has 30 days
    "300290-1234",  # February never has 30 days
    "001090-1234",  # day zero
    "121390-1234",  # month 13
    "120090-1234",  # month zero
    # leap days in a century year that was not a leap year
    "290200-1234",  # 0-3: year 1900
    "290200-0234",  # 0-3: year 1900
    "290237-4321",  # 4 and YY > 36: year 1937
    "290258-5321",  # 5-8 and YY > 57: year 1858
    "290291-1234",  # 1991 is not a leap year
    # separators other than one hyphen or one space
    "120590--1234",
    "120590  1234",
    "120590/1234",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ignores_non_cpr(text: str) -> None:
    assert find_cpr(text) == []


# --- mask -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("120590-1234", "120590-****"),
        ("120590 1234", "120590 ****"),
        ("1205901234", "120590****"),
        ("120590\u20131234", "120590\u2013****"),
        ("", ""),
    ],
)
def test_mask(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_mask_hides_the_serial_of_every_match() -> None:
    text = "Mor: 120590-1234, far: 0102034567"
    assert [mask(m.text) for m in find_cpr(text)] == ["120590-****", "010203****"]
