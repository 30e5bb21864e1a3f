"""Analytics: breach prediction speed and calibration, and the dashboard/report query times.

* prediction — fit Kaplan–Meier curves on 300 k synthetic observations (8 carriers × 60
  outlets, lognormal latencies), then predict 100 k open shipments;
* calibration — on a demo world, cut history 2 days before "now", fit on what was known then,
  predict the parcels waiting at the cut and compare with what happened (Brier score and a
  reliability table);
* pages — p50/p95 over repeated runs of each page's queries (losses board, carriers board,
  report, weekly report, scorecards) and of the 待揽收预警 at-risk board through the web app
  (sorted by time left and by probability × cost, all shops and one shop) on PostgreSQL
  with a demo world of N orders, evaluated by the rules service, read from the analytics
  aggregates (a build from nothing and a sweep's refresh are timed too; the text says how many
  shipments were evaluated).

``--orders N`` sets the world size (default 20 k with ``--quick``, else 100 k; the issue's
target is ``--orders 1000000``); ``--keep`` leaves the scratch database in place and a later
run with ``--reuse DBNAME`` measures on it (upgrading it first) without seeding and
evaluating again.
"""

from __future__ import annotations

import math
import os
import random
import time
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from common import PG_URL, Result, log, pg_drop, pg_scratch, timer
from sqlalchemy import delete, func, make_url, select, text

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.db.models import (
    AnalyticsState,
    BreachRisk,
    Deadline,
    ExposureSnapshot,
    LossDaily,
    Order,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    PickupWindow,
    Shipment,
    Shop,
    ShopMembership,
    User,
    ViolationDaily,
)
from lanshou.analytics import dashboard, prediction
from lanshou.analytics.aggregates import RECENT_DAYS, refresh_aggregates
from lanshou.analytics.exposure import refresh_exposure
from lanshou.analytics.losses import appeal_stats, loss_breakdowns
from lanshou.analytics.period import Period
from lanshou.analytics.report import build_report
from lanshou.analytics.scorecards import LEVELS, pickup_samples, scorecards
from lanshou.analytics.survival import BreachModel, Observation, segment_of
from lanshou.analytics.weekly import weekly_html
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.demo import seed_demo
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.entrypoints.app import create_app
from lanshou.identity import auth
from lanshou.identity.auth import create_user
from lanshou.identity.scope import Scope
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
        out.append(
            Observation(carrier, outlet, segment_of(shipped), min(hours, elapsed), hours <= elapsed)
        )
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
    return [
        f"| fit {n_history:,} observations | {fit[0]:.2f} s | {len(model.curves)} curves |",
        f"| predict {n_open:,} open shipments | {pred[0]:.2f} s | "
        f"{n_open / pred[0]:,.0f} / s; levels {levels} |",
        f"| fit + predict | {fit[0] + pred[0]:.2f} s | target < 5 s |",
    ]


def bench_calibration(sessions, now: datetime) -> list[str]:  # type: ignore[no-untyped-def]
    cut = now - timedelta(days=2)
    with sessions() as s:
        rows = s.execute(
            select(
                Shipment.carrier_id, Shipment.outlet_id, Shipment.shipped_at, Shipment.picked_up_at
            ).where(Shipment.shipped_at.is_not(None), Shipment.shipped_at < cut)
        ).all()
    history, test = [], []
    for carrier, outlet, shipped, picked in rows:
        known = picked is not None and picked <= cut
        hours = ((picked if known else cut) - shipped).total_seconds() / 3600
        history.append(Observation(carrier, outlet, segment_of(shipped), hours, known))
        if not known and shipped > cut - timedelta(hours=24):
            deadline = shipped + timedelta(hours=24)
            test.append((carrier, outlet, shipped, deadline, picked is None or picked > deadline))
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
    lines = [
        f"Held-back parcels: {len(pairs)} waiting at the cut ({cut:%Y-%m-%d %H:%M} UTC); "
        f"observed miss rate {base:.3f}; Brier score **{brier:.4f}** "
        f"(always-predict-the-base-rate: {base * (1 - base):.4f}).",
        "",
        "| predicted P(miss) | parcels | mean predicted | observed |",
        "|---|---|---|---|",
    ]
    for lo in range(10):
        b = [(p, m) for p, m in pairs if lo / 10 <= p < (lo + 1) / 10 or (lo == 9 and p == 1)]
        if b:
            lines.append(
                f"| {lo / 10:.1f}–{(lo + 1) / 10:.1f} | {len(b)} | "
                f"{sum(p for p, _ in b) / len(b):.3f} | "
                f"{sum(m for _, m in b) / len(b):.3f} |"
            )
    return lines


def _p95(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1000, times[
        min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)
    ] * 1000


def pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _load() -> str:
    return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


def run(
    quick: bool, orders: int | None = None, keep: bool = False, reuse: str | None = None
) -> list[Result]:
    results = []
    n_hist, n_open = (100_000, 100_000) if quick else (300_000, 100_000)
    log(f"analytics: prediction fit {n_hist:,} + predict {n_open:,}")
    lines = ["| step | time | notes |", "|---|---|---|", *bench_prediction(n_hist, n_open)]
    results.append(
        Result(
            "Breach prediction (Kaplan–Meier, pure Python)",
            "bench/bench_analytics.py (bench_prediction)",
            lines,
        )
    )
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
            orders = s.execute(select(func.count()).select_from(Order)).scalar_one()
            n_shipments = s.execute(select(func.count()).select_from(Shipment)).scalar_one()
            judged = s.execute(select(func.count(func.distinct(Deadline.shipment_id)))).scalar_one()
        log(f"analytics: {judged:,} of {n_shipments:,} shipments have deadline rows")
        with sessions() as s:  # a build from nothing, then a sweep's refresh with no change
            for model in (
                AnalyticsState,
                LossDaily,
                PickupDaily,
                PickupLatency,
                PickupWindow,
                PickupPercentile,
                ExposureSnapshot,
                BreachRisk,
                ViolationDaily,
            ):
                s.execute(delete(model))
            s.commit()
            with timer() as full:
                refresh_aggregates(s, NOW, ctx=RulesContext(), snapshots=False)
            s.commit()
            with timer() as incremental:
                refresh_aggregates(s, NOW, ctx=RulesContext(), snapshots=False)
            s.commit()
            # What the worker adds with the rules: the exposure snapshots of all shops and of
            # each user's shops (here one merchant with two shops); the first of the hour fits
            # their breach models (cached for the hour).
            two = frozenset(s.execute(select(Shop.id).order_by(Shop.id).limit(2)).scalars())
            if s.execute(select(User.id).where(User.username == "bench-merchant")).first() is None:
                merchant = User(
                    username="bench-merchant",
                    display_name="bench",
                    password_hash="x",
                    role="merchant_owner",
                    created_at=NOW,
                )
                s.add(merchant)
                s.flush()
                s.add_all([ShopMembership(user_id=merchant.id, shop_id=i) for i in two])
                s.commit()
            _board_users(s, min(two))
            with timer() as snap_cold:
                refresh_exposure(s, NOW, RulesContext())
            s.commit()
            with timer() as snap_warm:
                refresh_exposure(s, NOW, RulesContext())
            s.commit()
            risk_rows = s.execute(select(func.count()).select_from(BreachRisk)).scalar_one()
            rows = {
                m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (
                    LossDaily,
                    ViolationDaily,
                    PickupDaily,
                    PickupLatency,
                    PickupWindow,
                    PickupPercentile,
                )
            }
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Steady state: autovacuum has cleaned up after the refresh's delete + insert.
            conn.execute(
                text(
                    "VACUUM ANALYZE analytics_loss_daily, analytics_pickup_daily, "
                    "analytics_pickup_latency, analytics_pickup_window, "
                    "analytics_pickup_percentile, analytics_violation_daily"
                )
            )
            conn.execute(text("ANALYZE"))
        log(
            f"analytics: full refresh {full[0]:.1f} s, incremental {incremental[0]:.1f} s, "
            f"rows {rows}"
        )
        if orders <= 200_000:
            results.append(
                Result(
                    "Breach prediction calibration (held-back history)",
                    "bench/bench_analytics.py (bench_calibration)",
                    bench_calibration(sessions, NOW),
                )
            )
        ctx = RulesContext()
        period = Period.ending(NOW, 30)
        week = Period.ending(NOW, 7)
        with sessions() as s:
            shop = s.execute(select(Shop.code).order_by(Shop.id)).scalars().first()
            assert shop is not None
            others = frozenset(
                s.execute(select(Shop.id).order_by(Shop.id.desc()).limit(2)).scalars()
            )
        repeat = 10 if quick else 20
        load_before = _load()
        built = (
            "seeded and evaluated by an earlier run"
            if reuse
            else f"seed {seeded[0]:.0f} s, evaluate {evaluated[0]:.0f} s"
        )
        page_lines = [
            f"PostgreSQL, demo world of {orders:,} orders / {n_shipments:,} shipments"
            f" ({built}; {judged:,} of {n_shipments:,} shipments have their "
            f"deadlines evaluated = {100 * judged / max(n_shipments, 1):.1f} %), "
            f"30-day period (7 days for"
            f" the weekly report), all shops (admin scope) unless one shop is named; "
            f"{repeat} runs each after one warm-up run. Aggregates: build from "
            f"nothing {full[0]:.1f} s, a sweep's refresh with nothing changed (recent "
            f"{RECENT_DAYS} days recomputed) {incremental[0]:.1f} s, plus the "
            f"exposure snapshots with the at-risk board's stored breach "
            f"probabilities and ranking (all shops, a merchant's two shops, a "
            f"merchant's one shop: {risk_rows:,} rows) {snap_cold[0]:.1f} s when "
            f"the hour's breach models must be fitted, {snap_warm[0]:.1f} s after; "
            f"rows {rows}.",
            "",
            "| page | p50 | p95 |",
            "|---|---|---|",
        ]
        for title, fn in (
            (
                "损失与风险 losses board (incl. exposure)",
                lambda: _in(
                    sessions, lambda s: dashboard.loss_board(s, Scope(None), NOW, ctx, period)
                ),
            ),
            (
                "快递管理 carriers board",
                lambda: _in(
                    sessions, lambda s: dashboard.carrier_board(s, Scope(None), NOW, period, ctx)
                ),
            ),
            (
                "lanshou report --json",
                lambda: _in(sessions, lambda s: build_report(s, Scope(None), period, ctx, now=NOW)),
            ),
            (
                "lanshou report --json --shop (one shop)",
                lambda: _in(
                    sessions, lambda s: build_report(s, Scope(None), period, ctx, shop, now=NOW)
                ),
            ),
            (
                "lanshou report --weekly --shop (HTML, 7 days)",
                lambda: _in(
                    sessions, lambda s: weekly_html(s, Scope(None), shop, week, ctx, now=NOW)
                ),
            ),
            *(
                (
                    f"lanshou scorecard --level {level}",
                    lambda level=level: _in(
                        sessions,
                        lambda s: [
                            c.row()
                            for c in scorecards(
                                s, pickup_samples(s, Scope(None), period, ctx, now=NOW), level
                            )
                        ],
                    ),
                )
                for level in LEVELS
            ),
            (
                "losses board without the at-risk exposure (aggregates only)",
                lambda: _in(sessions, lambda s: loss_only(s, period)),
            ),
            (
                "losses board of a merchant with two shops",
                lambda: _in(
                    sessions, lambda s: dashboard.loss_board(s, Scope(two), NOW, ctx, period)
                ),
            ),
            (
                "losses board, two shops no user has (exposure computed for the page, model warm)",
                lambda: _in(
                    sessions, lambda s: dashboard.loss_board(s, Scope(others), NOW, ctx, period)
                ),
            ),
        ):
            fn()
            p50, p95 = _p95(fn, repeat)
            page_lines.append(f"| {title} | {p50:.0f} ms | {p95:.0f} ms |")
        page_lines += ["", *bench_at_risk(engine, sessions, repeat)]
        page_lines += ["", f"Machine load while measuring: {load_before} before, {_load()} after."]
        results.append(Result("Analytics page queries", "bench/bench_analytics.py", page_lines))
    finally:
        engine.dispose()
        if not keep and not reuse:
            pg_drop(name)
    return results


BOARD_PASSWORD = "bench-board-password"
BOARD_USERS = (("bench-admin", "admin"), ("bench-shop", "merchant_owner"))


def _board_users(s, shop_id: int) -> None:  # type: ignore[no-untyped-def]
    """An admin (all shops) and a merchant with one shop who can log in to the web app."""
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for username, role in BOARD_USERS:
        if s.execute(select(User.id).where(User.username == username)).first() is None:
            create_user(
                s,
                username,
                BOARD_PASSWORD,
                role,
                username,
                [shop_id] if role != "admin" else [],
                NOW,
            )
    s.commit()


def bench_at_risk(engine, sessions, repeat: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The 待揽收预警 at-risk board (a merchant's home page) through the web app: GET
    ``/at-risk`` by time left and by probability × cost, as an admin and as a merchant with one
    shop. "First request" empties the process's breach-model cache first (the first request
    of an hour in a fresh process)."""
    import re

    from fastapi.testclient import TestClient

    settings = load_settings(env="test", secret_key="x" * 32, default_locale="zh_CN")
    app = create_app(Runtime(settings, engine, sessions, FixedClock(NOW)))
    lines = [
        "| 待揽收预警 at-risk board (web page, 100 rows) | first request | p50 | p95 |",
        "|---|---|---|---|",
    ]
    with sessions() as s:
        pending = s.execute(
            select(func.count()).select_from(Deadline).where(Deadline.state == "pending")
        ).scalar_one()
    for username, who in (
        ("bench-admin", "all shops (admin)"),
        ("bench-shop", "one shop (merchant)"),
    ):
        with TestClient(app) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            r = client.post(
                "/login",
                data={
                    "username": username,
                    "password": BOARD_PASSWORD,
                    "csrf_token": token.group(1),
                    "next": "/",
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            for path, order in (
                ("/at-risk?sort=due", "by time left"),
                ("/at-risk?sort=risk", "by probability × cost"),
            ):

                def get(path: str = path) -> None:
                    response = client.get(path)
                    assert response.status_code == 200, response.text
                    assert "risk-item" in response.text

                prediction._CACHE.clear()
                t = time.perf_counter()
                get()
                first = (time.perf_counter() - t) * 1000
                p50, p95 = _p95(get, repeat)
                lines.append(f"| {who}, {order} | {first:.0f} ms | {p50:.0f} ms | {p95:.0f} ms |")
    lines += ["", f"{pending:,} pending deadlines; the page shows the first 100."]
    return lines


def loss_only(s, period):  # type: ignore[no-untyped-def]
    return (
        loss_breakdowns(
            s, Scope(None), period, ("day", "week", "carrier", "rule", "shop"), now=NOW
        ),
        appeal_stats(s, Scope(None), period),
    )


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
