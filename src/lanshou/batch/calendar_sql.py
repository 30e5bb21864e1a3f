"""Materialise a `WorkingCalendar` as DuckDB tables so SQL reproduces its arithmetic exactly.

* days:      (day DATE, day_start_us BIGINT, is_workday BOOLEAN, workday_ord BIGINT)
  `day_start_us` is local 00:00 as epoch µs; `workday_ord` counts workdays up to and including
  the day. The local date of an instant t is the ASOF match `t >= day_start_us`.
* segments:  (seg_start_us, seg_end_us, cum_start_us, cum_end_us), one row per working window
  of every workday, with the cumulative working time before/after it (W at its two ends).

The rows come from the same Python functions the pure path uses (`WorkingCalendar.segments`,
`is_workday`, `midnight_us`), so both paths see identical days, windows and zone offsets.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from lanshou.domain.rules.calendar import HOUR_US, WindowsFor, WorkingCalendar

__all__ = ["DAY_US", "create_days_table", "create_segments_table", "day_number"]

DAY_US = 24 * HOUR_US
_EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the integer local-day number used when the offset is fixed)."""
    return (day - _EPOCH).days


def create_days_table(
    con: duckdb.DuckDBPyConnection, name: str, cal: WorkingCalendar, first: dt.date, last: dt.date
) -> int | None:
    """Create (or replace) the temp table `name` with one row per local day in [first, last].

    Returns the zone's UTC offset in µs when it is the same on every day of the range (no DST
    change) and local midnights are not before the epoch; then the local day of an instant t
    is exactly `(t + offset) // DAY_US` days after 1970-01-01 and SQL needs no ASOF join.
    Returns None otherwise (callers must use the days table).
    """
    days, starts, work, ords = [], [], [], []
    count = 0
    for day in cal.days(first, last):
        is_work = cal.is_workday(day)
        count += is_work
        days.append(day)
        starts.append(cal.midnight_us(day))
        work.append(is_work)
        ords.append(count)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT unnest($1::DATE[]) AS day, unnest($2::BIGINT[]) AS day_start_us,
               unnest($3::BOOLEAN[]) AS is_workday, unnest($4::BIGINT[]) AS workday_ord""",
        [days, starts, work, ords],
    )
    if not days or starts[0] < 0:
        return None
    offset = day_number(days[0]) * DAY_US - starts[0]
    if any(s != day_number(d) * DAY_US - offset for d, s in zip(days, starts, strict=True)):
        return None
    return offset


def create_segments_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    cal: WorkingCalendar,
    windows_for: WindowsFor,
    first: dt.date,
    last: dt.date,
) -> None:
    """Create (or replace) the temp table `name` of working segments with cumulative W."""
    seg_start, seg_end, cum_start = [], [], []
    cum = 0
    for day in cal.days(first, last):
        for a, b in cal.segments(day, windows_for):
            seg_start.append(a)
            seg_end.append(b)
            cum_start.append(cum)
            cum += b - a
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT s AS seg_start_us, e AS seg_end_us, c AS cum_start_us, c + (e - s) AS cum_end_us
        FROM (SELECT unnest($1::BIGINT[]) AS s, unnest($2::BIGINT[]) AS e,
                     unnest($3::BIGINT[]) AS c)""",
        [seg_start, seg_end, cum_start],
    )
