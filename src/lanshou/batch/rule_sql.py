"""Generate the DuckDB SQL that judges every shipment against one rule of a profile.

The SQL mirrors `lanshou.domain.rules.evaluate` step by step, in integer microseconds and
integer fen so nothing depends on floating point:

    start/explicit/satisfied instants -> local start day (ASOF on the days table)
    -> one candidate deadline per duration variant (base + each override's duration)
    -> CASE: explicit deadline, override windows on the start day, else the base duration
    -> remote regions (CASE on province prefix) -> declared exemptions (join + aggregate)
    -> lateness, compensation tiers, fine due, auto refund.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lanshou.batch.calendar_sql import DAY_US, day_number
from lanshou.domain.money import to_fen
from lanshou.domain.rules.calendar import HOUR_US, to_us
from lanshou.domain.rules.profile import (
    Compensation,
    Duration,
    DurationUnit,
    Profile,
    Rule,
    SatisfiedBy,
)

__all__ = ["RuleSqlContext", "quote", "rule_sql", "windows_key"]

_START = {"paid_at": "paid_us", "shipped_at": "shipped_us"}
_EXPLICIT = {"exp_ship_time": "exp_ship_us", "shipping_limit_at": "shipping_limit_us"}


def quote(text: str) -> str:
    """A SQL string literal (profile data is trusted, but quotes in names must not break SQL)."""
    return "'" + text.replace("'", "''") + "'"


def windows_key(duration: Duration) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Identifies a working-window configuration; equal keys share a segments table."""
    return tuple(tuple(duration.windows_for(w)) for w in range(7))


@dataclass(frozen=True)
class RuleSqlContext:
    ships: str  # normalised shipments table
    days: str  # days table (see calendar_sql)
    segments: dict[tuple[tuple[tuple[int, int], ...], ...], str]  # windows key -> table
    exemptions: str | None  # approved declared exemptions table, or None when there are none
    now_us: int
    # The zone's fixed UTC offset over the days table, or None (DST inside the range): when
    # set, local days are computed as integers `(t + offset) // DAY_US`, without a join.
    day_offset_us: int | None = None
    late_only: bool = False  # emit only late outcomes (exempted ones included)
    with_open: bool = False  # with late_only, also the open ones (see `kept`)

    def kept(self) -> str:
        """The WHERE clause choosing the outcomes a rule emits: every one, or the late ones
        (and, `with_open`, those still open: unsatisfied, deadline not passed)."""
        if not self.late_only:
            return ""
        if self.with_open:
            return f" WHERE late OR (sat_us IS NULL AND deadline_us >= {self.now_us})"
        return " WHERE late"

    def local_day(self, us: str) -> str:
        """SQL for the local day of instant `us`: a day number (fixed offset) or needs a join."""
        assert self.day_offset_us is not None
        return f"({us} + {self.day_offset_us}) // {DAY_US}"


def _variant_ctes(rule: Rule, ctx: RuleSqlContext) -> tuple[list[str], list[str | None]]:
    """CTEs computing d_k for each duration variant; returns (ctes, column per variant)."""
    variants = [rule.duration] + [ov.duration for ov in rule.overrides]
    ctes: list[str] = []
    cols: list[str | None] = []
    prev = "r1"
    for k, dur in enumerate(variants):
        if dur is None:
            cols.append(None)
            continue
        col = f"d_{k}"
        cols.append(col)
        if dur.unit == DurationUnit.CALENDAR_HOURS:
            ctes.append(f"v{k} AS (SELECT p.*, p.start_us + {dur.micros} AS {col} FROM {prev} p)")
        elif dur.unit == DurationUnit.WORKING_DAYS:
            n = int(dur.hours)
            ctes.append(
                f"""v{k} AS (SELECT p.*, CASE WHEN p.start_us IS NULL THEN NULL ELSE t.day_start_us
                    + CASE WHEN p.start_work THEN p.start_us - p.start_day_us ELSE 0 END
                  END AS {col}
                FROM {prev} p LEFT JOIN {ctx.days} t ON t.is_workday
                 AND t.workday_ord = p.start_ord + {n}
                     + CASE WHEN p.start_work THEN 0 ELSE 1 END)"""
            )
        else:
            seg = ctx.segments[windows_key(dur)]
            # W(start), then the earliest instant whose W reaches W(start) + duration.
            ctes.append(
                f"""v{k}a AS (SELECT p.*, CASE WHEN p.start_us IS NULL THEN NULL ELSE
                    coalesce(g.cum_start_us + least(p.start_us - g.seg_start_us,
                             g.seg_end_us - g.seg_start_us), 0) + {dur.micros} END AS w_{k}
                FROM {prev} p ASOF LEFT JOIN {seg} g ON p.start_us >= g.seg_start_us)"""
            )
            ctes.append(
                f"""v{k} AS (SELECT p.*, g.seg_start_us + (p.w_{k} - g.cum_start_us) AS {col}
                FROM v{k}a p ASOF LEFT JOIN {seg} g ON p.w_{k} <= g.cum_end_us)"""
            )
        prev = f"v{k}"
    ctes.append(f"vz AS (SELECT * FROM {prev})")
    return ctes, cols


def _base_deadline(rule: Rule, profile: Profile, cols: list[str | None], day_numbers: bool) -> str:
    whens = ["WHEN explicit_us IS NOT NULL THEN explicit_us", "WHEN start_us IS NULL THEN NULL"]
    for k, ov in enumerate(rule.overrides, start=1):
        if ov.deadline_at is not None:
            value = str(to_us(ov.deadline_at.replace(tzinfo=profile.tz)))
        else:
            value = cols[k] or "NULL"
        if day_numbers:
            lo, hi = str(day_number(ov.from_date)), str(day_number(ov.to_date))
        else:
            lo, hi = f"DATE '{ov.from_date}'", f"DATE '{ov.to_date}'"
        whens.append(f"WHEN start_day BETWEEN {lo} AND {hi} THEN {value}")
    return f"CASE {' '.join(whens)} ELSE {cols[0] or 'NULL'} END"


def _regions(rule: Rule, profile: Profile) -> tuple[str, str, str]:
    """(region id, extra µs, exclude flag) CASE expressions; the first matching region wins."""
    ids, extra, excl = [], [], []
    for region in profile.exemptions:
        if region.rules is not None and rule.id not in region.rules:
            continue
        cond = " OR ".join(f"starts_with(province, {quote(p)})" for p in region.provinces)
        ids.append(f"WHEN {cond} THEN {quote(region.id)}")
        hours = region.extra_hours or Decimal(0)
        extra.append(f"WHEN {cond} THEN {int(hours * HOUR_US)}")
        excl.append(f"WHEN {cond} THEN {'true' if region.exclude else 'false'}")
    if not ids:
        return "NULL::VARCHAR", "0::BIGINT", "false"
    return (
        f"CASE {' '.join(ids)} END",
        f"CASE {' '.join(extra)} ELSE 0 END",
        f"CASE {' '.join(excl)} ELSE false END",
    )


def _compensation(comp: Compensation | None) -> str:
    """The tiers as a CASE on the exact base num/den (unit price: amount ÷ quantity unrounded,
    or the highest item price over 1), so the tier is chosen exactly as `compensation_for`."""
    if comp is None:
        return "0"
    num, den = ("unit_num", "unit_den") if comp.base == "unit_price" else ("amount_fen", "1")
    whens = []
    for tier in comp.tiers:
        if tier.up_to is not None:
            cond = f"{num} <= {to_fen(tier.up_to)} * {den}"
        elif tier.below is not None:
            cond = f"{num} < {to_fen(tier.below)} * {den}"
        else:
            cond = "true"
        if tier.fixed is not None:
            value = str(to_fen(tier.fixed))
        else:
            assert tier.percent is not None
            p_num, p_den = tier.percent.as_integer_ratio()
            # fen × percent / 100, rounded half up, in integers: floor((2x + d) / 2d).
            value = f"(2 * {num} * {p_num} + {100 * p_den} * {den}) // ({200 * p_den} * {den})"
            if tier.min is not None:
                value = f"greatest({value}, {to_fen(tier.min)})"
            if tier.max is not None:
                value = f"least({value}, {to_fen(tier.max)})"
        whens.append(f"WHEN {cond} THEN {value}")
    return f"CASE {' '.join(whens)} END"


def _declared(rule: Rule, ctx: RuleSqlContext) -> list[str]:
    """CTEs joining declared exemptions; `r3` adds ex_id / ext_id / deadline_us / exempt."""
    if ctx.exemptions is None:
        return [
            """r3 AS (SELECT r2.*, NULL::VARCHAR AS ex_id, NULL::VARCHAR AS ext_id,
                deadline1 AS deadline_us, region_exclude AS exempt FROM r2)"""
        ]
    lo = "coalesce(p.start_us, p.deadline1)"
    return [
        f"""hits AS (SELECT p.shop_id, p.shipment_key, e.id, e.mode,
                least(e.to_us, p.deadline1) - greatest(e.from_us, {lo}) AS overlap
            FROM r2 p JOIN {ctx.exemptions} e ON p.deadline1 IS NOT NULL AND NOT p.region_exclude
             AND (e.rules IS NULL OR list_contains(e.rules, {quote(rule.id)}))
             AND (e.shops IS NULL OR list_contains(e.shops, p.shop_id))
             AND (e.provinces IS NULL OR (p.province IS NOT NULL
                  AND len(list_filter(e.provinces, lambda x: starts_with(p.province, x))) > 0))
             AND (e.carriers IS NULL
                  OR list_contains(e.carriers, lower(coalesce(p.carrier_code, ''))))
             AND e.from_us <= p.deadline1 AND e.to_us > {lo})""",
        """ex AS (SELECT shop_id, shipment_key, min(id) FILTER (WHERE mode = 'exempt') AS ex_id,
                max(overlap) FILTER (WHERE mode = 'extend' AND overlap > 0) AS ext_us,
                first(id ORDER BY overlap DESC, id) FILTER (WHERE mode = 'extend' AND overlap > 0)
                  AS ext_id
            FROM hits GROUP BY shop_id, shipment_key)""",
        """r3 AS (SELECT r2.*, ex.ex_id, ex.ext_id,
                deadline1 + CASE WHEN ex.ex_id IS NULL THEN coalesce(ex.ext_us, 0) ELSE 0 END
                  AS deadline_us,
                region_exclude OR ex.ex_id IS NOT NULL AS exempt
            FROM r2 LEFT JOIN ex USING (shop_id, shipment_key))""",
    ]


def rule_sql(rule: Rule, profile: Profile, ctx: RuleSqlContext) -> str:
    """A SELECT yielding one row per shipment for `rule` (columns: see `engine._UNION_COLS`)."""
    start = _START[rule.start] if rule.start else "NULL::BIGINT"
    explicit = _EXPLICIT[rule.deadline_field] if rule.deadline_field else "NULL::BIGINT"
    sat = "shipped_us" if rule.satisfied_by == SatisfiedBy.SHIPPED_AT else "first_pickup_us"
    variant_ctes, cols = _variant_ctes(rule, ctx)
    region_id, region_extra, region_excl = _regions(rule, profile)
    cons = rule.consequences
    fine = cons.fine
    refund_us = (
        int(cons.auto_refund_after_hours * HOUR_US) if cons.auto_refund_after_hours else None
    )
    refund = (
        f"CASE WHEN viol AND {ctx.now_us} >= deadline_us + {refund_us} AND (sat_us IS NULL"
        f" OR sat_us > deadline_us + {refund_us}) THEN amount_fen ELSE 0 END"
        if refund_us is not None
        else "0"
    )
    # The start day (ordinal, workday flag) comes from the days table only when a working-days
    # duration needs it, or when override date ranges must be matched and the zone offset is
    # not fixed; otherwise it is integer arithmetic (or not needed at all).
    working_days = any(
        d is not None and d.unit == DurationUnit.WORKING_DAYS
        for d in [rule.duration] + [ov.duration for ov in rule.overrides]
    )
    join_days = working_days or (bool(rule.overrides) and ctx.day_offset_us is None)
    if join_days:
        r1 = f"""r1 AS (SELECT r0.*, d.day AS start_day, d.day_start_us AS start_day_us,
                d.is_workday AS start_work, d.workday_ord AS start_ord
            FROM r0 ASOF LEFT JOIN {ctx.days} d ON r0.start_us >= d.day_start_us)"""
    elif rule.overrides:
        r1 = f"r1 AS (SELECT r0.*, {ctx.local_day('start_us')} AS start_day FROM r0)"
    else:
        r1 = "r1 AS (SELECT * FROM r0)"
    ctes = [
        f"""r0 AS (SELECT s.*, {start} AS start_us, {explicit} AS explicit_us, {sat} AS sat_us
            FROM {ctx.ships} s)""",
        r1,
        *variant_ctes,
        f"""b AS (SELECT vz.*, {_base_deadline(rule, profile, cols, not join_days)} AS base_us
            FROM vz)""",
        f"""r2 AS (SELECT b.*,
                CASE WHEN base_us IS NULL THEN NULL ELSE {region_id} END AS region_id,
                base_us + {region_extra} AS deadline1,
                base_us IS NOT NULL AND {region_excl} AS region_exclude
            FROM b)""",
        *_declared(rule, ctx),
        f"""r4 AS (SELECT r3.*, CASE WHEN deadline_us IS NULL THEN false
                WHEN sat_us IS NOT NULL THEN sat_us > deadline_us
                ELSE {ctx.now_us} > deadline_us END AS late FROM r3)""",
        "r5 AS (SELECT r4.*, late AND NOT exempt AS viol FROM r4)",
    ]
    return f"""WITH {", ".join(ctes)}
    SELECT shipment_key, order_id, shop_id, {quote(rule.id)} AS rule, start_us, deadline_us,
        sat_us, late, exempt,
        CASE WHEN region_exclude THEN region_id WHEN ex_id IS NOT NULL THEN ex_id
             WHEN ext_id IS NOT NULL THEN ext_id ELSE region_id END AS exemption_id,
        CASE WHEN viol THEN {_compensation(cons.compensation)} ELSE 0 END AS comp_fen,
        viol AND {"true" if fine is not None else "false"} AS fine_candidate,
        {to_fen(fine.amount) if fine is not None else 0} AS fine_fen_due,
        {refund} AS refund_fen
    FROM r5{ctx.kept()}"""
