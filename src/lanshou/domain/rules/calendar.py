"""Working days and working time in a profile's time zone.

China's working days are not Monday–Friday: statutory holidays move and some weekends are
make-up workdays (调休). `holidays.China` knows both; operators can add or remove days on top.

Definitions (the batch engine's SQL reproduces them exactly, see `lanshou.batch.calendar_sql`):

* Instants are handled as integer microseconds since the Unix epoch ("µs"), so Python and SQL
  arithmetic agree to the microsecond.
* Working time: each workday contributes *segments* = its working windows (local wall-clock
  spans, e.g. 09:00–12:00 and 13:30–18:00) converted to UTC instants. W(t) is the cumulative
  working time from the first segment up to t. Adding s of working time to `start` gives the
  earliest t with W(t) >= W(start) + s — so a deadline that consumes a whole window ends at the
  window's end (18:00), not at the next morning's opening.
* Working days: a start on a workday, plus n working days, is the n-th following workday at the
  same elapsed time since local midnight. A start on a non-working day counts from the next
  workday's 00:00, so the deadline is 00:00 of the n-th workday after that one.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import yaml

from lanshou.domain.rules.errors import CalendarError

if TYPE_CHECKING:
    import holidays


def China(*, observed: bool = True) -> holidays.HolidayBase:
    """The library's China calendar, imported on first use: loading ``holidays`` loads every
    country it knows (0.4 s of CPU), which commands that never judge a deadline (``import
    tracking``) do not pay at start-up."""
    from holidays.countries.china import China as ChinaHolidays

    return ChinaHolidays(observed=observed)


__all__ = [
    "EPOCH",
    "HOUR_US",
    "CalendarOverrides",
    "WorkingCalendar",
    "from_us",
    "load_calendar_overrides",
    "to_us",
]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
HOUR_US = 3_600_000_000  # instants and spans are integer microseconds (see to_us)
# Bound on how far a working-time walk may look ahead, so a calendar with no windows cannot hang.
_MAX_SCAN_DAYS = 3660
WindowsFor = Callable[[int], list[tuple[int, int]]]


def to_us(t: dt.datetime) -> int:
    """Aware datetime -> integer microseconds since the epoch."""
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}; every time must carry a zone")
    return (t - EPOCH) // _US


def from_us(us: int, tz: dt.tzinfo) -> dt.datetime:
    """Integer microseconds since the epoch -> aware datetime in `tz`."""
    return (EPOCH + dt.timedelta(microseconds=us)).astimezone(tz)


@dataclass(frozen=True)
class CalendarOverrides:
    """Operator corrections: extra workdays and extra holidays (they win over the library)."""

    workdays: frozenset[dt.date] = frozenset()
    holidays: frozenset[dt.date] = frozenset()


def load_calendar_overrides(path: str | Path) -> CalendarOverrides:
    """Read `workdays: [dates]` and `holidays: [dates]` from a YAML file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"{path}: cannot read calendar overrides ({exc})") from exc
    if not isinstance(data, dict) or set(data) - {"workdays", "holidays"}:
        raise CalendarError(f"{path}: <root>: expected only the keys workdays and holidays")
    parsed: dict[str, frozenset[dt.date]] = {}
    for key in ("workdays", "holidays"):
        days = []
        for i, raw in enumerate(data.get(key) or []):
            try:
                days.append(raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw)))
            except ValueError as exc:
                raise CalendarError(f"{path}: {key}[{i}]: {raw!r} is not a date") from exc
        parsed[key] = frozenset(days)
    both = parsed["workdays"] & parsed["holidays"]
    if both:
        raise CalendarError(f"{path}: {sorted(both)[0]} is both a workday and a holiday")
    return CalendarOverrides(parsed["workdays"], parsed["holidays"])


@cache
def _china_last_official_year() -> int:
    # Years after the last one with published special days (调休) are only guessed by the library.
    return int(max(China().special_public_holidays))


# Years already warned about, per process: a run judging a million shipments warns once per year.
_WARNED_YEARS: set[int] = set()


def _warn_unofficial(year: int) -> None:
    if year in _WARNED_YEARS:
        return
    _WARNED_YEARS.add(year)
    msg = (
        f"no official China holiday data for {year}; counting its fixed statutory holidays "
        "(元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) and weekends, without 调休 make-up "
        "workdays — load a calendar override file once the schedule is published"
    )
    # A warning only (not also a log record, which the CLI would print a second time).
    warnings.warn(msg, RuntimeWarning, stacklevel=4)


@dataclass
class WorkingCalendar:
    """Which local dates are workdays, and working-time arithmetic in `tz`.

    A `china` calendar uses the library's official schedule (holidays and 调休 make-up days)
    up to the last year it has one. Later years keep the statutory holidays fixed by law, which
    the library knows without a schedule (its `observed=False` days: 元旦, 春节 eve and days
    1–3, 清明, 劳动节, 端午, 中秋, 国庆 1–3), on top of weekends; their substitute days off and
    make-up workdays are only known once the State Council publishes them.
    """

    tz: ZoneInfo
    kind: str = "china"
    overrides: CalendarOverrides = CalendarOverrides()
    _lib: holidays.HolidayBase | None = field(default=None, repr=False)
    _statutory: holidays.HolidayBase | None = field(default=None, repr=False)

    def _library_workday(self, day: dt.date) -> bool:
        if day.year <= _china_last_official_year():
            if self._lib is None:
                self._lib = China()
            return bool(self._lib.is_working_day(day))
        _warn_unofficial(day.year)
        if self._statutory is None:
            self._statutory = China(observed=False)
        return day.weekday() < 5 and day not in self._statutory

    def is_workday(self, day: dt.date) -> bool:
        """True if `day` is a working day (overrides, then library data, then weekends)."""
        if day in self.overrides.holidays:
            return False
        if day in self.overrides.workdays:
            return True
        if self.kind != "china":
            return day.weekday() < 5
        return self._library_workday(day)

    # --- instants and local days -------------------------------------------------------------

    def local_date(self, us: int) -> dt.date:
        return from_us(us, self.tz).date()

    def midnight_us(self, day: dt.date) -> int:
        """The instant of local 00:00 on `day`."""
        return to_us(dt.datetime.combine(day, dt.time(), self.tz))

    def local_us(self, day: dt.date, seconds: int) -> int:
        """The instant of local wall-clock time `seconds` after 00:00 on `day` (24:00 allowed)."""
        extra, secs = divmod(seconds, 86400)
        wall = dt.datetime.combine(day + dt.timedelta(days=extra), dt.time(), self.tz)
        return to_us(wall + dt.timedelta(seconds=secs))

    def segments(self, day: dt.date, windows_for: WindowsFor) -> list[tuple[int, int]]:
        """The day's working segments as (start µs, end µs); empty on non-working days."""
        if not self.is_workday(day):
            return []
        return [
            (self.local_us(day, a), self.local_us(day, b)) for a, b in windows_for(day.weekday())
        ]

    def days(self, first: dt.date, last: dt.date) -> Iterator[dt.date]:
        d = first
        while d <= last:
            yield d
            d += dt.timedelta(days=1)

    # --- arithmetic --------------------------------------------------------------------------

    def add_working_time(self, start_us: int, amount_us: int, windows_for: WindowsFor) -> int:
        """Earliest instant t with W(t) >= W(start) + amount (see module docstring)."""
        remaining = amount_us
        day = self.local_date(start_us) - dt.timedelta(days=1)  # a window may span midnight UTC
        for _ in range(_MAX_SCAN_DAYS):
            for seg_start, seg_end in self.segments(day, windows_for):
                lo = max(seg_start, start_us)
                if lo >= seg_end:
                    continue
                if remaining <= seg_end - lo:
                    return lo + remaining
                remaining -= seg_end - lo
            day += dt.timedelta(days=1)
        raise CalendarError(f"no working time found within {_MAX_SCAN_DAYS} days")

    def next_workday(self, day: dt.date) -> dt.date:
        for _ in range(_MAX_SCAN_DAYS):
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                return day
        raise CalendarError(f"no workday found within {_MAX_SCAN_DAYS} days")

    def add_working_days(self, start_us: int, n: int) -> int:
        """`n` working days after `start` (see module docstring for non-working starts)."""
        d0 = self.local_date(start_us)
        if self.is_workday(d0):
            day, offset = d0, start_us - self.midnight_us(d0)
        else:
            day, offset = self.next_workday(d0), 0
        for _ in range(n):
            day = self.next_workday(day)
        return self.midnight_us(day) + offset
