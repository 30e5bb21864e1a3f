"""A tracking file read by DuckDB into the first pickup of each waybill, by the rules of
``scans.scan_from_row`` (see ``sql_csv`` for when this path is taken and how rejects are
worded). Only the pickup scans and the refused rows are kept."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import duckdb

from lanshou.batch import quote
from lanshou.domain.tracking import STATUSES
from lanshou.imports.dates import DateOrder
from lanshou.imports.records import ColumnIndex, RowReader
from lanshou.imports.run import ReadRun
from lanshou.imports.scans import SCAN_COLUMNS, SCAN_REQUIRED, SCAN_TIMES, scan_from_row
from lanshou.imports.sql_csv import prepare_csv, reject_rows
from lanshou.imports.sql_survey import field_text, survey
from lanshou.imports.sql_time import TimeSql, staged

__all__ = ["sql_pickups"]

TABLE = "chk_pickups"
_LIMITS = {"carrier": 64, "waybill": 64, "status": 32}


def _in(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(quote(v) for v in values) or "NULL"


def sql_pickups(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    pickup_statuses: list[str],
    run: ReadRun,
    *,
    tz: tzinfo,
    date_order: DateOrder | None,
    scratch: Path,
) -> str | None:
    """Fill :data:`TABLE` (waybill, first_pickup_at) from `path`; None when the Python reader
    must read the file."""
    source = prepare_csv(path, scratch)
    if source is None:
        return None
    index = ColumnIndex(SCAN_COLUMNS, source.table.header, str(path), SCAN_REQUIRED)
    found = survey(
        con,
        source,
        index,
        times=SCAN_TIMES,
        distinct=(),
        ascii_only=("waybill",),
        forced=date_order,
        tz=tz,
    )
    if found is None:
        return None
    at = TimeSql(
        "at",
        [(source.cell(i), found.orders.get(name)) for i, name in index.index["time"]],
        found.tz_seconds,
    )
    texts = [f"{field_text(source, index, f)} AS {f}" for f in _LIMITS]
    checks = [f"{f} IS NOT NULL AND length({f}) <= {n}" for f, n in _LIMITS.items()]
    checks += ["at_us IS NOT NULL AND NOT at_bad", f"status IN ({_in(STATUSES)})"]
    ok = " AND ".join(f"coalesce({c}, false)" for c in checks)
    pickups = _in(pickup_statuses)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_scan_rows AS
        SELECT line, ok, upper(waybill) AS waybill, at_us FROM (
          SELECT line, {ok} AS ok, waybill, status, at_us
          FROM ({staged(source.rows(), texts, [at])}))
        WHERE NOT ok OR status IN ({pickups})"""
    )
    refused = "SELECT line FROM chk_scan_rows WHERE NOT ok"
    row = con.execute(f"SELECT count(*) FROM ({refused})").fetchone()
    if row and row[0]:
        reader = RowReader(index, tz, found.orders)
        if not reject_rows(con, source, refused, reader, scan_from_row, run):
            return None
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {TABLE} AS
        SELECT waybill, make_timestamptz(min(at_us)) AS first_pickup_at
        FROM chk_scan_rows WHERE ok GROUP BY waybill"""
    )
    return TABLE
