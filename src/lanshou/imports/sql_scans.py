"""A tracking file read by DuckDB into the first pickup of each waybill, by the rules of
``scans.scan_from_row`` (see ``sql_csv`` for when this path is taken and how rejects are
worded). One scan keeps only what matters: the pickup scans, the refused rows and the rows that
weigh on the day/month order or send the file to the Python reader."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import duckdb

from lanshou.batch import quote
from lanshou.domain.tracking import STATUSES
from lanshou.imports.dates import DateOrder
from lanshou.imports.records import ColumnIndex, RowReader
from lanshou.imports.run import ReadRun
from lanshou.imports.scans import SCAN_COLUMNS, SCAN_REQUIRED, scan_from_row
from lanshou.imports.sql_csv import SqlCsv, prepare_csv, reject_rows
from lanshou.imports.sql_survey import field_text, scan_and_settle
from lanshou.imports.sql_time import TimeSql, non_ascii_sql, staged, utc_sql

__all__ = ["sql_pickups"]

TABLE = "chk_pickups_sql"
_ROWS = "chk_scan_rows"
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
    orders: dict[str, DateOrder | None] = {name: date_order for _, name in index.index["time"]}
    pickups = _in(pickup_statuses)
    scanned = scan_and_settle(
        con,
        lambda known: [_scan(con, source, index, known, pickups)],
        _ROWS,
        index,
        orders,
        forced=date_order,
        tz=tz,
    )
    if scanned is None:
        return None
    _, settled = scanned
    refused = f"SELECT line FROM {_ROWS} WHERE NOT ok"
    reader = RowReader(index, tz, settled.orders)
    if not reject_rows(con, source, refused, reader, scan_from_row, run):
        return None
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {TABLE} AS
        SELECT waybill, min({utc_sql("time", settled.tz_seconds)}) AS first_pickup_at
        FROM {_ROWS} WHERE ok AND status IN ({pickups}) GROUP BY waybill"""
    )
    return TABLE


def _scan(
    con: duckdb.DuckDBPyConnection,
    source: SqlCsv,
    index: ColumnIndex,
    orders: dict[str, DateOrder | None],
    pickups: str,
) -> TimeSql:
    at = TimeSql("time", [(source.cell(i), orders.get(name)) for i, name in index.index["time"]])
    texts = [f"{field_text(source, index, f)} AS {f}" for f in _LIMITS]
    checks = [f"{f} IS NOT NULL AND length({f}) <= {n}" for f, n in _LIMITS.items()]
    checks += ["time_local IS NOT NULL AND NOT time_bad", f"status IN ({_in(STATUSES)})"]
    ok = " AND ".join(f"coalesce({c}, false)" for c in checks)
    evidence = [c for cols in at.evidence() for c in cols]
    undecided = f"time_undecided OR coalesce({non_ascii_sql('waybill')}, false)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_ROWS} AS
        SELECT * FROM (
          SELECT line, {ok} AS ok, {undecided} AS undecided, upper(waybill) AS waybill, status,
                 time_local, time_off, {", ".join(evidence)}
          FROM ({staged(source.rows(), texts, [at])}))
        WHERE NOT ok OR undecided OR status IN ({pickups}) OR {evidence[0]} IS NOT NULL"""
    )
    return at
