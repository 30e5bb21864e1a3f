"""Reporting periods at every hour of a day and across month, year and leap-day ends: a period
ends on the Beijing date of ``now`` and spans Beijing midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lanshou.analytics.period import Period, iso_week, local_day


@pytest.mark.parametrize("hour", range(24))
def test_the_period_ending_now_ends_on_beijing_today(hour: int) -> None:
    now = datetime(2026, 12, 3, hour, tzinfo=UTC)
    today = date(2026, 12, 3) if hour < 16 else date(2026, 12, 4)  # Beijing midnight is 16:00Z
    assert local_day(now) == today
    assert Period.ending(now, 7) == Period(today - timedelta(days=6), today)
    assert Period.ending(now, 1).start == datetime(
        today.year, today.month, today.day, tzinfo=UTC
    ) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        (datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC), date(2026, 11, 24), date(2026, 11, 30)),
        (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), date(2026, 11, 25), date(2026, 12, 1)),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2026, 12, 26), date(2027, 1, 1)),
        (datetime(2028, 2, 28, 16, 0, tzinfo=UTC), date(2028, 2, 23), date(2028, 2, 29)),
        (datetime(2028, 3, 1, 15, 59, 59, tzinfo=UTC), date(2028, 2, 24), date(2028, 3, 1)),
    ],
)
def test_a_week_ending_now_across_month_year_and_leap_day_ends(
    now: datetime, first: date, last: date
) -> None:
    period = Period.ending(now, 7)
    assert (period.first, period.last) == (first, last)
    # the instants it covers: Beijing midnight before the first day to the one after the last
    assert period.start == datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(
        hours=8
    )
    assert period.end == datetime(last.year, last.month, last.day, 16, tzinfo=UTC)


def test_iso_weeks_of_beijing_dates_across_the_new_year() -> None:
    # 2026 has 53 ISO weeks: Thursday 31 December and Friday 1 January are both in week 53
    assert [
        iso_week(date(2026, 12, 31)),
        iso_week(date(2027, 1, 1)),
        iso_week(date(2027, 1, 4)),
    ] == ["2026-W53", "2026-W53", "2027-W01"]
