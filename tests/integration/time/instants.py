"""The fixed clocks every time test runs under: each hour of a day, and the boundaries that broke
or could break something — Beijing midnight seen from UTC, month, year and leap-day ends, the
Spring Festival weeks of 2026 (official 调休 in the ``holidays`` package) and 2027 (none yet)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
A_DAY = datetime(2026, 12, 3, tzinfo=UTC)
HOURS = [A_DAY + timedelta(hours=h) for h in range(24)]
BOUNDARIES = [
    datetime(2026, 12, 3, 15, 59, 59, tzinfo=UTC),  # Beijing 23:59:59
    datetime(2026, 12, 3, 16, 0, tzinfo=UTC),  # Beijing midnight
    datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # Beijing 1 December 00:00 (month end in UTC)
    datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # Beijing new year 2027
    datetime(2028, 2, 28, 16, 0, tzinfo=UTC),  # Beijing 29 February 2028 00:00
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),  # leap day, Beijing 20:00
    datetime(2026, 2, 17, 2, 0, tzinfo=UTC),  # Spring Festival 2026, Beijing 10:00
    datetime(2027, 2, 6, 4, 0, tzinfo=UTC),  # Spring Festival 2027 (no official 调休 yet)
    datetime(2027, 2, 12, 15, 59, 59, tzinfo=UTC),  # last second of its week, Beijing time
]


def label(at: datetime) -> str:
    """A test id that shows the instant in UTC and in Beijing."""
    return f"{at:%Y-%m-%dT%H:%M:%S}Z=BJ{at.astimezone(BEIJING):%m-%dT%H:%M}"


def bj(*args: int) -> datetime:
    """A Beijing wall-clock time: bj(2026, 10, 1, 0, 1)."""
    return datetime(*args, tzinfo=BEIJING)  # type: ignore[arg-type]


@contextmanager
def weekends_only_years_expected() -> Iterator[None]:
    """2027 and 2028 have no official China schedule yet: the calendar counts their statutory
    holidays and weekends only, and warns (tests/unit/rules check the warning); the time tests
    expect it and stay quiet."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "no official China holiday data", RuntimeWarning)
        yield
