"""Time formatting in lists: the cached relative and exact times say what Babel says."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, format_datetime, format_timedelta

from forum.templating import ago_filter, exact_time, relative_time

# Every unit, both sides of Babel's 0.85 threshold and of each rounding step, both directions.
SECONDS = sorted(
    {
        sign * s
        for sign in (-1, 1)
        for base in (60, 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)
        for factor in (0.01, 0.49, 0.5, 0.51, 0.84, 0.85, 0.86, 1, 1.49, 1.5, 2.5, 3, 6, 11, 40)
        for s in (int(base * factor), int(base * factor) + 1)
    }
    | {0, 1, -1, 29, 31, -29, -31, 89, 91}
)


@pytest.mark.parametrize("locale", ["da", "en"])
def test_relative_time_says_what_babel_says(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for seconds in SECONDS:
            delta = timedelta(seconds=seconds)
            expected = format_timedelta(delta, add_direction=True, granularity="minute")
            # Twice: the second answer comes from the cache and must be the same.
            assert relative_time(delta) == expected, seconds
            assert relative_time(delta) == expected, seconds


def test_relative_time_in_danish(app):
    with app.test_request_context("/"):
        assert relative_time(timedelta(hours=-3)) == "for 3 timer siden"
        assert relative_time(timedelta(minutes=-1)) == "for 1 minut siden"
        assert relative_time(timedelta(days=-2)) == "for 2 dage siden"


@pytest.mark.parametrize("locale", ["da", "en"])
def test_exact_time_says_what_babel_says(app, locale):
    # Either side of both daylight-saving changes in Copenhagen, a new year and a leap day.
    moments = [
        datetime(2025, 3, 30, 0, 59, 59),
        datetime(2025, 3, 30, 1, 0, 0),
        datetime(2025, 10, 26, 0, 59, 59),
        datetime(2025, 10, 26, 1, 0, 0),
        datetime(2024, 12, 31, 23, 30, 5),
        datetime(2024, 2, 29, 12, 0, 0),
        datetime(2026, 7, 1, 9, 5, 7),
    ]
    with app.test_request_context("/"), force_locale(locale):
        for moment in moments:
            assert exact_time(moment) == format_datetime(moment, "medium"), moment


def test_ago_filter_markup(app):
    with app.test_request_context("/"):
        html = str(ago_filter(datetime(2025, 3, 30, 1, 0, 0)))
    assert html.startswith('<time datetime="2025-03-30T01:00:00Z" title="30. mar. 2025 03.00.00">')
    assert html.endswith(" siden</time>")
