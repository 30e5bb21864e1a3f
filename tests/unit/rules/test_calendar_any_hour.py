"""Working-day and working-hour arithmetic from every hour of the eve of a holiday and of the
holiday itself, and from each side of Beijing midnight seen from UTC.

National Day 2026: Wednesday 30 September is a workday, 1–7 October are holidays, Thursday
8 October is the next workday and Saturday 10 October a make-up workday. Expected instants are
written out from that schedule, not computed with the calendar.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lanshou.domain.rules.calendar import WorkingCalendar, from_us, to_us
from lanshou.domain.rules.profile import Duration

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
CAL = WorkingCalendar(SH)
OFFICE = Duration.model_validate(
    {"hours": 2, "unit": "working_hours", "working_windows": {"default": ["09:00-18:00"]}}
)


def plus_working_days(start: dt.datetime, n: int) -> dt.datetime:
    return from_us(CAL.add_working_days(to_us(start), n), SH)


def plus_two_office_hours(start: dt.datetime) -> dt.datetime:
    return from_us(CAL.add_working_time(to_us(start), OFFICE.micros, OFFICE.windows_for), SH)


@pytest.mark.parametrize("hour", range(24))
def test_one_working_day_from_each_hour_of_the_eve_is_the_same_time_after_the_holiday(
    hour: int,
) -> None:
    start = dt.datetime(2026, 9, 30, hour, 30, tzinfo=SH)
    assert plus_working_days(start, 1) == dt.datetime(2026, 10, 8, hour, 30, tzinfo=SH)
    assert plus_working_days(start, 2) == dt.datetime(2026, 10, 9, hour, 30, tzinfo=SH)


@pytest.mark.parametrize("hour", range(24))
def test_from_each_hour_of_a_holiday_working_days_count_from_the_next_workday(hour: int) -> None:
    start = dt.datetime(2026, 10, 1, hour, 30, tzinfo=SH)
    assert plus_working_days(start, 1) == dt.datetime(2026, 10, 9, tzinfo=SH)
    assert plus_working_days(start, 2) == dt.datetime(2026, 10, 10, tzinfo=SH)  # make-up Sat


# 2 office hours (09:00–18:00) from each hour of the eve, Beijing time: before 09:00 from the
# opening, after 16:00 partly or wholly on 8 October
EVE_OFFICE_HOURS = {h: dt.datetime(2026, 9, 30, h + 2, tzinfo=SH) for h in range(9, 17)}
EVE_OFFICE_HOURS |= {h: dt.datetime(2026, 9, 30, 11, tzinfo=SH) for h in range(9)}  # at 9
EVE_OFFICE_HOURS |= {
    16: dt.datetime(2026, 9, 30, 18, tzinfo=SH),  # ends at the window's end
    17: dt.datetime(2026, 10, 8, 10, tzinfo=SH),
}
EVE_OFFICE_HOURS |= {h: dt.datetime(2026, 10, 8, 11, tzinfo=SH) for h in range(18, 24)}


@pytest.mark.parametrize("hour", range(24))
def test_office_hours_from_each_hour_of_the_eve(hour: int) -> None:
    start = dt.datetime(2026, 9, 30, hour, tzinfo=SH)
    assert plus_two_office_hours(start) == EVE_OFFICE_HOURS[hour]


@pytest.mark.parametrize(
    ("start", "one_day_later"),
    [
        # one second either side of Beijing midnight, given in UTC
        (
            dt.datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC),
            dt.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SH),
        ),
        (dt.datetime(2026, 9, 30, 16, 0, 0, tzinfo=UTC), dt.datetime(2026, 10, 9, tzinfo=SH)),
        (dt.datetime(2026, 10, 7, 15, 59, 59, tzinfo=UTC), dt.datetime(2026, 10, 9, tzinfo=SH)),
        (dt.datetime(2026, 10, 7, 16, 0, 0, tzinfo=UTC), dt.datetime(2026, 10, 9, tzinfo=SH)),
        (dt.datetime(2026, 10, 8, 16, 0, 0, tzinfo=UTC), dt.datetime(2026, 10, 10, tzinfo=SH)),
    ],
)
def test_the_beijing_date_of_an_instant_decides_not_its_utc_date(
    start: dt.datetime, one_day_later: dt.datetime
) -> None:
    assert plus_working_days(start, 1) == one_day_later
