"""Issue #16, the worker side on PostgreSQL: judging throughput with 1, 2 and 4 worker
processes, freshness (accepted → verdict stored) at a steady 2,000 events/s, and a burst of
pickup deadlines falling due within one minute swept by 1 and 2 workers.

- throughput: the *backlog* world of bench_ingest (shipped shipments with stored, never-swept
  deadlines) with all five scans of each shipment accepted into the inbox beforehand (untimed);
  then `lanshou worker --no-sweep --concurrency N --now T` judges it. The rate is taken between
  10 % and 90 % of the records judged (start-up and the tail left out), from polling the inbox.
- freshness: the *steady* world (sweep done), a real `lanshou serve --no-worker` and a real
  `lanshou worker --concurrency 2` (sweep included, system clock); two client threads post
  requests of 200 events on a fixed schedule (2,000 events/s) for the duration; a monitor polls
  the receipts every 50 ms. An event's freshness is from its request's 2xx answer to the moment
  its receipt was first seen judged (so it includes up to 50 ms of polling and the answer's trip).
- burst: N shipped, never picked-up shipments whose pickup deadlines all fall within one minute
  (1 h–1 h 1 min before the sweep); the sweep core (`run_sweep`, what `lanshou worker` runs)
  in 1 or 2 processes side by side on copies of one database. Checked: every deadline booked
  once (one violation each, no ledger entry twice), and every fine, compensation and point
  after caps identical to one worker's.

    LANSHOU_TEST_DATABASE_URL=… nice .venv/bin/python bench/bench_pipeline.py \\
        [--only throughput,freshness,burst] [--ship N] [--burst N] [--seconds S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_ingest import (
    LANSHOU,
    _admin_token,
    event_rows,
    json_bodies,
    load,
    serve,
    shipped_world,
    steady,
)
from common import PG_URL, cpu_model, log, pg_drop
from sqlalchemy import create_engine, func, make_url, select, text
from world import NOW, open_db

from lanshou.adapters.db.engine import make_engine, session_factory, unit_of_work
from lanshou.adapters.db.models import (
    InboxRecord,
    LedgerEntry,
    Shipment,
    TrackingEvent,
    Violation,
)
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.inbox import accept_updates

JUDGE_AT = NOW + dt.timedelta(days=3)  # every backlog scan has happened by then
REQUEST = 200  # events per request of the freshness feed


def url_of(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_copy(source: str, name: str) -> str:
    """`CREATE DATABASE name TEMPLATE source` (source must have no connections)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()
    return url_of(name)


def env_for(url: str, var: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LANSHOU_ENV": "prod",
        "LANSHOU_SECRET_KEY": "bench-pipeline-" + "0" * 32,
        "LANSHOU_DATABASE_URL": url,
        "LANSHOU_VAR_DIR": str(var),
        **extra,
    }


def pending(engine: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(InboxRecord.done_at.is_(None))).scalar_one()
        )


@contextmanager
def worker(url: str, var: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    with (var / "worker.log").open("ab") as out:
        proc = subprocess.Popen(
            [LANSHOU, "worker", *args],
            env=env_for(url, var),
            cwd=var,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=120)


# ---------------------------------------------------------------- throughput


def throughput(n_ship: int) -> list[str]:
    base = "lanshou_bench_pipe_backlog"
    db = open_db("postgresql", base)
    events = event_rows(n_ship)
    n = len(events)
    try:
        shipped_world(db, n_ship, 0)
        log(f"throughput: accepting {n:,} scans into the inbox (untimed)")
        for i in range(0, n, 5000):
            with unit_of_work(db.sessions) as s:
                accept_updates(
                    s,
                    [
                        TrackingUpdate(w, st, at, "bench", carrier_code="ZTO", description=d)
                        for _, w, at, st, d in events[i : i + 5000]
                    ],
                    NOW,
                    source="bench",
                )
        with db.engine.connect() as conn:  # the inbox's statistics, as autovacuum would
            conn.execute(text("ANALYZE tracking_inbox"))
            conn.execute(text("ANALYZE tracking_receipts"))
            conn.commit()
        db.engine.dispose()
        rows, rates, outcome = [], {}, set()
        for workers in (1, 2, 4):
            url = pg_copy(base, f"{base}_w{workers}")
            engine = make_engine(url)
            la_before = load()
            marks: dict[str, float] = {}
            with tempfile.TemporaryDirectory() as tmp:
                start = time.monotonic()
                with worker(
                    url,
                    Path(tmp),
                    "--no-sweep",
                    "--concurrency",
                    str(workers),
                    "--now",
                    JUDGE_AT.isoformat(),
                ):
                    while (left := pending(engine)) > 0:
                        t = time.monotonic() - start
                        if left <= 0.9 * n:
                            marks.setdefault("90", t)
                        if left <= 0.1 * n:
                            marks.setdefault("10", t)
                        if t > 1800:
                            raise RuntimeError("judging took over 30 min")
                        time.sleep(0.1)
                    marks["end"] = time.monotonic() - start
                    marks.setdefault("90", marks["end"])  # (a tiny stream: in one poll)
                    marks.setdefault("10", marks["end"])
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(TrackingEvent)).scalar()
                violations = conn.execute(select(func.count()).select_from(Violation)).scalar()
            engine.dispose()
            pg_drop(f"{base}_w{workers}")
            outcome.add((stored, violations))
            rate = 0.8 * n / max(marks["10"] - marks["90"], 0.1)
            rates[workers] = rate
            rows.append(
                f"| {workers} | {marks['end']:.1f} s | {marks['90']:.1f} s | "
                f"{marks['10'] - marks['90']:.1f} s | **{rate:,.0f}** | "
                f"{rate / rates[1]:.2f}× | {stored:,} | {violations:,} | "
                f"{la_before} → {load()} |"
            )
            log(f"throughput: {workers} workers {rate:,.0f} events/s ({marks})")
        assert len(outcome) == 1, f"worker counts judged differently: {outcome}"
    finally:
        db.cleanup()
    return [
        f"{n_ship:,} shipments, {n:,} scans (five each) waiting in the inbox; "
        f"`lanshou worker --no-sweep --concurrency N --now {JUDGE_AT.isoformat()}`, "
        "2,000 records a claim.",
        "",
        "| worker processes | all judged after | start-up (to 10 % judged) | 10 % → 90 % | "
        "events/s (10–90 %) | of one | events stored | violations | load before → after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"**2 workers: {rates[2] / rates[1]:.2f}× one; 4 workers: {rates[4] / rates[1]:.2f}× "
        "one** (goal: 2 ≥ 1.4× one).",
    ]


# ---------------------------------------------------------------- freshness


def freshness(n_ship: int, seconds: float, rate: int = 2000) -> list[str]:
    import httpx

    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=2)
    scenario = steady(n_ship, at)
    want = int(seconds * rate)
    events = scenario.events[:want]
    assert len(events) == want, f"the world has {len(scenario.events):,} scans, {want:,} needed"
    db = open_db("postgresql", "lanshou_bench_pipe_fresh")
    try:
        scenario.build(db)
        token = _admin_token(db)
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
        bodies = json_bodies(events, REQUEST)
        answered: dict[int, tuple[float, int]] = {}  # receipt → (answered at, events)
        late: list[float] = []
        failures: list[str] = []
        seen: dict[int, float] = {}
        done = threading.Event()
        la_before = load()
        with (
            tempfile.TemporaryDirectory() as tmp,
            serve(url, Path(tmp)) as (base, _),
            worker(url, Path(tmp), "--concurrency", "2"),
        ):
            # Both drainer processes up (their start takes seconds on a loaded box).
            started = time.monotonic()
            while (Path(tmp) / "worker.log").read_text().count("inbox drainer started") < 2:
                assert time.monotonic() - started < 300, "the worker did not start"
                time.sleep(0.2)
            time.sleep(2)  # and the first sweep under way
            interval = REQUEST / rate
            t0 = time.monotonic() + 0.5

            def feed(k: int) -> None:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    for j in range(k, len(bodies), 2):
                        slot = t0 + j * interval
                        if (wait := slot - time.monotonic()) > 0:
                            time.sleep(wait)
                        else:
                            late.append(-wait)
                        r = client.post("/api/v1/tracking/events", content=bodies[j])
                        if r.status_code != 200:
                            failures.append(f"{r.status_code} {r.text[:200]}")
                            continue
                        answered[r.json()["receipt_id"]] = (time.monotonic(), r.json()["received"])

            def monitor() -> None:
                engine = make_engine(url)
                with engine.connect() as conn:
                    while not (done.is_set() and len(seen) >= len(answered)):
                        open_ids = [i for i in answered if i not in seen]
                        if open_ids:
                            now = time.monotonic()
                            rows = conn.execute(
                                text(
                                    "SELECT id FROM tracking_receipts "
                                    "WHERE id = ANY(:ids) AND judged_at IS NOT NULL"
                                ),
                                {"ids": open_ids},
                            ).scalars()
                            for rid in rows:
                                seen[rid] = now
                            conn.commit()
                        time.sleep(0.05)
                engine.dispose()

            watcher = threading.Thread(target=monitor)
            watcher.start()
            feeders = [threading.Thread(target=feed, args=(k,)) for k in (0, 1)]
            for f in feeders:
                f.start()
            for f in feeders:
                f.join()
            fed = time.monotonic() - t0
            done.set()
            watcher.join(timeout=600)
        la_after = load()
    finally:
        db.cleanup()
    assert not failures, failures[:3]
    lat = sorted(lag for rid, (t, n) in answered.items() for lag in [seen[rid] - t] * n)
    p50, p99, worst = lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1]
    accepted = sum(n for _, n in answered.values())
    late_share = sum(1 for x in late if x > interval) / len(bodies)
    log(f"freshness: p50 {p50:.2f}s p99 {p99:.2f}s max {worst:.2f}s")
    return [
        f"The *steady* world of {n_ship:,} shipments; {accepted:,} scans posted in "
        f"{len(bodies):,} requests of {REQUEST} at {rate:,} events/s for {fed:.1f} s (two "
        f"client threads; {100 * late_share:.1f} % of requests started more than one slot "
        "late); `lanshou serve --no-worker` + `lanshou worker --concurrency 2`.",
        "",
        "| events | p50 | p99 | max | goal p99 < 2 s | load before → after |",
        "|---:|---:|---:|---:|---|---|",
        f"| {accepted:,} | {p50:.2f} s | **{p99:.2f} s** | {worst:.2f} s | "
        f"{'met' if p99 < 2 else 'not met'} | {la_before} → {la_after} |",
    ]


# ---------------------------------------------------------------- burst


CHILD = """
import sys, time, datetime as dt
sys.path.insert(0, {bench!r})
from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.settings import load_settings
ctx = RulesContext(); ctx.calendar(ctx.profile("douyin"))
sessions = session_factory(make_engine(sys.argv[1]))
start = time.perf_counter()
result = run_sweep(sessions, dt.datetime.fromisoformat(sys.argv[2]),
                   load_settings(env="test", secret_key="x" * 32), ctx=ctx)
print(f"{{time.perf_counter() - start:.2f}} {{result.evaluation.shipments}} "
      f"{{result.evaluation.violations_new}}", flush=True)
"""


def booked(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    s = session_factory(engine)()
    try:
        violations = s.execute(select(func.count()).select_from(Violation)).scalar_one()
        twice = s.execute(
            text(
                "SELECT count(*) FROM (SELECT violation_id, kind FROM ledger_entries "
                "WHERE reverses_id IS NULL GROUP BY violation_id, kind HAVING count(*) > 1) d"
            )
        ).scalar_one()
        entries = sorted(
            (w, k, a, str(p))
            for w, k, a, p in s.execute(
                select(
                    Shipment.waybill_no,
                    LedgerEntry.kind,
                    LedgerEntry.amount_fen,
                    LedgerEntry.points,
                )
                .join(Violation, Violation.id == LedgerEntry.violation_id)
                .join(Shipment, Shipment.id == Violation.shipment_id)
            )
        )
        totals = s.execute(
            text(
                "SELECT kind, sum(amount_fen), sum(points) FROM ledger_entries "
                "GROUP BY kind ORDER BY kind"
            )
        ).all()
    finally:
        s.close()
        engine.dispose()
    return {
        "violations": violations,
        "twice": twice,
        "entries": entries,
        "totals": [(k, int(a), str(p)) for k, a, p in totals],
    }


def burst(n: int) -> list[str]:
    base = "lanshou_bench_pipe_burst"
    db = open_db("postgresql", base)
    sweep_at = NOW
    try:
        shipped_world(db, n, n, now=sweep_at, due_spread=60)
        with db.sessions() as s:
            first, last, due = s.execute(
                text(
                    "SELECT min(next_check_at), max(next_check_at), count(*) FROM deadlines "
                    "WHERE rule_id = 'pickup_timeout' AND next_check_at <= :at"
                ),
                {"at": sweep_at},
            ).one()
        assert due == n, (due, n)
        db.engine.dispose()
        rows, outcomes = [], {}
        child = CHILD.format(bench=str(Path(__file__).parent))
        for workers in (1, 2):
            url = pg_copy(base, f"{base}_w{workers}")
            la_before = load()
            start = time.monotonic()
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", child, url, sweep_at.isoformat()],
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "LANSHOU_SECRET_KEY": "bench-pipeline-" + "0" * 32},
                )
                for _ in range(workers)
            ]
            outs = [p.communicate(timeout=3600)[0].split() for p in procs]
            wall = time.monotonic() - start
            assert all(p.returncode == 0 for p in procs)
            got = booked(url)
            pg_drop(f"{base}_w{workers}")
            outcomes[workers] = got
            swept = [int(o[1]) for o in outs]
            rows.append(
                f"| {workers} | {wall:.1f} s | {' / '.join(o[0] + ' s' for o in outs)} | "
                f"{' + '.join(f'{x:,}' for x in swept)} | {n / wall:,.0f} | "
                f"{got['violations']:,} | "
                f"{got['twice']} | {la_before} → {load()} |"
            )
            log(f"burst: {workers} workers {wall:.1f}s {outs}")
        same = outcomes[1]["entries"] == outcomes[2]["entries"]
        assert outcomes[1]["violations"] == outcomes[2]["violations"] == n
    finally:
        db.cleanup()
    totals = "; ".join(f"{k} {a / 100:,.2f} ¥ / {p} points" for k, a, p in outcomes[1]["totals"])
    return [
        f"{n:,} shipped, never picked-up shipments over 200 shops; their pickup deadlines fall "
        f"between {first:%H:%M:%S} and {last:%H:%M:%S} UTC (one minute); the sweep at "
        f"{sweep_at:%H:%M} (local) in 1 or 2 processes (`run_sweep`, 500 shipments a batch), "
        "each on a copy of the same database; wall time includes each process's start.",
        "",
        "| sweep processes | all booked after | each process's sweep | shipments each | "
        "deadlines/s | violations | ledger (violation, kind) booked twice | load before → after |",
        "|---:|---:|---|---|---:|---:|---:|---|",
        *rows,
        "",
        f"Ledger after caps, entry by entry (shipment, kind, amount, points): "
        f"**{'identical' if same else 'DIFFERENT'}** with 1 and 2 processes "
        f"({len(outcomes[1]['entries']):,} entries; totals {totals}).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="throughput,freshness,burst")
    parser.add_argument("--ship", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=40)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores; commit {commit}; "
        f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; uptime: "
        f"{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}\n"
    )
    parts = {
        "throughput": lambda: throughput(args.ship),
        "freshness": lambda: freshness(args.ship, args.seconds),
        "burst": lambda: burst(args.burst),
    }
    for name in args.only.split(","):
        lines = parts[name]()
        print(f"### {name}\n")
        print("\n".join(lines), "\n", flush=True)
    print(
        f"ended {dt.datetime.now(dt.UTC):%H:%M} UTC; uptime: "
        f"{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}"
    )


if __name__ == "__main__":
    main()
