"""Vectorised evaluation of many shipments in DuckDB — the same verdicts as the pure path.

`evaluate_batch` reads a relation of shipments (a table, a view, or an expression such as
`read_parquet('shipments.parquet')`) with the columns of `ShipmentFacts`:

    shipment_key, order_id, shop_id VARCHAR; paid_at, shipped_at, exp_ship_time,
    shipping_limit_at, first_pickup_at TIMESTAMPTZ; amount, max_unit_price DECIMAL;
    quantity INTEGER; province, carrier_code, order_status VARCHAR

Missing optional columns are read as NULL. A shipment is (`shop_id`, `shipment_key`), unique:
two shops may use the same order number. The result has one
row per evaluated shipment and rule (see `RESULT_COLUMNS`). Fines are allocated with window
functions in the order (deadline, shipment_key, rule), exactly like `allocate_fines`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import duckdb

from lanshou.batch.calendar_sql import DAY_US, create_days_table, create_segments_table
from lanshou.batch.rule_sql import RuleSqlContext, quote, rule_sql, windows_key
from lanshou.domain.money import to_fen
from lanshou.domain.rules.calendar import WorkingCalendar, to_us
from lanshou.domain.rules.evaluate import KNOWN_AT_NOW
from lanshou.domain.rules.exemptions import Exemption
from lanshou.domain.rules.profile import DurationUnit, Profile

__all__ = ["RESULT_COLUMNS", "evaluate_batch", "evaluated_count"]

RESULT_COLUMNS = (
    "shipment_key",
    "order_id",
    "shop_id",
    "rule",
    "started_at",
    "deadline",
    "satisfied_at",
    "late",
    "exempt",
    "exemption_id",
    "compensation",
    "fine",
    "auto_refund",
)
_TIMES = ("paid_at", "shipped_at", "exp_ship_time", "shipping_limit_at", "first_pickup_at")
_FACTS = frozenset(KNOWN_AT_NOW)
_OPTIONAL = {
    "max_unit_price": "NULL::DECIMAL(18,2)",
    "quantity": "1",
    "province": "NULL::VARCHAR",
    "carrier_code": "NULL::VARCHAR",
    "order_status": "NULL::VARCHAR",
    **{t: "NULL::TIMESTAMPTZ" for t in _TIMES},
}
_DAY = dt.timedelta(days=1)


def _normalise(
    con: duckdb.DuckDBPyConnection, source: str, profile: Profile, prefix: str, now_us: int
) -> str:
    cols = {c.lower() for c in con.sql(f"SELECT * FROM {source} LIMIT 0").columns}

    def col(name: str) -> str:
        return name if name in cols else _OPTIONAL[name]

    def us(t: str) -> str:
        expr = f"epoch_us(CAST({col(t)} AS TIMESTAMPTZ))"
        if t in _FACTS:  # a fact dated after now has not happened yet (`known_at`)
            expr = f"CASE WHEN {expr} > {now_us} THEN NULL ELSE {expr} END"
        return f"{expr} AS {t.removesuffix('_at').removesuffix('_time')}_us"

    times = ", ".join(us(t) for t in _TIMES)
    skip = ", ".join(quote(s) for s in profile.skip_statuses) or "NULL"
    name = f"{prefix}ships"
    # One pass; unit price: the highest item price, else amount ÷ quantity, kept exact as a
    # numerator and denominator (the tier is chosen on the unrounded price).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT *, coalesce(max_unit_fen, amount_fen) AS unit_num,
               CASE WHEN max_unit_fen IS NULL THEN qty ELSE 1 END AS unit_den
        FROM (SELECT CAST(shipment_key AS VARCHAR) AS shipment_key,
               CAST(order_id AS VARCHAR) AS order_id, CAST(shop_id AS VARCHAR) AS shop_id,
               {times},
               CAST(CAST(amount AS DECIMAL(18,2)) * 100 AS BIGINT) AS amount_fen,
               greatest(coalesce(CAST({col("quantity")} AS BIGINT), 1), 1) AS qty,
               CAST(CAST({col("max_unit_price")} AS DECIMAL(18,2)) * 100 AS BIGINT)
                 AS max_unit_fen,
               CAST({col("province")} AS VARCHAR) AS province,
               CAST({col("carrier_code")} AS VARCHAR) AS carrier_code
        FROM {source}
        WHERE {col("order_status")} IS NULL OR {col("order_status")} NOT IN ({skip}))"""
    )
    return name


def _day_range(
    con: duckdb.DuckDBPyConnection,
    ships: str,
    profile: Profile,
    cal: WorkingCalendar,
    exemptions: Sequence[Exemption],
) -> tuple[dt.date, dt.date] | None:
    cols = ("paid_us", "shipped_us", "exp_ship_us", "shipping_limit_us", "first_pickup_us")
    row = con.execute(
        f"SELECT min(least({', '.join(cols)})), max(greatest({', '.join(cols)})) FROM {ships}"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    # Room after the latest fact for the longest duration, remote extra hours and event spans.
    margin = 40
    for rule in profile.rules:
        for dur in [rule.duration] + [o.duration for o in rule.overrides]:
            if dur is None:
                continue
            if dur.unit == DurationUnit.WORKING_DAYS:
                margin = max(margin, int(dur.hours) * 3 + 40)
            elif dur.unit == DurationUnit.WORKING_HOURS:
                per_day = min(
                    (sum(b - a for a, b in dur.windows_for(w)) for w in range(7)), default=3600
                )
                margin = max(margin, int(dur.micros / max(per_day, 60) / 1e6) * 3 + 40)
            else:
                margin = max(margin, int(dur.hours) // 24 + 40)
        for ov in rule.overrides:
            if ov.deadline_at is not None:
                margin += max(0, (ov.deadline_at.date() - ov.from_date).days)
    margin += int(max((r.extra_hours or Decimal(0) for r in profile.exemptions), default=0)) // 24
    span = max((to_us(e.valid_to) - to_us(e.valid_from) for e in exemptions), default=0)
    margin += span // DAY_US + 1
    return cal.local_date(row[0]) - 2 * _DAY, cal.local_date(row[1]) + margin * _DAY


def _exemptions_table(
    con: duckdb.DuckDBPyConnection, exemptions: Sequence[Exemption], name: str
) -> str | None:
    approved = [e for e in exemptions if e.approved]
    if not approved:
        return None

    def lst(v: frozenset[str] | None) -> list[str] | None:
        return sorted(v) if v is not None else None

    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} (id VARCHAR, mode VARCHAR, from_us BIGINT,
        to_us BIGINT, provinces VARCHAR[], carriers VARCHAR[], shops VARCHAR[], rules VARCHAR[])"""
    )
    con.executemany(
        f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                e.id,
                e.mode,
                to_us(e.valid_from),
                to_us(e.valid_to),
                lst(e.provinces),
                lst(e.carriers),
                lst(e.shop_ids),
                lst(e.rules),
            ]
            for e in approved
        ],
    )
    return name


def _output(src: str, fine: str) -> str:
    """The result columns (`RESULT_COLUMNS`) of rows of the union, with `fine` in fen."""
    return f"""SELECT shipment_key, order_id, shop_id, rule,
               make_timestamptz(start_us) AS started_at,
               make_timestamptz(deadline_us) AS deadline,
               make_timestamptz(sat_us) AS satisfied_at,
               late, exempt, exemption_id,
               CAST(comp_fen * 0.01 AS DECIMAL(18,2)) AS compensation,
               CAST({fine} * 0.01 AS DECIMAL(18,2)) AS fine,
               CAST(refund_fen * 0.01 AS DECIMAL(18,2)) AS auto_refund
        FROM {src}"""


def evaluated_count(
    con: duckdb.DuckDBPyConnection, profile: Profile, result_name: str = "lanshou_result"
) -> int:
    """The shipments the last `evaluate_batch(..., result_name)` judged (status not skipped):
    each has one outcome per rule, so this is the count of distinct shipments in a full result
    table, whether or not that table kept every outcome."""
    if not profile.rules:
        return 0
    row = con.execute(
        f"SELECT count(DISTINCT (shop_id, shipment_key)) FROM _{result_name}_ships"
    ).fetchone()
    return int(row[0]) if row else 0


def evaluate_batch(
    con: duckdb.DuckDBPyConnection,
    shipments: str | duckdb.DuckDBPyRelation,
    profile: Profile,
    calendar: WorkingCalendar,
    exemptions: Sequence[Exemption],
    now: dt.datetime,
    result_name: str = "lanshou_result",
    *,
    late_only: bool = False,
    with_open: bool = False,
) -> duckdb.DuckDBPyRelation:
    """Evaluate every shipment of `shipments` and return the result table as a relation.

    With `late_only` the table keeps only late outcomes (exempted ones included, flagged): all
    violations and all money, but not what is still open or was on time. `with_open` adds the
    open outcomes (unsatisfied, deadline not passed): what a summary's `open` counts, without
    the on-time majority (`evaluated_count` counts every evaluated shipment).
    """
    prefix = f"_{result_name}_"
    if isinstance(shipments, duckdb.DuckDBPyRelation):
        shipments.create_view(f"{prefix}src", replace=True)
        shipments = f"{prefix}src"
    ships = _normalise(con, shipments, profile, prefix, to_us(now))
    days = f"{prefix}days"
    span = _day_range(con, ships, profile, calendar, exemptions)
    first, last = span if span else (dt.date(2000, 1, 1), dt.date(2000, 1, 2))
    day_offset = create_days_table(con, days, calendar, first, last)
    segments: dict[tuple[tuple[tuple[int, int], ...], ...], str] = {}
    for rule in profile.rules:
        for dur in [rule.duration] + [o.duration for o in rule.overrides]:
            if dur is not None and dur.unit == DurationUnit.WORKING_HOURS:
                key = windows_key(dur)
                if key not in segments:
                    segments[key] = f"{prefix}segs{len(segments)}"
                    create_segments_table(
                        con, segments[key], calendar, dur.windows_for, first, last
                    )
    ctx = RuleSqlContext(
        ships,
        days,
        segments,
        _exemptions_table(con, exemptions, f"{prefix}ex"),
        to_us(now),
        day_offset,
        late_only,
        with_open,
    )
    union = " UNION ALL ".join(f"({rule_sql(r, profile, ctx)})" for r in profile.rules)
    max_per_order, day_cap = profile.fine_caps()
    if not any(r.consequences.fine is not None for r in profile.rules):
        # No fines: one pass, no window functions.
        query = _output(f"({union})", "0")
    else:
        # Window functions (caps) only over the fine candidates (late, not exempt, fined); the
        # other outcomes pass straight through with no fine. `u` is computed once.
        order_cap = "true" if max_per_order is None else f"order_rank <= {max_per_order}"
        rank = (
            ""
            if max_per_order is None
            else """, ROW_NUMBER() OVER (PARTITION BY shop_id, order_id
                                    ORDER BY deadline_us, shipment_key, rule) AS order_rank"""
        )
        if day_cap is None:
            loc = f"SELECT *, CASE WHEN {order_cap} THEN fine_fen_due ELSE 0 END AS elig FROM cand"
            alloc = "SELECT *, elig AS fine_fen FROM loc"
        else:
            if day_offset is not None:
                loc = f"""SELECT *, {ctx.local_day("deadline_us")} AS deadline_day,
                    CASE WHEN {order_cap} THEN fine_fen_due ELSE 0 END AS elig FROM cand"""
            else:
                # A deadline before the days table has no day: no fine (as before).
                loc = f"""SELECT c.*, d.day AS deadline_day,
                    CASE WHEN d.day IS NOT NULL AND {order_cap} THEN fine_fen_due ELSE 0 END
                      AS elig
                    FROM cand c ASOF LEFT JOIN {days} d ON c.deadline_us >= d.day_start_us"""
            alloc = f"""SELECT *, greatest(0, least(elig, {to_fen(day_cap)}
                   - coalesce(sum(elig) OVER (PARTITION BY shop_id, deadline_day
                     ORDER BY deadline_us, shipment_key, rule
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS fine_fen
                 FROM loc"""
        query = f"""WITH u AS MATERIALIZED ({union}),
        cand AS (SELECT *{rank} FROM u WHERE fine_candidate),
        loc AS ({loc}),
        alloc AS ({alloc})
        {_output("alloc", "fine_fen")}
        UNION ALL
        {_output("u WHERE NOT fine_candidate", "0")}"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {result_name} AS {query}")
    return con.table(result_name)
