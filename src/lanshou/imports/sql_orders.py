"""A shop's order export (one row per order, no item columns) read by DuckDB into ``check``'s
orders table, by the rules of ``shop_orders.order_from_row`` (see ``sql_csv`` for when this path
is taken and how rejects are worded).

One scan of the file fills a table of the row's texts and parsed values; ``sql_survey`` then
settles the day/month orders and the zone from it. Statuses and carriers take few distinct
values: those are resolved by the Python code itself (``Mapping.status``,
``CarrierResolver.code``) once per value and joined back, so the status words and the carrier
alias table have one implementation. Times, amounts, quantities, text lengths and waybills are
SQL over every row.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import duckdb

from lanshou.batch import quote
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import ITEM_FIELDS, TIME_FIELDS, Mapping
from lanshou.imports.phone import PHONE_SHAPE
from lanshou.imports.records import ColumnIndex, RowReader
from lanshou.imports.run import ReadRun, required_fields, wanted_columns
from lanshou.imports.shop_orders import order_from_row
from lanshou.imports.sql_csv import SqlCsv, prepare_csv, reject_rows
from lanshou.imports.sql_survey import field_text, scan_and_settle
from lanshou.imports.sql_time import TimeSql, non_ascii_sql, staged, utc_sql, white_space
from lanshou.orders import CarrierResolver

__all__ = ["sql_orders"]

TABLE = "chk_orders_sql"
_ROWS = "chk_order_rows"
_TIMES = ("paid_at", "shipped_at", "exp_ship_time")
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
    """``RowReader.money``'s cleaning: thousands separators and currency signs removed.

    A value that already is a plain number has nothing to remove: it is cast as it is, and the
    cleaning (four replaces and a trim by a set of characters, the costliest expression of the
    scan) runs only for the others. Both branches give the same value."""
    cleaned = text
    for sign in (",", "¥", "￥", "元"):
        cleaned = f"replace({cleaned}, {quote(sign)}, '')"
    general = _decimal(f"trim({cleaned}, {quote(white_space())})")
    return (
        f"CASE WHEN regexp_full_match({text}, {quote(_NUMBER)}) "
        f"THEN TRY_CAST({text} AS DECIMAL(38,10)) ELSE {general} END"
    )


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
    if any(f in layout.columns for f in TIME_FIELDS.difference(_TIMES)):
        return None  # time columns order_from_row ignores yet scan_dates weighs
    source = prepare_csv(path, scratch)
    if source is None:
        return None
    index = ColumnIndex(
        wanted_columns(layout), source.table.header, str(path), required_fields(layout, shop)
    )
    orders: dict[str, DateOrder | None] = {
        name: date_order for f in _TIMES for _, name in index.index.get(f, [])
    }
    scanned = scan_and_settle(
        con,
        lambda known: _scan(con, source, index, known),
        _ROWS,
        index,
        orders,
        forced=date_order,
        tz=tz,
    )
    if scanned is None:
        return None
    times, settled = scanned
    _resolve(con, layout)
    _orders_view(con, times, settled.tz_seconds, layout, shop)
    if _duplicates(con):
        return None
    refused = f"SELECT seq FROM {TABLE} WHERE NOT ok"
    reader = RowReader(index, tz, settled.orders)
    if not reject_rows(
        con, source, refused, reader, lambda r: order_from_row(r, layout, shop), run
    ):
        return None
    run.summary.phones_without_tail += _phones_without_tail(con)
    return TABLE


def _scan(
    con: duckdb.DuckDBPyConnection,
    source: SqlCsv,
    index: ColumnIndex,
    orders: dict[str, DateOrder | None],
) -> list[TimeSql]:
    """The one scan: every non-blank row's texts, parsed times, numbers and checks."""
    times = [
        TimeSql(f, [(source.cell(i), orders.get(name)) for i, name in index.index[f]])
        for f in _TIMES
        if index.has(f)
    ]
    texts = [f"{field_text(source, index, f)} AS {f}" for f in (*_LIMITS, "status", "amount")]
    texts.append(f"{field_text(source, index, 'quantity')} AS quantity_text")
    texts.append(f"{field_text(source, index, 'buyer_phone')} AS buyer_phone")
    rows = staged(source.rows(), texts, times)
    names = [t.name for t in times]
    evidence = [c for t in times for cols in t.evidence() for c in cols]
    checks = [f"({f} IS NULL OR length({f}) <= {limit})" for f, limit in _LIMITS.items()]
    checks += [
        "order_id IS NOT NULL",
        "amount_value >= 0",
        "(quantity_text IS NULL OR (quantity_value = floor(quantity_value)"
        " AND quantity_value BETWEEN 1 AND 1000000))",
        *(f"NOT {n}_bad" for n in names),
    ]
    if "paid_at" in names:
        checks.append("paid_at_local IS NOT NULL")
    undecided = [f"{n}_undecided" for n in names] + [f"coalesce({non_ascii_sql('waybill')}, false)"]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_ROWS} AS
        SELECT line, {" AND ".join(f"coalesce({c}, false)" for c in checks)} AS checked,
               {" OR ".join(undecided)} AS undecided,
               order_id, shop, province, carrier, upper(waybill) AS waybill, status,
               CAST(round(amount_value, 2) AS DECIMAL(18,2)) AS amount,
               CAST(coalesce(quantity_value, 1) AS INTEGER) AS quantity, buyer_phone,
               CASE WHEN regexp_full_match(buyer_phone, {quote(PHONE_SHAPE)})
                    THEN right(buyer_phone, 4) END AS buyer_phone_tail,
               {", ".join(f"{n}_local, {n}_off" for n in names) or "NULL AS no_time"}
               {"".join(", " + c for c in evidence)}
        FROM (SELECT *, {_money("amount")} AS amount_value,
                     {_decimal("quantity_text")} AS quantity_value
              FROM ({rows}))"""
    )
    return times


def _resolve(con: duckdb.DuckDBPyConnection, layout: Mapping) -> None:
    """The status words and carrier names of the file, resolved by the Python code."""
    for table, column, resolve in (
        ("chk_status_words", "status", lambda w: layout.status(w, False)),
        ("chk_carrier_names", "carrier", CarrierResolver().code),
    ):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (raw VARCHAR, resolved VARCHAR)")
        values = con.execute(
            f"SELECT DISTINCT {column} FROM {_ROWS} WHERE {column} IS NOT NULL"
        ).fetchall()
        if values:
            con.executemany(
                f"INSERT INTO {table} VALUES (?, ?)", [(v, resolve(v)) for (v,) in values]
            )


def _orders_view(
    con: duckdb.DuckDBPyConnection,
    times: list[TimeSql],
    tz_seconds: int,
    layout: Mapping,
    shop: str | None,
) -> None:
    names = {t.name for t in times}

    def at(fld: str) -> str:
        return utc_sql(f"r.{fld}", tz_seconds) if fld in names else "NULL::TIMESTAMPTZ"

    shipped = "r.shipped_at_local IS NOT NULL" if "shipped_at" in names else "false"
    when_shipped, when_not = layout.status(None, True), layout.status(None, False)
    assert when_shipped is not None and when_not is not None  # an empty status always reads
    blank_status = f"CASE WHEN {shipped} THEN {quote(when_shipped)} ELSE {quote(when_not)} END"
    shop_id = "r.shop" if shop is None else f"coalesce(r.shop, {quote(shop)})"
    status = f"CASE WHEN r.status IS NULL THEN {blank_status} ELSE w.resolved END"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {TABLE} AS
        SELECT r.line AS seq,
               r.checked AND {shop_id} IS NOT NULL AND ({status}) IS NOT NULL AS ok,
               r.order_id AS shipment_key, r.order_id, {shop_id} AS shop_id,
               {at("paid_at")} AS paid_at, {at("shipped_at")} AS shipped_at,
               {at("exp_ship_time")} AS exp_ship_time,
               NULL::TIMESTAMPTZ AS shipping_limit_at, NULL::TIMESTAMPTZ AS first_pickup_at,
               r.amount, r.quantity, NULL::DECIMAL(18,2) AS max_unit_price, r.province,
               c.resolved AS carrier_code, r.waybill, {status} AS order_status,
               r.buyer_phone_tail
        FROM {_ROWS} r
        LEFT JOIN chk_status_words w ON w.raw = r.status
        LEFT JOIN chk_carrier_names c ON c.raw = r.carrier"""
    )


def _phones_without_tail(con: duckdb.DuckDBPyConnection) -> int:
    """Accepted orders with a buyer phone but no tail: the import's warning count."""
    row = con.execute(
        f"SELECT count(*) FROM {_ROWS} r JOIN {TABLE} t ON t.seq = r.line"
        " WHERE t.ok AND r.buyer_phone IS NOT NULL AND r.buyer_phone_tail IS NULL"
    ).fetchone()
    return int(row[0]) if row else 0


def _duplicates(con: duckdb.DuckDBPyConnection) -> bool:
    """A repeated order is refused or merged depending on where the Python reader's chunks
    end: such a file is read by the Python reader."""
    row = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE ok GROUP BY shop_id, order_id"
        " HAVING count(*) > 1)"
    ).fetchone()
    return bool(row and row[0])
