"""Analytics: breach prediction speed and calibration, and the dashboard/report query times.

* prediction — fit Kaplan–Meier curves on 300 k synthetic observations (8 carriers × 60
  outlets, lognormal latencies), then predict 100 k open shipments;
* calibration — on a demo world, cut history 2 days before "now", fit on what was known then,
  predict the parcels waiting at the cut and compare with what happened (Brier score and a
  reliability table);
* pages — p95 over repeated runs of each page's queries (losses board, carriers board, report)
  on PostgreSQL with a demo world of N orders, evaluated by the rules service, read from the
  analytics aggregates (the full and an incremental refresh are timed too).

``--orders N`` sets the world size (default 20 k with ``--quick``, else 100 k; the issue's
target is ``--orders 1000000``); ``--keep`` leaves the scratch database in place and a later
run with ``--reuse DBNAME`` measures on it (upgrading it first) without seeding and
evaluating again.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta

from common import PG_URL, Result, log, pg_drop, pg_scratch, timer
from sqlalchemy import delete, func, make_url, select, text

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.db.models import (
    AnalyticsState,
    LossDaily,
    PickupDaily,
    PickupLatency,
    Shipment,
    Shop,
)
from lanshou.services.analytics import dashboard
from lanshou.services.analytics.aggregates import RECENT_DAYS, refresh_aggregates
from lanshou.services.analytics.losses import appeal_stats, breakdown, loss_cells
from lanshou.services.analytics.period import Period
from lanshou.services.analytics.report import build_report
from lanshou.services.analytics.survival import BreachModel, Observation, segment_of
from lanshou.services.demo import seed_demo
from lanshou.services.orders import Scope
from lanshou.services.rules_context import RulesContext
from lanshou.services.sweep import evaluate_all
from lanshou.settings import load_settings

NOW = datetime(2026, 11, 4, 4, tzinfo=UTC)


def _synthetic(n: int, rng: random.Random) -> list[Observation]:
    out = []
    for _ in range(n):
        outlet = rng.randrange(480)
        carrier = outlet % 8
        shipped = NOW - timedelta(seconds=rng.randrange(60 * 86400))
        hours = math.exp(rng.gauss(1.5 + carrier * 0.15 + (outlet % 7) * 0.05, 0.9))
        elapsed = (NOW - shipped).total_seconds() / 3600
        out.append(Observation(carrier, outlet, segment_of(shipped), min(hours, elapsed),
                               hours <= elapsed))
    return out


def bench_prediction(n_history: int, n_open: int) -> list[str]:
    rng = random.Random(7)
    obs = _synthetic(n_history, rng)
    with timer() as fit:
        model = BreachModel(obs)
    open_rows = []
    for _ in range(n_open):
        outlet = rng.randrange(480)
        shipped = NOW - timedelta(seconds=rng.randrange(20 * 3600))
        open_rows.append((outlet % 8, outlet, shipped, shipped + timedelta(hours=24)))
    with timer() as pred:
        ps = [model.predict(c, o, s, NOW, d) for c, o, s, d in open_rows]
    levels: dict[str, int] = {}
    for p in ps:
        if p is not None:
            levels[p.level] = levels.get(p.level, 0) + 1
    return [f"| fit {n_history:,} observations | {fit[0]:.2f} s | {len(model.curves)} curves |",
            f"| predict {n_open:,} open shipments | {pred[0]:.2f} s | "
            f"{n_open / pred[0]:,.0f} / s; levels {levels} |",
            f"| fit + predict | {fit[0] + pred[0]:.2f} s | target < 5 s |"]


def bench_calibration(sessions, now: datetime) -> list[str]:  # type: ignore[no-untyped-def]
    cut = now - timedelta(days=2)
    with sessions() as s:
        rows = s.execute(select(Shipment.carrier_id, Shipment.outlet_id, Shipment.shipped_at,
                                Shipment.picked_up_at)
                         .where(Shipment.shipped_at.is_not(None),
                                Shipment.shipped_at < cut)).all()
    history, test = [], []
    for carrier, outlet, shipped, picked in rows:
        known = picked is not None and picked <= cut
        hours = ((picked if known else cut) - shipped).total_seconds() / 3600
        history.append(Observation(carrier, outlet, segment_of(shipped), hours, known))
        if not known and shipped > cut - timedelta(hours=24):
            deadline = shipped + timedelta(hours=24)
            test.append((carrier, outlet, shipped, deadline,
                         picked is None or picked > deadline))
    model = BreachModel(history)
    pairs = []
    for carrier, outlet, shipped, deadline, missed in test:
        p = model.predict(carrier, outlet, shipped, cut, deadline)
        if p is not None:
            pairs.append((p.probability, missed))
    if not pairs:
        return ["no parcels were waiting at the cut"]
    brier = sum((p - m) ** 2 for p, m in pairs) / len(pairs)
    base = sum(m for _, m in pairs) / len(pairs)
    lines = [f"Held-back parcels: {len(pairs)} waiting at the cut ({cut:%Y-%m-%d %H:%M} UTC); "
             f"observed miss rate {base:.3f}; Brier score **{brier:.4f}** "
             f"(always-predict-the-base-rate: {base * (1 - base):.4f}).", "",
             "| predicted P(miss) | parcels | mean predicted | observed |", "|---|---|---|---|"]
    for lo in range(10):
        b = [(p, m) for p, m in pairs if lo / 10 <= p < (lo + 1) / 10 or (lo == 9 and p == 1)]
        if b:
            lines.append(f"| {lo / 10:.1f}–{(lo + 1) / 10:.1f} | {len(b)} | "
                         f"{sum(p for p, _ in b) / len(b):.3f} | "
                         f"{sum(m for _, m in b) / len(b):.3f} |")
    return lines


def _p95(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1000, times[min(len(times) - 1,
                                                     math.ceil(0.95 * len(times)) - 1)] * 1000


def pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def run(quick: bool, orders: int | None = None, keep: bool = False,
        reuse: str | None = None) -> list[Result]:
    results = []
    n_hist, n_open = (100_000, 100_000) if quick else (300_000, 100_000)
    log(f"analytics: prediction fit {n_hist:,} + predict {n_open:,}")
    lines = ["| step | time | notes |", "|---|---|---|", *bench_prediction(n_hist, n_open)]
    results.append(Result("Breach prediction (Kaplan–Meier, pure Python)",
                          "bench/bench_analytics.py (bench_prediction)", lines))
    orders = orders or (20_000 if quick else 100_000)
    name = reuse or f"lanshou_bench_analytics_{orders}"
    engine = make_engine(pg_url(name) if reuse else pg_scratch(name))
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        seeded, evaluated = [0.0], [0.0]
        if not reuse:
            log(f"analytics: seeding {orders:,} demo orders on PostgreSQL")
            with timer() as seeded:
                seed_demo(engine, now=NOW, orders=orders, days=30, create_users=False)
            settings = load_settings(env="test", secret_key="x" * 32)
            with timer() as evaluated:
                evaluate_all(sessions, NOW, settings)
            log(f"analytics: seeded in {seeded[0]:.0f} s, evaluated in {evaluated[0]:.0f} s")
        with sessions() as s:
            s.execute(delete(AnalyticsState))
            n_shipments = s.execute(select(func.count()).select_from(Shipment)).scalar_one()
            with timer() as full:
                refresh_aggregates(s, NOW)
            s.commit()
            with timer() as incremental:
                refresh_aggregates(s, NOW)
            s.commit()
            rows = {m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
                    for m in (LossDaily, PickupDaily, PickupLatency)}
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Steady state: autovacuum has cleaned up after the refresh's delete + insert.
            conn.execute(text("VACUUM ANALYZE analytics_loss_daily, analytics_pickup_daily, "
                              "analytics_pickup_latency"))
            conn.execute(text("ANALYZE"))
        log(f"analytics: full refresh {full[0]:.1f} s, incremental {incremental[0]:.1f} s, "
            f"rows {rows}")
        if orders <= 200_000:
            results.append(Result("Breach prediction calibration (held-back history)",
                                  "bench/bench_analytics.py (bench_calibration)",
                                  bench_calibration(sessions, NOW)))
        ctx = RulesContext()
        period = Period.ending(NOW, 30)
        with sessions() as s:
            shop = s.execute(select(Shop.code).order_by(Shop.id)).scalars().first()
        repeat = 10 if quick else 20
        page_lines = [f"PostgreSQL, demo world of {orders:,} orders / {n_shipments:,} shipments"
                      f" (seed {seeded[0]:.0f} s, evaluate {evaluated[0]:.0f} s"
                      f"{' in an earlier run' if reuse else ''}), 30-day period, all shops "
                      f"(admin scope); {repeat} runs each. Aggregates: full refresh "
                      f"{full[0]:.1f} s, incremental (recent {RECENT_DAYS} days) "
                      f"{incremental[0]:.1f} s; rows {rows}.", "",
                      "| page | p50 | p95 |", "|---|---|---|"]
        for title, fn in (
            ("损失与风险 losses board (incl. exposure)",
             lambda: _in(sessions, lambda s: dashboard.loss_board(s, Scope(None), NOW, ctx,
                                                                  period))),
            ("快递管理 carriers board",
             lambda: _in(sessions, lambda s: dashboard.carrier_board(s, Scope(None), period))),
            ("lanshou report --json",
             lambda: _in(sessions, lambda s: build_report(s, Scope(None), period))),
            ("lanshou report --json --shop (one shop)",
             lambda: _in(sessions, lambda s: build_report(s, Scope(None), period, shop))),
            ("losses board without the at-risk exposure (aggregates only)",
             lambda: _in(sessions, lambda s: loss_only(s, period))),
        ):
            p50, p95 = _p95(fn, repeat)
            page_lines.append(f"| {title} | {p50:.0f} ms | {p95:.0f} ms |")
        results.append(Result("Analytics page queries", "bench/bench_analytics.py", page_lines))
    finally:
        engine.dispose()
        if not keep and not reuse:
            pg_drop(name)
    return results


def loss_only(s, period):  # type: ignore[no-untyped-def]
    cells = loss_cells(s, Scope(None), period)
    return breakdown(cells, "day"), appeal_stats(s, Scope(None), period)


def _in(sessions, fn):  # type: ignore[no-untyped-def]
    with sessions() as s:
        return fn(s)


if __name__ == "__main__":
    import sys

    n = int(sys.argv[sys.argv.index("--orders") + 1]) if "--orders" in sys.argv else None
    db = sys.argv[sys.argv.index("--reuse") + 1] if "--reuse" in sys.argv else None
    for r in run("--quick" in sys.argv, n, "--keep" in sys.argv, db):
        print(f"## {r.title}\n`{r.command}`\n")
        print("\n".join(r.lines), "\n")
