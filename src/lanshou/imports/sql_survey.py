"""The first pass of the CSV fast path, in one DuckDB scan: what ``scan_dates`` learns (each time
column's day/month order, through ``infer_orders`` itself) and whether SQL can read the file.

SQL hands the file back to the Python reader when a time cell is Unix seconds or holds
non-ASCII characters besides the CJK time words, when a waybill is not ASCII (Python's and
DuckDB's ``upper`` differ there), or when DuckDB's rows and the file's lines do not pair up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import duckdb

from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder, OrderEvidence, TimeFormatError, infer_orders
from lanshou.imports.records import ColumnIndex
from lanshou.imports.sql_csv import SqlCsv
from lanshou.imports.sql_time import (
    ambiguity_sql,
    epoch_sql,
    fixed_offset,
    non_ascii_sql,
    text_sql,
    time_text_sql,
)

__all__ = ["Survey", "field_text", "survey"]


@dataclass
class Survey:
    orders: dict[str, DateOrder | None]  # time column -> day/month order
    tz_seconds: int  # the profile zone's fixed offset over the file's years
    distinct: dict[str, list[str]]  # field -> its distinct trimmed texts


def field_text(source: SqlCsv, index: ColumnIndex, fld: str) -> str:
    """The field's first non-empty column, trimmed (``RowReader.text``); NULL if none."""
    spots = index.index.get(fld, [])
    texts = [text_sql(source.cell(i)) for i, _ in spots]
    return (
        "NULL::VARCHAR"
        if not texts
        else texts[0]
        if len(texts) == 1
        else f"coalesce({', '.join(texts)})"
    )


def survey(
    con: duckdb.DuckDBPyConnection,
    source: SqlCsv,
    index: ColumnIndex,
    *,
    times: frozenset[str],
    distinct: tuple[str, ...],
    ascii_only: tuple[str, ...],
    forced: DateOrder | None,
    tz: tzinfo,
) -> Survey | None:
    """One scan of the file; None when the Python reader must read it."""
    columns = {name: i for fld, spots in index.index.items() if fld in times for i, name in spots}
    aggregates = ["count(*)", "count(*) FILTER (WHERE NOT blank)"]
    undecided = []
    years = []
    for i in columns.values():
        trimmed = text_sql(source.cell(i))
        pair = f"ambiguity_{i}"
        a, b = f"TRY_CAST({pair}.a AS INT)", f"TRY_CAST({pair}.b AS INT)"
        raw = source.cell(i)
        aggregates += [
            f"count(*) FILTER (WHERE {a} > 12)",
            f"count(*) FILTER (WHERE {a} <= 12 AND {b} > 12)",
            f"count(*) FILTER (WHERE {a} <= 12 AND {b} <= 12 AND {a} <> {b})",
            f"arg_min({raw}, line) FILTER (WHERE {a} > 12)",
            f"arg_min({raw}, line) FILTER (WHERE {a} <= 12 AND {b} > 12)",
        ]
        text = time_text_sql(trimmed)
        undecided += [epoch_sql(text), non_ascii_sql(text)]
        years.append(f"TRY_CAST(nullif(regexp_extract({text}, '[0-9]{{4}}'), '') AS INT)")
    undecided += [non_ascii_sql(field_text(source, index, f)) for f in ascii_only if index.has(f)]
    if undecided:
        aggregates.append(f"bool_or({' OR '.join(undecided)}) FILTER (WHERE NOT blank)")
    else:
        aggregates.append("false")
    if years:
        aggregates.append(f"min(least({', '.join(years)}))")
        aggregates.append(f"max(greatest({', '.join(years)}))")
    else:
        aggregates += ["NULL", "NULL"]
    for fld in distinct:
        aggregates.append(
            f"list(DISTINCT {field_text(source, index, fld)}) FILTER (WHERE NOT blank)"
        )
    pairs = ", ".join(
        f"{ambiguity_sql(text_sql(source.cell(i)))} AS ambiguity_{i}" for i in columns.values()
    )
    query = f"SELECT {', '.join(aggregates)} FROM (SELECT *{', ' + pairs if pairs else ''} FROM ({source.rows()}))"
    try:
        row = con.execute(query).fetchone()
    except duckdb.Error:
        return None  # e.g. more cells than the header has, or a quoted line break
    assert row is not None
    total, *rest = row
    if total != source.lines - 1:
        return None
    rest = rest[1:]
    evidence = {}
    for name in columns:
        dmy, mdy, ambiguous, first_dmy, first_mdy, *rest = rest
        evidence[name] = OrderEvidence(dmy, mdy, ambiguous, first_dmy, first_mdy)
    flagged, first_year, last_year, *lists = rest
    if flagged:
        return None
    try:
        orders = infer_orders(evidence, forced, str(source.table.path))
    except TimeFormatError as exc:
        raise InvalidInput(str(exc)) from exc
    tz_seconds = fixed_offset(tz, first_year, last_year)
    if tz_seconds is None:
        return None
    found = {
        fld: [v for v in (values or []) if v is not None]
        for fld, values in zip(distinct, lists, strict=True)
    }
    return Survey(orders, tz_seconds, found)
