"""`evaluate_batch` (douyin) against the same logic written by hand as one DuckDB query.

N synthetic shipments are generated with DuckDB SQL into Parquet; both sides read that file and
materialise a result table; the totals (violations, compensation, fines, auto refunds) must be
equal. Goal: the generated SQL within 1.5× of the hand-written query.

Equal work: the hand-written query materialises only the late outcomes, so the ratio is taken
against `evaluate_batch(..., late_only=True)`, which materialises the same rows (late outcomes).
`evaluate_batch` by default materialises every (shipment, rule) outcome (what `lanshou check`
needs for its `open` count); that time is reported as well, on its own row. Each side runs
twice and the better time counts (the machine may be shared).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from common import Result, fmt_n, fmt_s, log, timer

from lanshou.batch.engine import evaluate_batch
from lanshou.domain.rules import calendar_for, load_profile

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 4, 15, tzinfo=SH)
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
OFFSET_US = 8 * HOUR_US  # Asia/Shanghai has been UTC+8 without DST since 1991


def generate(con: duckdb.DuckDBPyConnection, n: int, path: Path) -> None:
    """Two shipments per order, 2,000 shops, paid 2026-01-20 .. 03-31 (Spring Festival inside)."""
    con.execute(
        f"""COPY (
        WITH g AS (SELECT range AS i, hash(range) AS h1, hash(range * 7 + 3) AS h2,
                          hash(range * 13 + 5) AS h3 FROM range({n})),
        t AS (SELECT i, h1, h2, h3,
                TIMESTAMPTZ '2026-01-20 00:00:00+08' + to_seconds(CAST(h1 % (70 * 86400) AS BIGINT))
                  AS paid_at,
                CAST([0.01, 2.99, 3.00, 3.01, 50.00, 88.80, 299.99, 300.00, 3000.00, 3001.00]
                     [CAST(h2 % 10 AS INTEGER) + 1] AS DECIMAL(18,2)) AS amount
              FROM g),
        s AS (SELECT *, CASE WHEN h2 % 100 < 92
                  THEN paid_at + to_seconds(CAST(h3 % (80 * 3600) AS BIGINT)) END AS shipped_at
              FROM t)
        SELECT 'K' || lpad(CAST(i AS VARCHAR), 10, '0') AS shipment_key,
               'O' || CAST(i // 2 AS VARCHAR) AS order_id,
               -- both shipments of an order belong to one shop, as in any real export
               'S' || CAST((i // 2) % 2000 AS VARCHAR) AS shop_id,
               paid_at, shipped_at,
               CASE WHEN shipped_at IS NOT NULL AND h1 % 100 < 85
                    THEN shipped_at + to_seconds(CAST(h3 % (110 * 3600) AS BIGINT)) END
                 AS first_pickup_at,
               amount, 1 AS quantity, amount AS max_unit_price
        FROM s) TO '{path}' (FORMAT parquet)"""
    )


def hand_sql(src: str, now_us: int) -> str:
    """douyin, written by hand: calendar-hours deadlines, Spring Festival overrides, tiers, caps."""

    def day(d: dt.date) -> int:  # local day number
        return (
            dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
            - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        ).days

    sf_fixed = int(dt.datetime(2026, 2, 25, tzinfo=SH).timestamp()) * 1_000_000
    return f"""CREATE OR REPLACE TEMP TABLE hand AS
    WITH s AS (
      SELECT shipment_key, order_id, shop_id,
             epoch_us(paid_at) AS paid_us, epoch_us(shipped_at) AS shipped_us,
             epoch_us(first_pickup_at) AS pickup_us,
             CAST(amount * 100 AS BIGINT) AS amount_c,
             CAST(coalesce(max_unit_price, round(amount / greatest(quantity, 1), 2)) * 100
                  AS BIGINT) AS unit_c
      FROM {src}),
    r AS (
      SELECT shipment_key, order_id, shop_id, 'ship_timeout' AS rule, amount_c, unit_c,
             CASE WHEN (paid_us + {OFFSET_US}) // {DAY_US}
                       BETWEEN {day(dt.date(2026, 2, 16))} AND {day(dt.date(2026, 2, 20))}
                    THEN {sf_fixed}
                  WHEN (paid_us + {OFFSET_US}) // {DAY_US}
                       BETWEEN {day(dt.date(2026, 2, 21))} AND {day(dt.date(2026, 2, 24))}
                    THEN paid_us + {72 * HOUR_US}
                  ELSE paid_us + {48 * HOUR_US} END AS deadline_us,
             shipped_us AS sat_us, false AS refundable, paid_us AS start_us
      FROM s
      UNION ALL
      SELECT shipment_key, order_id, shop_id, 'pickup_timeout', amount_c, unit_c,
             shipped_us + {24 * HOUR_US}, pickup_us, true, shipped_us
      FROM s WHERE shipped_us IS NOT NULL),
    v AS (
      SELECT *, CASE WHEN sat_us IS NOT NULL THEN sat_us > deadline_us
                     ELSE {now_us} > deadline_us END AS late
      FROM r),
    m AS (
      SELECT *,
        CASE WHEN unit_c <= 300 THEN 0 WHEN unit_c < 30000 THEN 300
             ELSE least((2 * unit_c + 100) // 200, 3000) END AS comp_c,
        CASE WHEN refundable AND {now_us} >= deadline_us + {72 * HOUR_US}
              AND (sat_us IS NULL OR sat_us > deadline_us + {72 * HOUR_US})
             THEN amount_c ELSE 0 END AS refund_c,
        CASE WHEN row_number() OVER (PARTITION BY shop_id, order_id
                                     ORDER BY deadline_us, shipment_key, rule) <= 2
             THEN 1000 ELSE 0 END AS elig
      FROM v WHERE late),
    f AS (
      SELECT *, greatest(0, least(elig, 50000 - coalesce(sum(elig) OVER (
                 PARTITION BY shop_id, (deadline_us + {OFFSET_US}) // {DAY_US}
                 ORDER BY deadline_us, shipment_key, rule
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS fine_c
      FROM m)
    SELECT shipment_key, order_id, shop_id, rule, start_us, deadline_us, sat_us, comp_c, fine_c,
           refund_c
    FROM f"""


def check_profile() -> None:
    """The hand-written query hard-codes douyin: fail loudly if the profile moved."""
    p = load_profile("douyin")
    assert p.fine_caps() == (2, Decimal("500.00")), p.fine_caps()
    ship, pick = p.rule("ship_timeout"), p.rule("pickup_timeout")
    assert ship.duration is not None and ship.duration.hours == 48
    assert [str(o.from_date) for o in ship.overrides] == ["2026-02-16", "2026-02-21"]
    assert pick.duration is not None and pick.duration.hours == 24
    assert pick.consequences.auto_refund_after_hours == 72
    fine = pick.consequences.fine
    assert fine is not None and fine.amount == Decimal("10.00")


def _runs(times: list[float]) -> str:
    return " / ".join(fmt_s(t) for t in times)


def run(quick: bool) -> list[Result]:
    n = 1_000_000 if quick else 10_000_000
    check_profile()
    profile = load_profile("douyin")
    cal = calendar_for(profile)
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-") as tmp:
        path = Path(tmp) / "shipments.parquet"
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        threads = con.execute("SELECT current_setting('threads')").fetchone()
        log(f"batch: generating {fmt_n(n)} shipments")
        with timer() as t_gen:
            generate(con, n, path)
        src = f"read_parquet('{path}')"
        totals = """SELECT count(*) FILTER (WHERE late AND NOT exempt), count(*),
                      CAST(sum(compensation) * 100 AS BIGINT), CAST(sum(fine) * 100 AS BIGINT),
                      CAST(sum(auto_refund) * 100 AS BIGINT) FROM lanshou_result"""
        now_us = int(NOW.timestamp()) * 1_000_000
        t_eng, t_all, t_hand = [], [], []
        for _ in range(2):  # each side twice, the better time counts
            log("batch: evaluate_batch (late_only)")
            with timer() as t:
                evaluate_batch(con, src, profile, cal, [], NOW, late_only=True)
            t_eng.append(t[0])
            log("batch: hand-written SQL")
            with timer() as t:
                con.execute(hand_sql(src, now_us))
            t_hand.append(t[0])
        eng = con.execute(totals).fetchone()
        hand = con.execute(
            "SELECT count(*), sum(comp_c), sum(fine_c), sum(refund_c) FROM hand"
        ).fetchone()
        con.execute("DROP TABLE hand")
        for _ in range(2):
            log("batch: evaluate_batch (every outcome)")
            with timer() as t:
                evaluate_batch(con, src, profile, cal, [], NOW)
            t_all.append(t[0])
        every = con.execute(totals).fetchone()
        size_mb = path.stat().st_size / 1e6
        con.close()
    assert eng is not None and hand is not None and every is not None
    same = (eng[0], eng[2], eng[3], eng[4]) == tuple(int(x) for x in hand) and (
        every[0],
        every[2],
        every[3],
        every[4],
    ) == (eng[0], eng[2], eng[3], eng[4])
    best_eng, best_all, best_hand = min(t_eng), min(t_all), min(t_hand)
    ratio = best_eng / best_hand

    def yuan(c: int) -> str:
        return f"¥{Decimal(c) / 100:,.2f}"

    lines = [
        f"{fmt_n(n)} synthetic shipments (2 per order, 2,000 shops, paid 2026-01-20 … 03-31 so "
        f"the Spring Festival overrides apply, unit prices on the tier edges), Parquet "
        f"{size_mb:.0f} MB generated by DuckDB SQL in {fmt_s(t_gen[0])}; douyin profile, "
        f"now = {NOW.isoformat()}; DuckDB threads = {threads[0] if threads else '?'}. Both "
        "sides read the Parquet file and materialise a result table. For equal work the "
        "ratio uses `evaluate_batch(..., late_only=True)`, which materialises the late "
        "outcomes like the hand-written query; the default `evaluate_batch` (every outcome, "
        "as `lanshou check` uses it) is shown on its own row. Each side ran twice; the "
        f"better time is shown (all runs: late-only {_runs(t_eng)}, every outcome "
        f"{_runs(t_all)}, hand-written {_runs(t_hand)}).",
        "",
        "| | time | result rows | violations | compensation | fines (after caps) | auto refunds |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| `evaluate_batch(late_only=True)` (generated SQL) | {fmt_s(best_eng)} | "
        f"{fmt_n(eng[1])} (late only) | {fmt_n(eng[0])} | {yuan(eng[2])} | {yuan(eng[3])} | "
        f"{yuan(eng[4])} |",
        f"| `evaluate_batch` (every outcome) | {fmt_s(best_all)} | {fmt_n(every[1])} | "
        f"{fmt_n(every[0])} | {yuan(every[2])} | {yuan(every[3])} | {yuan(every[4])} |",
        f"| hand-written single query | {fmt_s(best_hand)} | {fmt_n(hand[0])} (late only) | "
        f"{fmt_n(hand[0])} | {yuan(int(hand[1]))} | {yuan(int(hand[2]))} | "
        f"{yuan(int(hand[3]))} |",
        "",
        f"**Ratio generated (late only) / hand-written: {ratio:.2f}×** (goal ≤ 1.5×: "
        f"{'met' if ratio <= 1.5 else 'NOT met'}). Same violation count and money totals: "
        f"**{'yes' if same else 'NO — investigate'}**.",
    ]
    if not same:
        lines.append(f"engine {eng}, every outcome {every}, hand {hand}")
    lines.append(
        f"Every-outcome `evaluate_batch` / hand-written: {best_all / best_hand:.2f}× "
        "(not equal work: it also materialises the on-time and open outcomes)."
    )
    log(
        f"batch: engine late-only {best_eng:.1f}s every outcome {best_all:.1f}s "
        f"hand {best_hand:.1f}s ratio {ratio:.2f} same={same}"
    )
    cmd = "make bench  # or: .venv/bin/python bench/run_all.py" + (" --quick" if quick else "")
    return [
        Result(
            f"Batch evaluation: {fmt_n(n)} shipments, generated vs hand-written SQL",
            cmd + "  --only batch",
            lines,
        )
    ]
