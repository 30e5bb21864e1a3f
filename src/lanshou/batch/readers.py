"""Read the files of `lanshou check` into a shipments table for `evaluate_batch`.

Both sources are read by DuckDB's CSV reader as text (all_varchar); values are parsed and
checked in SQL so a bad row becomes a reject {file, row, reason} while good rows go on. `row`
is the 1-based line in the file counting the header (records are assumed to be one line).
Times without an offset are local to the profile's zone.

* generic: orders.csv (one shipment per order, shipment_key = order_id) + optional tracking.csv;
  first pickup = earliest event with a pickup status, matched on (carrier case-insensitively,
  waybill).
* olist: orders + items; a shipment is (order_id, seller_id), its deadline the earliest item
  shipping_limit_date, satisfied by order_delivered_carrier_date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lanshou.batch.rule_sql import quote
from lanshou.domain.rules.profile import Profile
from lanshou.domain.tracking import STATUSES

__all__ = ["CheckInputError", "ReadResult", "Rejected", "read_generic", "read_olist"]

GENERIC_ORDERS = [
    "order_id",
    "shop_id",
    "paid_at",
    "amount",
    "quantity",
    "province",
    "status",
    "shipped_at",
    "carrier",
    "waybill",
]
TRACKING = ["carrier", "waybill", "time", "status", "location", "description"]
OLIST_ORDERS = [
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
]
OLIST_ITEMS = [
    "order_id",
    "order_item_id",
    "product_id",
    "seller_id",
    "shipping_limit_date",
    "price",
    "freight_value",
]


class CheckInputError(Exception):
    """Nothing usable could be read (missing file, wrong header, no valid row)."""

    code = "check_input"


@dataclass(frozen=True)
class Rejected:
    file: str
    row: int
    reason: str


@dataclass
class ReadResult:
    shipments: str  # table name holding the shipments (evaluate_batch's input)
    rejected: list[Rejected] = field(default_factory=list)
    orphan_orders: int = 0  # olist: orders whose items are not in the items file
    orphan_items: int = 0  # olist: items whose order is not in the orders file


def _header(path: Path, expected: list[str], min_cols: int) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = [h.strip().lower() for h in next(csv.reader(fh), [])]
    except OSError as exc:
        raise CheckInputError(f"{path}: cannot read ({exc.strerror})") from exc
    n = len(header)
    if n < min_cols or n > len(expected) or header != expected[:n]:
        raise CheckInputError(f"{path}: header must be {','.join(expected[:min_cols])}[,...]")
    return header


def _load(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, expected: list[str], min_cols: int
) -> tuple[str, list[Rejected]]:
    """Load `path` as text into table `name` with a `line` column; structural rejects."""
    cols = _header(path, expected, min_cols)
    spec = "{" + ", ".join(f"{quote(c)}: 'VARCHAR'" for c in cols) + "}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name}_raw AS SELECT *, row_number() OVER () AS rn
        FROM read_csv({quote(str(path))}, header=true, delim=',', quote='"', escape='"',
             columns={spec}, store_rejects=true, rejects_table='{name}_err',
             rejects_scan='{name}_scan', auto_detect=false, null_padding=false)"""
    )
    errors = con.execute(f"SELECT line, error_type FROM {name}_err ORDER BY line").fetchall()
    n_ok = con.execute(f"SELECT count(*) FROM {name}_raw").fetchone()
    total = (n_ok[0] if n_ok else 0) + len(errors)
    # Accepted rows keep file order: the k-th accepted row sits on the k-th line not rejected.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        WITH good AS (SELECT line, row_number() OVER (ORDER BY line) AS rn
                      FROM range(2, {total + 2}) r(line)
                      WHERE line NOT IN (SELECT line FROM {name}_err))
        SELECT r.* EXCLUDE (rn), CAST(g.line AS BIGINT) AS line
        FROM {name}_raw r JOIN good g USING (rn)"""
    )
    rejects = [Rejected(str(path), int(line), f"malformed row: {kind}") for line, kind in errors]
    return name, rejects


# An offset after a clock time, as exports write it: Z, +08:00, +0800, +08, -05, with or
# without a space before it. (A bare date's "-11" is its day, not an offset.)
_OFFSET_SQL = "(\\d{1,2}:\\d{2}(:\\d{2}([.,]\\d+)?)?)\\s*(Z|z|[+-]\\d{2}(:?\\d{2})?)$"


def _time(col: str, tz: str) -> str:
    """SQL parsing a text time; without an offset it is local to `tz`. NULL if unparseable.

    A value with an offset is cast to TIMESTAMPTZ (the space before the offset removed), never
    to TIMESTAMP, which would drop the offset silently and read `-05` as local time.
    """
    c = f"nullif(trim({col}), '')"
    return (
        f"CASE WHEN regexp_matches({c}, '{_OFFSET_SQL}') "
        f"THEN try_cast(regexp_replace({c}, '{_OFFSET_SQL}', '\\1\\4') AS TIMESTAMPTZ) "
        f"ELSE timezone({quote(tz)}, try_cast({c} AS TIMESTAMP)) END"
    )


def _count(col: str) -> str:
    """SQL reading a count: a whole number 1..1,000,000 (`2` or `2.0`, never `2.5`), else NULL.

    (A cast to INTEGER would round `2.5` to 3.)
    """
    c = f"trim({col})"
    return (
        f"CASE WHEN regexp_matches({c}, '^[0-9]{{1,7}}(\\.0*)?$') "
        f"AND CAST(CAST({c} AS DECIMAL(18,6)) AS BIGINT) BETWEEN 1 AND 1000000 "
        f"THEN CAST(CAST({c} AS DECIMAL(18,6)) AS INTEGER) END"
    )


def _bad_time(col: str, tz: str) -> str:
    return f"(nullif(trim({col}), '') IS NOT NULL AND ({_time(col, tz)}) IS NULL)"


def _validated(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, checks: list[tuple[str, str]]
) -> list[Rejected]:
    """Apply (condition-for-bad, reason) checks; bad rows move out of `table` into rejects."""
    reason = " || ".join(
        f"CASE WHEN {cond} THEN {quote(msg + '; ')} ELSE '' END" for cond, msg in checks
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {reason} AS _why FROM {table}")
    rows = con.execute(f"SELECT line, _why FROM {table} WHERE _why <> '' ORDER BY line").fetchall()
    con.execute(f"DELETE FROM {table} WHERE _why <> ''")
    return [Rejected(str(path), int(line), why.rstrip("; ")) for line, why in rows]


def read_generic(
    con: duckdb.DuckDBPyConnection, profile: Profile, orders: Path, tracking: Path | None
) -> ReadResult:
    """Read generic orders.csv (+ tracking.csv) into the table `chk_ships`."""
    tz = profile.tz.key
    o, rejects = _load(con, orders, "chk_orders", GENERIC_ORDERS, 4)
    for c in GENERIC_ORDERS:
        if c not in con.table(o).columns:
            con.execute(f"ALTER TABLE {o} ADD COLUMN {c} VARCHAR")
    rejects += _validated(
        con,
        o,
        orders,
        [
            ("nullif(trim(order_id), '') IS NULL", "order_id is empty"),
            ("nullif(trim(shop_id), '') IS NULL", "shop_id is empty"),
            (f"({_time('paid_at', tz)}) IS NULL", "paid_at is not a time"),
            (
                "try_cast(trim(amount) AS DECIMAL(18,2)) IS NULL OR try_cast(trim(amount) AS "
                "DECIMAL(18,2)) < 0",
                "amount is not a non-negative number",
            ),
            (
                f"nullif(trim(quantity), '') IS NOT NULL AND {_count('quantity')} IS NULL",
                "quantity is not a positive integer",
            ),
            (_bad_time("shipped_at", tz), "shipped_at is not a time"),
            ("count(*) OVER (PARTITION BY trim(order_id)) > 1", "duplicate order_id"),
        ],
    )
    pickup = "NULL::TIMESTAMPTZ AS first_pickup_at, NULL AS carrier_l, NULL AS waybill_t"
    join = ""
    if tracking is not None:
        t, t_rejects = _load(con, tracking, "chk_tracking", TRACKING, 4)
        known = ", ".join(quote(s) for s in sorted(STATUSES))
        rejects += t_rejects + _validated(
            con,
            t,
            tracking,
            [
                (
                    "nullif(trim(carrier), '') IS NULL OR nullif(trim(waybill), '') IS NULL",
                    "carrier or waybill is empty",
                ),
                (f"({_time('time', tz)}) IS NULL", "time is not a time"),
                (f"lower(trim(status)) NOT IN ({known})", "unknown status"),
            ],
        )
        statuses = ", ".join(quote(s) for s in profile.pickup_statuses)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE chk_pickups AS
            SELECT lower(trim(carrier)) AS carrier_l, trim(waybill) AS waybill_t,
                   min({_time("time", tz)}) AS first_pickup_at
            FROM {t} WHERE lower(trim(status)) IN ({statuses}) GROUP BY ALL"""
        )
        pickup = "p.first_pickup_at"
        join = (
            "LEFT JOIN chk_pickups p ON p.carrier_l = lower(trim(o.carrier)) "
            "AND p.waybill_t = trim(o.waybill)"
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_ships AS
        SELECT trim(o.order_id) AS shipment_key, trim(o.order_id) AS order_id,
               trim(o.shop_id) AS shop_id, {_time("o.paid_at", tz)} AS paid_at,
               {_time("o.shipped_at", tz)} AS shipped_at, {pickup},
               CAST(trim(o.amount) AS DECIMAL(18,2)) AS amount,
               coalesce({_count("o.quantity")}, 1) AS quantity,
               nullif(trim(o.province), '') AS province,
               nullif(lower(trim(o.carrier)), '') AS carrier_code,
               nullif(lower(trim(o.status)), '') AS order_status
        FROM {o} o {join}"""
    )
    return ReadResult("chk_ships", rejects)


def read_olist(
    con: duckdb.DuckDBPyConnection, profile: Profile, orders: Path, items: Path
) -> ReadResult:
    """Read the olist orders and items files into the table `chk_ships`."""
    tz = profile.tz.key
    o, rejects = _load(con, orders, "chk_orders", OLIST_ORDERS, len(OLIST_ORDERS))
    i, i_rejects = _load(con, items, "chk_items", OLIST_ITEMS, len(OLIST_ITEMS))
    rejects += _validated(
        con,
        o,
        orders,
        [
            ("nullif(trim(order_id), '') IS NULL", "order_id is empty"),
            (_bad_time("order_purchase_timestamp", tz), "order_purchase_timestamp is not a time"),
            (
                _bad_time("order_delivered_carrier_date", tz),
                "order_delivered_carrier_date is not a time",
            ),
            ("count(*) OVER (PARTITION BY trim(order_id)) > 1", "duplicate order_id"),
        ],
    )
    rejects += i_rejects + _validated(
        con,
        i,
        items,
        [
            (
                "nullif(trim(order_id), '') IS NULL OR nullif(trim(seller_id), '') IS NULL",
                "order_id or seller_id is empty",
            ),
            (f"({_time('shipping_limit_date', tz)}) IS NULL", "shipping_limit_date is not a time"),
            ("try_cast(trim(price) AS DECIMAL(18,2)) IS NULL", "price is not a number"),
            (
                "nullif(trim(freight_value), '') IS NOT NULL AND "
                "try_cast(trim(freight_value) AS DECIMAL(18,2)) IS NULL",
                "freight_value is not a number",
            ),
        ],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_ships AS
        WITH s AS (SELECT trim(order_id) AS order_id, trim(seller_id) AS seller_id,
                          min({_time("shipping_limit_date", tz)}) AS shipping_limit_at,
                          sum(CAST(trim(price) AS DECIMAL(18,2))
                              + coalesce(try_cast(trim(freight_value) AS DECIMAL(18,2)), 0))
                            AS amount,
                          max(CAST(trim(price) AS DECIMAL(18,2))) AS max_unit_price,
                          count(*) AS quantity
                   FROM {i} GROUP BY ALL)
        SELECT s.order_id || ':' || s.seller_id AS shipment_key, s.order_id,
               s.seller_id AS shop_id, {_time("o.order_purchase_timestamp", tz)} AS paid_at,
               s.shipping_limit_at,
               {_time("o.order_delivered_carrier_date", tz)} AS first_pickup_at,
               CAST(s.amount AS DECIMAL(18,2)) AS amount, CAST(s.quantity AS INTEGER) AS quantity,
               s.max_unit_price, lower(trim(o.order_status)) AS order_status
        FROM s JOIN {o} o ON trim(o.order_id) = s.order_id"""
    )
    orphans = con.execute(
        f"""SELECT (SELECT count(*) FROM {o} WHERE trim(order_id) NOT IN
                    (SELECT trim(order_id) FROM {i})),
                   (SELECT count(DISTINCT trim(order_id)) FROM {i} WHERE trim(order_id) NOT IN
                    (SELECT trim(order_id) FROM {o}))"""
    ).fetchone()
    assert orphans is not None
    return ReadResult("chk_ships", rejects, int(orphans[0]), int(orphans[1]))
