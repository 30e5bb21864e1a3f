"""China working days (with 调休), working-time and working-day arithmetic, overrides."""

import datetime as dt
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lanshou.domain.rules import CalendarError, WorkingCalendar, load_calendar_overrides
from lanshou.domain.rules.calendar import CalendarOverrides, from_us, to_us
from lanshou.domain.rules.profile import Duration

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(SH)
LUNCH = Duration.model_validate(
    {
        "hours": 8,
        "unit": "working_hours",
        "working_windows": {"default": ["09:00-12:00", "13:30-18:00"]},
    }
)


def t(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (dt.date(2026, 10, 1), False),
        (dt.date(2026, 10, 7), False),
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),
        (dt.date(2026, 9, 20), True),
        (dt.date(2026, 9, 19), False),
        (dt.date(2026, 2, 14), True),
        (dt.date(2026, 2, 17), False),
        (dt.date(2026, 3, 2), True),
    ],
)
def test_china_2026_workdays_and_make_up_days(day: dt.date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


def add_hours(start: dt.datetime, hours: float) -> dt.datetime:
    us = CAL.add_working_time(to_us(start), int(hours * 3_600_000_000), LUNCH.windows_for)
    return from_us(us, SH)


def test_working_hours_skip_lunch_and_stop_at_window_end() -> None:
    assert add_hours(t(2026, 3, 2, 10), 2) == t(2026, 3, 2, 12)  # ends at the window end
    assert add_hours(t(2026, 3, 2, 10), 2.5) == t(2026, 3, 2, 14)  # 10-12 + 13:30-14:00
    assert add_hours(t(2026, 3, 2, 9), 7.5) == t(2026, 3, 2, 18)  # a full day ends at 18:00
    assert add_hours(t(2026, 3, 2, 19), 1) == t(2026, 3, 3, 10)  # after hours -> next morning


def test_working_hours_across_national_day_and_make_up_saturday() -> None:
    # Wed 2026-09-30 17:00 + 2 h: 1 h that day, then holidays 10/1-10/7, resume Thu 10/8.
    assert add_hours(t(2026, 9, 30, 17), 2) == t(2026, 10, 8, 10)
    # Fri 10/9 17:00 + 2 h: Saturday 10/10 is a make-up workday.
    assert add_hours(t(2026, 10, 9, 17), 2) == t(2026, 10, 10, 10)
    # Sat 9/19 is a weekend day; Sun 9/20 is a make-up workday.
    assert add_hours(t(2026, 9, 19, 10), 1) == t(2026, 9, 20, 10)


def add_days(start: dt.datetime, n: int) -> dt.datetime:
    return from_us(CAL.add_working_days(to_us(start), n), SH)


def test_working_days_keep_time_of_day_and_skip_holidays() -> None:
    assert add_days(t(2026, 3, 2, 15, 30), 2) == t(2026, 3, 4, 15, 30)
    assert add_days(t(2026, 3, 6, 15), 1) == t(2026, 3, 9, 15)  # Friday -> Monday
    assert add_days(t(2026, 9, 30, 11), 1) == t(2026, 10, 8, 11)  # National Day
    assert add_days(t(2026, 10, 9, 11), 1) == t(2026, 10, 10, 11)  # make-up Saturday


def test_working_days_from_a_non_working_day_count_from_next_workday_start() -> None:
    assert add_days(t(2026, 3, 7, 15), 1) == t(2026, 3, 10, 0)  # Sat -> Mon 00:00 + 1 day
    assert add_days(t(2026, 10, 3, 9), 2) == t(2026, 10, 10, 0)  # holiday -> 10/8, +2 -> 10/10


def test_override_file_adds_and_removes_days(tmp_path: Path) -> None:
    f = tmp_path / "cal.yaml"
    f.write_text("workdays: [2026-03-07]\nholidays: ['2026-03-09']\n", encoding="utf-8")
    ov = load_calendar_overrides(f)
    assert ov == CalendarOverrides(
        frozenset({dt.date(2026, 3, 7)}), frozenset({dt.date(2026, 3, 9)})
    )
    cal = WorkingCalendar(SH, overrides=ov)
    assert cal.is_workday(dt.date(2026, 3, 7)) and not cal.is_workday(dt.date(2026, 3, 9))
    f.write_text("workdays: [notadate]\n", encoding="utf-8")
    with pytest.raises(CalendarError, match=r"cal\.yaml: workdays\[0\]: 'notadate' is not a date"):
        load_calendar_overrides(f)


def test_year_without_data_keeps_statutory_holidays_and_warns_once_per_run() -> None:
    first, second = WorkingCalendar(SH), WorkingCalendar(SH)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # 2040 has no official schedule: 国庆 1–3 October stay holidays, weekends too, and the
        # Monday after is a workday (no guessed substitute days off).
        assert first.is_workday(dt.date(2040, 10, 1)) is False  # a Monday, 国庆
        assert first.is_workday(dt.date(2040, 10, 3)) is False  # Wednesday, 国庆
        assert first.is_workday(dt.date(2040, 10, 4)) is True  # Thursday
        assert first.is_workday(dt.date(2040, 10, 6)) is False  # Saturday
        assert second.is_workday(dt.date(2040, 10, 8)) is True  # another calendar, same run
    assert len(caught) == 1
    assert "no official China holiday data for 2040" in str(caught[0].message)
