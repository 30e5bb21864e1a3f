"""What ``scan_dates`` learns in its first pass, learnt instead from the table the one DuckDB
scan filled: each time column's day/month order (through ``infer_orders`` itself), whether the
profile's zone has one UTC offset over the file's years, and whether SQL could read every value.

The scan parses with each column's order unknown (or ``--date-order``): a date like 1/5/2024 is
then refused as ambiguous. If the evidence settles a column's order and such dates are there,
the caller scans again with the orders known, exactly as the Python reader's second pass does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import duckdb

from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder, OrderEvidence, TimeFormatError, infer_orders
from lanshou.imports.records import ColumnIndex
from lanshou.imports.sql_csv import SqlCsv
from lanshou.imports.sql_time import TimeSql, fixed_offset, text_sql

__all__ = ["Settled", "field_text", "scan_and_settle", "settle"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Settled:
    orders: dict[str, DateOrder | None]  # time column -> day/month order
    tz_seconds: int  # the profile zone's fixed offset over the file's years
    rescan: bool  # ambiguous dates whose order is now known: scan again with `orders`


def field_text(source: SqlCsv, index: ColumnIndex, fld: str) -> str:
    """The field's first non-empty column, trimmed (``RowReader.text``); NULL if none."""
    texts = [text_sql(source.cell(i)) for i, _ in index.index.get(fld, [])]
    if not texts:
        return "NULL::VARCHAR"
    return texts[0] if len(texts) == 1 else f"coalesce({', '.join(texts)})"


def settle(
    con: duckdb.DuckDBPyConnection,
    table: str,
    index: ColumnIndex,
    times: list[TimeSql],
    *,
    orders_used: dict[str, DateOrder | None],
    forced: DateOrder | None,
    tz: tzinfo,
) -> Settled | None:
    """The orders and the zone's offset from `table` (with ``line``, ``undecided`` and the
    columns of `times`); None when the Python reader must read the file (``undecided`` is true
    somewhere, or the zone's offset changes over the file's years)."""
    names = {t.name: [name for _, name in index.index[t.name]] for t in times}
    aggregates = ["bool_or(undecided)"]
    columns: list[str] = []
    for t in times:
        for name, (a, b, cell) in zip(names[t.name], t.evidence(), strict=True):
            columns.append(name)
            aggregates += [
                f"count(*) FILTER (WHERE {a} > 12)",
                f"count(*) FILTER (WHERE {a} <= 12 AND {b} > 12)",
                f"count(*) FILTER (WHERE {a} <= 12 AND {b} <= 12 AND {a} <> {b})",
                f"arg_min({cell}, line) FILTER (WHERE {a} > 12)",
                f"arg_min({cell}, line) FILTER (WHERE {a} <= 12 AND {b} > 12)",
            ]
    locals_ = [f"{t.name}_local" for t in times] or ["NULL::BIGINT"]
    aggregates += [f"min(least({', '.join(locals_)}))", f"max(greatest({', '.join(locals_)}))"]
    row = con.execute(f"SELECT {', '.join(aggregates)} FROM {table}").fetchone()
    assert row is not None
    flagged, *rest = row
    if flagged:
        return None
    evidence: dict[str, OrderEvidence] = {}
    for name in columns:
        dmy, mdy, ambiguous, first_dmy, first_mdy, *rest = rest
        evidence[name] = OrderEvidence(dmy, mdy, ambiguous, first_dmy, first_mdy)
    first, last = rest
    try:
        orders = infer_orders(evidence, forced, str(index.file))
    except TimeFormatError as exc:
        raise InvalidInput(str(exc), reason=exc.reason) from exc
    tz_seconds = fixed_offset(tz, _year(first), _year(last))
    if tz_seconds is None:
        return None
    rescan = any(
        evidence[name].ambiguous and orders.get(name) != orders_used.get(name) for name in columns
    )
    return Settled(orders, tz_seconds, rescan)


def _year(us: int | None) -> int | None:
    if us is None:
        return None
    return (_EPOCH + timedelta(microseconds=us)).year


def scan_and_settle(
    con: duckdb.DuckDBPyConnection,
    scan: Callable[[dict[str, DateOrder | None]], list[TimeSql]],
    table: str,
    index: ColumnIndex,
    orders: dict[str, DateOrder | None],
    *,
    forced: DateOrder | None,
    tz: tzinfo,
) -> tuple[list[TimeSql], Settled] | None:
    """`scan` the file into `table` and settle it, scanning a second time only for ambiguous
    dates whose order the first scan revealed; None when the Python reader must read it."""
    try:
        for _ in range(2):
            times = scan(orders)
            settled = settle(con, table, index, times, orders_used=orders, forced=forced, tz=tz)
            if settled is None:
                return None
            if not settled.rescan:
                return times, settled
            orders = settled.orders
    except duckdb.Error:
        return None  # e.g. more cells than the header has, or a quoted line break
    return None
