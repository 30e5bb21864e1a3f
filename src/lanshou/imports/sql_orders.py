"""A shop's order export (one row per order, no item columns) read by DuckDB into ``check``'s
orders table, by the rules of ``shop_orders.order_from_row`` (see ``sql_csv`` for when this path
is taken and how rejects are worded).

Statuses and carriers take few distinct values: those are resolved by the Python code itself
(``Mapping.status``, ``CarrierResolver.code``) once per value and joined back, so the status
words and the carrier alias table have one implementation. Times, amounts, quantities, text
lengths and waybills are SQL over every row.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import duckdb

from lanshou.batch import quote
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import ITEM_FIELDS, TIME_FIELDS, Mapping
from lanshou.imports.records import ColumnIndex, RowReader
from lanshou.imports.run import ReadRun, required_fields, wanted_columns
from lanshou.imports.shop_orders import order_from_row
from lanshou.imports.sql_csv import prepare_csv, reject_rows
from lanshou.imports.sql_survey import field_text, survey
from lanshou.imports.sql_time import TimeSql, staged, white_space
from lanshou.orders import CarrierResolver

__all__ = ["sql_orders"]

TABLE = "chk_orders"
# Text fields and the longest value ``order_from_row`` accepts.
_LIMITS = {"order_id": 64, "shop": 64, "province": 32, "city": 64, "carrier": 64, "waybill": 64}
_NUMBER = r"[+-]?([0-9]{1,27}(\.[0-9]{0,10})?|\.[0-9]{1,10})"


def _decimal(text: str) -> str:
    """A decimal number as Python's ``Decimal`` reads it (plain notation), NULL otherwise."""
    return (
        f"CASE WHEN regexp_full_match({text}, {quote(_NUMBER)}) "
        f"THEN TRY_CAST({text} AS DECIMAL(38,10)) END"
    )


def _money(text: str) -> str:
    """``RowReader.money``'s cleaning: thousands separators and currency signs removed."""
    cleaned = text
    for sign in (",", "¥", "￥", "元"):
        cleaned = f"replace({cleaned}, {quote(sign)}, '')"
    return _decimal(f"trim({cleaned}, {quote(white_space())})")


def sql_orders(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: Mapping,
    run: ReadRun,
    *,
    tz: tzinfo,
    shop: str | None,
    date_order: DateOrder | None,
    scratch: Path,
) -> str | None:
    """Fill :data:`TABLE` (``SHIPMENT_COLUMNS``, ``seq``, ``ok``) from `path`; None when the
    Python reader must read the file."""
    if layout.multi_row or any(f in layout.columns for f in ITEM_FIELDS):
        return None
    source = prepare_csv(path, scratch)
    if source is None:
        return None
    index = ColumnIndex(
        wanted_columns(layout), source.table.header, str(path), required_fields(layout, shop)
    )
    found = survey(
        con,
        source,
        index,
        times=TIME_FIELDS,
        distinct=("status", "carrier"),
        ascii_only=("waybill",),
        forced=date_order,
        tz=tz,
    )
    if found is None:
        return None
    con.execute("CREATE OR REPLACE TEMP TABLE chk_status_words (raw VARCHAR, status VARCHAR)")
    words = [(w, layout.status(w, False)) for w in found.distinct["status"]]
    if words:
        con.executemany("INSERT INTO chk_status_words VALUES (?, ?)", words)
    carriers = CarrierResolver()
    con.execute("CREATE OR REPLACE TEMP TABLE chk_carrier_names (raw VARCHAR, code VARCHAR)")
    names = [(n, carriers.code(n)) for n in found.distinct["carrier"]]
    if names:
        con.executemany("INSERT INTO chk_carrier_names VALUES (?, ?)", names)

    times = {
        fld: TimeSql(
            fld,
            [(source.cell(i), found.orders.get(name)) for i, name in index.index[fld]],
            found.tz_seconds,
        )
        for fld in ("paid_at", "shipped_at", "exp_ship_time")
        if index.has(fld)
    }
    texts = [f"{field_text(source, index, f)} AS {f}" for f in (*_LIMITS, "status", "amount")]
    texts.append(f"{field_text(source, index, 'quantity')} AS quantity_text")
    rows = staged(source.rows(), texts, list(times.values()))

    def us(fld: str) -> str:
        return f"{fld}_us" if fld in times else "NULL::BIGINT"

    def bad(fld: str) -> str:
        return f"{fld}_bad" if fld in times else "false"

    shop_id = "shop" if shop is None else f"coalesce(shop, {quote(shop)})"
    blank_status = (
        f"CASE WHEN {us('shipped_at')} IS NOT NULL THEN {quote(layout.status(None, True))} "
        f"ELSE {quote(layout.status(None, False))} END"
    )
    quantity = _decimal("quantity_text")
    checks = [f"({f} IS NULL OR length({f}) <= {limit})" for f, limit in _LIMITS.items()] + [
        "order_id IS NOT NULL",
        f"{shop_id} IS NOT NULL",
        f"{us('paid_at')} IS NOT NULL AND NOT {bad('paid_at')}",
        "amount_value >= 0",
        f"NOT {bad('shipped_at')} AND NOT {bad('exp_ship_time')}",
        "(quantity_text IS NULL OR (quantity_value = floor(quantity_value)"
        " AND quantity_value BETWEEN 1 AND 1000000))",
        "order_status IS NOT NULL",
    ]
    ok = " AND ".join(f"coalesce({c}, false)" for c in checks)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {TABLE} AS
        SELECT seq, {ok} AS ok, order_id AS shipment_key, order_id, {shop_id} AS shop_id,
               make_timestamptz({us("paid_at")}) AS paid_at,
               make_timestamptz({us("shipped_at")}) AS shipped_at,
               make_timestamptz({us("exp_ship_time")}) AS exp_ship_time,
               NULL::TIMESTAMPTZ AS shipping_limit_at, NULL::TIMESTAMPTZ AS first_pickup_at,
               CAST(round(amount_value, 2) AS DECIMAL(18,2)) AS amount,
               CAST(coalesce(quantity_value, 1) AS INTEGER) AS quantity,
               NULL::DECIMAL(18,2) AS max_unit_price, province, carrier_code,
               upper(waybill) AS waybill, order_status
        FROM (SELECT s.*, s.line AS seq, {_money("s.amount")} AS amount_value,
                     {quantity} AS quantity_value, c.code AS carrier_code,
                     CASE WHEN s.status IS NULL THEN {blank_status} ELSE w.status END
                       AS order_status
              FROM ({rows}) s
              LEFT JOIN chk_status_words w ON w.raw = s.status
              LEFT JOIN chk_carrier_names c ON c.raw = s.carrier)"""
    )
    if _duplicates(con):
        return None
    reader = RowReader(index, tz, found.orders)
    refused = f"SELECT seq FROM {TABLE} WHERE NOT ok"
    has_refused = con.execute(f"SELECT count(*) FROM ({refused})").fetchone()
    if has_refused and has_refused[0]:
        if not reject_rows(
            con, source, refused, reader, lambda r: order_from_row(r, layout, shop), run
        ):
            return None
    return TABLE


def _duplicates(con: duckdb.DuckDBPyConnection) -> bool:
    """A repeated order is refused or merged depending on where the Python reader's chunks
    end: such a file is read by the Python reader."""
    row = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE ok GROUP BY shop_id, order_id"
        " HAVING count(*) > 1)"
    ).fetchone()
    return bool(row and row[0])
