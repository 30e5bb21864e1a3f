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

from lanshou.domain.rules.calendar import WindowsFor, WorkingCalendar

__all__ = ["create_days_table", "create_segments_table"]


def create_days_table(
    con: duckdb.DuckDBPyConnection, name: str, cal: WorkingCalendar, first: dt.date, last: dt.date
) -> None:
    """Create (or replace) the temp table `name` with one row per local day in [first, last]."""
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
