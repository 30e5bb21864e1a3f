"""The web under concurrent use (issue #16): locust against `lanshou serve --workers N` on
PostgreSQL holding a demo world of N orders.

    .venv/bin/python bench/bench_web_load.py --orders 1000000 --days 60 --workers 2 \\
        --users 20 --spawn-rate 5 --run-time 5m

1. A scratch database on the benchmark PostgreSQL (LANSHOU_BENCH_DATABASE_URL, else
   LANSHOU_TEST_DATABASE_URL) is seeded by `lanshou demo seed --orders N --days D` (timed;
   evaluation, demo cases and aggregates included) — or, with `--reuse DBNAME`, a database
   kept by `--keep` is upgraded to the newest schema and reused.
2. A plan is read from it: real order ids each demo login may open, the appeals it may read,
   and parcels for the integration user to scan: every POST carries 10 scans, a constant mix
   of pickup scans of parcels waiting for pickup (`--pickups-per-post`, 3) and the next scan
   of parcels on their way (in transit, out for delivery, delivered; bench/load_events.py),
   each after the parcel's last stored event — so a reused world is valid again next time.
   The plan is sized for the run; if the world cannot fill it, the run says so up front.
3. `lanshou serve --workers W` runs on 127.0.0.1 (loopback only), with its background worker.
4. locust (the `bench` extra: `pip install -e '.[bench]'`, or `--locust PATH`) runs headless,
   bounded by `--run-time`: demo logins through the real login form with its CSRF token
   (merchant owner, staff, reviewer) and an integration posting tracking events with an
   administrator's bearer token (bench/locustfile.py).
5. The per-route p50/p95/p99 and errors, tracking POSTs per minute (locust's history) and the
   scans received and stored per minute (the database's receipts and events), the machine's
   load average (sampled every 15 s), the CPU seconds the server's processes used, and the
   seeding time go to docs/benchmarks.md (section rewritten in place; `--no-write` prints
   only).

The test suite never runs this; `bench/run_all.py` runs it only when locust is installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PG_URL, ROOT, Result, cpu_model, git_head, log, pg_scratch, pg_version
from load_events import EVENTS_PER_POST, integration_posts, plan_capacity, posts_per_minute
from sqlalchemy import create_engine, make_url, text

TITLE = "Web under concurrent use: locust against `lanshou serve` on PostgreSQL (issue #16)"
DOC = ROOT / "docs" / "benchmarks.md"
PASSWORD = "lanshou-demo"  # the demo logins' (lanshou.demo.DEMO_PASSWORD)
GOAL_P95_MS = 300
SAMPLE_ORDERS = 2000  # order ids per login to open at random
WAYBILLS = 50_000  # at most this many parcels waiting for pickup in the plan

ON_THE_WAY = ("picked_up", "in_transit", "out_for_delivery")


@dataclass
class Config:
    orders: int
    days: int
    workers: int
    users: int
    spawn_rate: int
    run_time: str
    port: int
    order_pages: int
    reuse: str | None
    keep: bool
    locust: str
    pickups_per_post: int = 3


@dataclass
class Run:
    db_url: str
    seed_seconds: float | None = None
    loads: list[tuple[float, float, float]] = field(default_factory=list)
    server_cpu_s: float = 0.0
    postgres_cpu_s: float = 0.0  # the backends alive at the end (the servers' pools)
    machine_busy: float = 0.0  # share of all cores busy during the run, everyone's work
    wall_s: float = 0.0
    warmup_s: float = 0.0  # server start until the worker's first sweep stored its snapshots
    stats: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    plan: dict[str, int] = field(default_factory=dict)  # what the integration could scan
    started_at: float = 0.0  # wall clock (epoch) when locust started
    posts_per_minute: list[int] = field(default_factory=list)  # locust's, minute by minute
    # The database's: scans accepted into the inbox, and events stored by status, per minute.
    accepted_per_minute: list[int] = field(default_factory=list)
    stored_per_minute: list[dict[str, int]] = field(default_factory=list)
    inbox_left: int = 0  # scans not yet folded when the run ended
    fold_delay: tuple[float, float, float] = (0.0, 0.0, 0.0)  # accepted → folded: p50, p95, max


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def app_env(db_url: str, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LANSHOU_ENV="dev",  # the demo logins exist only in dev; cookies without Secure on http
        LANSHOU_DATABASE_URL=db_url,
        LANSHOU_VAR_DIR=var_dir,
        PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def lanshou(*args: str) -> list[str]:
    return [sys.executable, "-m", "lanshou.entrypoints.cli.app", *args]


def prepare(cfg: Config, var_dir: str) -> Run:
    if cfg.reuse:
        url = make_url(PG_URL).set(database=cfg.reuse).render_as_string(hide_password=False)
        log(f"reusing database {cfg.reuse}: upgrading the schema")
        subprocess.run(lanshou("db", "upgrade"), env=app_env(url, var_dir), check=True)
        return Run(url)
    name = f"lanshou_load_{cfg.orders}"
    url = pg_scratch(name)
    log(f"seeding {cfg.orders:,} orders over {cfg.days} days into {name}")
    env = app_env(url, var_dir)
    subprocess.run(lanshou("db", "upgrade"), env=env, check=True)
    start = time.perf_counter()
    subprocess.run(
        lanshou("demo", "seed", "--orders", str(cfg.orders), "--days", str(cfg.days)),
        env=env,
        check=True,
    )
    run = Run(url, seed_seconds=time.perf_counter() - start)
    log(f"seeded in {run.seed_seconds:.0f} s")
    return run


def _parcels(conn: Any, statuses: tuple[str, ...], limit: int) -> list[list[Any]]:
    """[carrier, waybill, status, last event time] of random parcels with these statuses."""
    rows = conn.execute(
        text(
            "SELECT c.code, s.waybill_no, s.status, s.last_event_at FROM shipments s"
            " JOIN carriers c ON c.id = s.carrier_id WHERE s.status = ANY(:statuses)"
            " AND s.waybill_no IS NOT NULL ORDER BY random() LIMIT :n"
        ),
        {"statuses": list(statuses), "n": limit},
    ).all()
    return [[c, w, st, last.isoformat() if last else None] for c, w, st, last in rows]


def plan(db_url: str, order_pages: int, pickups_per_post: int, posts: int) -> dict[str, Any]:
    """What the simulated users open: only real rows, each within the login's scope; what the
    integration scans: enough parcels on their way for ``posts`` POSTs even if each gave
    one scan only."""
    engine = create_engine(db_url)
    logins: dict[str, Any] = {}
    with engine.connect() as conn:
        for username in ("merchant", "staff", "reviewer"):
            shops = list(
                conn.scalars(
                    text(
                        "SELECT m.shop_id FROM shop_memberships m JOIN users u ON u.id = m.user_id"
                        " WHERE u.username = :u"
                    ),
                    {"u": username},
                )
            )
            where = "WHERE shop_id = ANY(:shops)" if shops else ""
            orders = conn.scalars(
                text(f"SELECT id FROM orders {where} ORDER BY random() LIMIT :n"),
                {"shops": shops, "n": SAMPLE_ORDERS},
            )
            appeals = conn.scalars(
                text(f"SELECT id FROM appeals {where} ORDER BY id"), {"shops": shops}
            )
            logins[username] = {"orders": list(orders), "appeals": list(appeals)}
            if not logins[username]["orders"] or not logins[username]["appeals"]:
                raise SystemExit(f"{username} sees no orders or no appeals: is this a demo world?")
        waiting = _parcels(conn, ("awaiting_pickup",), WAYBILLS)
        on_the_way = _parcels(conn, ON_THE_WAY, posts * EVENTS_PER_POST)
    engine.dispose()
    return {
        "password": PASSWORD,
        "logins": logins,
        "order_pages": order_pages,
        "events_per_post": EVENTS_PER_POST,
        "pickups_per_post": pickups_per_post,
        "waiting": waiting,
        "on_the_way": on_the_way,
    }


def _cpu_by_pid() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, utime + stime in seconds) of every live process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        out[int(stat.parent.name)] = (
            int(fields[1]),
            cmdline,
            (int(fields[11]) + int(fields[12])) / tick,
        )
    return out


def cpu_seconds(root_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds so far of the server (the process and its uvicorn workers) and of the
    PostgreSQL backends serving ``database`` (their process titles name it)."""
    server = postgres = 0.0
    for pid, (ppid, cmdline, used) in _cpu_by_pid().items():
        if pid == root_pid or ppid == root_pid:
            server += used
        elif cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            postgres += used
    return server, postgres


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def wait_healthy(port: int, server: subprocess.Popen[bytes], seconds: float = 600) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if server.poll() is not None:
            raise SystemExit(f"lanshou serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("lanshou serve did not become healthy")


def wait_for_first_sweep(
    db_url: str, since: float, server: subprocess.Popen[bytes], seconds: float = 1200
) -> float:
    """Seconds until the server's worker stored its first snapshots (the 损失与风险 board's
    exposure, the at-risk ranking): the steady state the load is measured in. Before it, the
    losses page computes the exposure itself, fitting the breach models of a million
    shipments in the request (measured apart: the cold start)."""
    from datetime import UTC, datetime

    engine = create_engine(db_url)
    stamp = datetime.fromtimestamp(since, UTC)
    give_up = time.monotonic() + seconds
    try:
        while time.monotonic() < give_up:
            if server.poll() is not None:
                raise SystemExit(f"lanshou serve exited with {server.returncode}")
            with engine.connect() as conn:
                if conn.scalar(
                    text("SELECT count(*) FROM analytics_exposure WHERE computed_at >= :t"),
                    {"t": stamp},
                ):
                    return time.time() - since
            time.sleep(5)
    finally:
        engine.dispose()
    raise SystemExit("the worker stored no snapshots in time")


def load(cfg: Config, run: Run, var_dir: str) -> None:
    plan_path = Path(var_dir) / "plan.json"
    posts = integration_posts(cfg.users, cfg.run_time)
    the_plan = plan(run.db_url, cfg.order_pages, cfg.pickups_per_post, posts)
    run.plan = plan_capacity(the_plan, posts)
    log(
        f"plan: {run.plan['waiting']:,} parcels waiting for pickup, {run.plan['on_the_way']:,} "
        f"on their way: {run.plan['full_posts']:,} POSTs of the constant mix "
        f"({cfg.pickups_per_post} pickups + {EVENTS_PER_POST - cfg.pickups_per_post} later "
        f"scans), the integration users can make {posts:,} at most"
    )
    if run.plan["full_posts"] < posts:
        log("WARNING: the world cannot keep the POST mix constant for the whole run")
    plan_path.write_text(json.dumps(the_plan))
    server = subprocess.Popen(
        lanshou(
            "serve", "--host", "127.0.0.1", "--port", str(cfg.port), "--workers", str(cfg.workers)
        ),
        env=app_env(run.db_url, var_dir),
        stdout=open(Path(var_dir) / "serve.log", "wb"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
    )
    stop = threading.Event()
    started = time.time()
    try:
        wait_healthy(cfg.port, server)
        run.warmup_s = wait_for_first_sweep(run.db_url, started, server)
        prefix = str(Path(var_dir) / "locust")
        run.loads.append(loadavg())

        def sample() -> None:
            while not stop.wait(15):
                run.loads.append(loadavg())

        threading.Thread(target=sample, daemon=True).start()
        database = make_url(run.db_url).database or ""
        (server0, pg0), busy0, start = (
            cpu_seconds(server.pid, database),
            machine_busy(),
            time.perf_counter(),
        )
        env = {**os.environ, "LANSHOU_LOAD_PLAN": str(plan_path)}
        command = [
            cfg.locust,
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{cfg.port}",
            "--users",
            str(cfg.users),
            "--spawn-rate",
            str(cfg.spawn_rate),
            "--run-time",
            cfg.run_time,
            "--stop-timeout",
            "10",
            "--csv",
            prefix,
            "--csv-full-history",
            "--only-summary",
            "--exit-code-on-error",
            "0",
        ]
        log(" ".join(command[1:]))
        run.started_at = time.time()
        subprocess.run(command, env=env, check=True)
        run.wall_s = time.perf_counter() - start
        server1, pg1 = cpu_seconds(server.pid, database)
        busy1 = machine_busy()
        run.server_cpu_s, run.postgres_cpu_s = server1 - server0, pg1 - pg0
        run.machine_busy = (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1])
        stop.set()
        run.loads.append(loadavg())
        run.stats = read_csv(Path(f"{prefix}_stats.csv"))
        run.failures = read_csv(Path(f"{prefix}_failures.csv"))
        run.counts = counts(run.db_url)
        run.posts_per_minute = posts_per_minute(
            read_csv(Path(f"{prefix}_stats_history.csv")), run.started_at
        )
        by_minute(run)
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def by_minute(run: Run) -> None:
    """Scans accepted (tracking receipts) and events stored (by status, when folded) in each
    minute since locust started, and the scans still in the inbox."""
    start = datetime.fromtimestamp(run.started_at, UTC)
    engine = create_engine(run.db_url)
    accepted: dict[int, int] = defaultdict(int)
    stored: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        for at, n in conn.execute(
            text("SELECT received_at, accepted FROM tracking_receipts WHERE received_at >= :t"),
            {"t": start},
        ):
            accepted[int((at - start).total_seconds() // 60)] += n
        # The run's scans are timed at most an hour before it (the partitions are by event time).
        for at, status, n in conn.execute(
            text(
                "SELECT date_trunc('second', received_at), status, count(*) FROM tracking_events"
                " WHERE received_at >= :t AND event_time >= :e GROUP BY 1, 2"
            ),
            {"t": start, "e": start - timedelta(hours=1)},
        ):
            stored[int((at - start).total_seconds() // 60)][status] += n
        run.inbox_left = int(
            conn.scalar(text("SELECT count(*) FROM tracking_inbox WHERE done_at IS NULL")) or 0
        )
        p50, p95, top = conn.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d),"
                " percentile_cont(0.95) WITHIN GROUP (ORDER BY d), max(d) FROM"
                " (SELECT extract(epoch FROM done_at - received_at) AS d FROM tracking_inbox"
                "  WHERE received_at >= :t AND done_at IS NOT NULL) folded"
            ),
            {"t": start},
        ).one()
        run.fold_delay = (float(p50 or 0), float(p95 or 0), float(top or 0))
    engine.dispose()
    minutes = range(max([*accepted, *stored], default=-1) + 1)
    run.accepted_per_minute = [accepted.get(m, 0) for m in minutes]
    run.stored_per_minute = [dict(stored.get(m, {})) for m in minutes]


def counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        out = {
            table: int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("orders", "shipments", "deadlines", "violations", "appeals")
        }
        out["pending deadlines"] = int(
            conn.scalar(text("SELECT count(*) FROM deadlines WHERE state = 'pending'")) or 0
        )
    engine.dispose()
    return out


def ms(value: str) -> str:
    return f"{float(value):,.0f} ms" if value not in ("", "N/A") else "—"


def report(cfg: Config, run: Run, command: str) -> Result:
    res = Result(TITLE, command)
    rows = [s for s in run.stats if s["Name"] != "Aggregated"]
    total = next(s for s in run.stats if s["Name"] == "Aggregated")
    pages = [s for s in rows if not s["Name"].startswith("/login") and "token" not in s["Name"]]
    worst = max(float(s["95%"]) for s in pages)
    errors = sum(int(s["Failure Count"]) for s in run.stats if s["Name"] != "Aggregated")
    peak = max(load[0] for load in run.loads)
    rate = float(total["Requests/s"])
    cpu_per_request = (run.server_cpu_s + run.postgres_cpu_s) / max(1, int(total["Request Count"]))
    res.lines += [
        f"- Machine: {cpu_model()} ({os.cpu_count()} cores, shared with other work), "
        f"PostgreSQL {pg_version()}, commit {git_head()}, {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- World: `lanshou demo seed --orders {cfg.orders} --days {cfg.days}` — "
        + ", ".join(f"{v:,} {k}" for k, v in run.counts.items())
        + (
            f"; seeding took **{run.seed_seconds / 60:.1f} min** (generation, evaluation, "
            "demo cases and aggregates)"
            if run.seed_seconds is not None
            else " (database reused from an earlier seeding)"
        ),
        f"- Server: `lanshou serve --workers {cfg.workers}` on 127.0.0.1 with its background "
        "worker (sweep and inbox drainer) in the parent process; the load started once the "
        f"worker's first sweep had stored its snapshots, {run.warmup_s:.0f} s after start",
        f"- Load: locust headless, {cfg.users} users (merchant owner ×3 : staff ×2 : "
        f"reviewer ×1 : integration ×1 by weight), spawn rate {cfg.spawn_rate}/s, "
        f"{cfg.run_time}, 1–2 s think time; order list pages 1–{cfg.order_pages}, order "
        f"pages from {SAMPLE_ORDERS:,} random ids in the login's scope; tracking POSTs of "
        f"{EVENTS_PER_POST} scans each, {cfg.pickups_per_post} pickup scans of parcels waiting "
        f"for pickup + {EVENTS_PER_POST - cfg.pickups_per_post} next scans of parcels on their "
        "way (in transit, out for delivery, delivered), each after the parcel's last event; "
        f"the plan: {run.plan.get('waiting', 0):,} parcels waiting, "
        f"{run.plan.get('on_the_way', 0):,} on their way, enough for "
        f"{run.plan.get('full_posts', 0):,} POSTs of this mix (the users can make "
        f"{run.plan.get('posts_max', 0):,} at most)",
        "- Tracking POSTs per minute of the run (locust): "
        + " ".join(f"{n}" for n in run.posts_per_minute)
        + "; scans accepted into the inbox per minute (`tracking_receipts`): "
        + " ".join(f"{n}" for n in run.accepted_per_minute)
        + "; events stored per minute (`tracking_events`, picked up / in transit / out for "
        "delivery / delivered): "
        + " ".join(
            "/".join(str(m.get(st, 0)) for st in (*ON_THE_WAY, "delivered"))
            for m in run.stored_per_minute
        )
        + f"; {run.inbox_left} scans not yet folded at the end; accepted → folded p50 "
        f"{run.fold_delay[0]:.1f} s, p95 {run.fold_delay[1]:.1f} s, max {run.fold_delay[2]:.1f} s",
        f"- Load average (1 min) sampled every 15 s: start {run.loads[0][0]:.2f}, peak "
        f"{peak:.2f}, end {run.loads[-1][0]:.2f} (all: "
        + " ".join(f"{load[0]:.1f}" for load in run.loads)
        + ")",
        f"- Throughput {rate:.1f} requests/s. CPU during the run: the server's processes "
        f"{run.server_cpu_s:.0f} s and its PostgreSQL backends {run.postgres_cpu_s:.0f} s in "
        f"{run.wall_s:.0f} s, i.e. {cpu_per_request * 1000:.0f} ms of CPU per request; "
        f"{rate:.1f} requests/s × {cpu_per_request:.3f} s = {rate * cpu_per_request:.2f} of "
        f"{os.cpu_count()} cores. The machine's cores were {run.machine_busy:.0%} busy "
        "(everyone's work)",
        "",
        "| route | requests | errors | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in [*rows, total]:
        res.lines.append(
            f"| {s['Name'].replace('|', '/')} | {int(s['Request Count']):,} | "
            f"{int(s['Failure Count'])} | {ms(s['50%'])} | {ms(s['95%'])} | {ms(s['99%'])} | "
            f"{ms(s['Max Response Time'])} |"
        )
    met = worst < GOAL_P95_MS and errors == 0
    res.lines += [
        "",
        f"Goal: p95 of every page < {GOAL_P95_MS} ms and 0 errors — worst page p95 "
        f"{worst:.0f} ms, {errors} errors: **{'met' if met else 'not met'}**.",
    ]
    for f in run.failures:
        res.lines.append(f"- error: {f['Method']} {f['Name']} ×{f['Occurrences']}: {f['Error']}")
    return res


def write_section(res: Result) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or append it)."""
    body = "\n".join([f"## {res.title}", "", "```", res.command, "```", "", *res.lines, ""])
    doc = DOC.read_text(encoding="utf-8")
    heading = f"## {res.title}"
    if heading in doc:
        before, rest = doc.split(heading, 1)
        after = rest.split("\n## ", 1)
        doc = before + body + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + body
    DOC.write_text(doc, encoding="utf-8")


def find_locust(given: str | None) -> str | None:
    candidates = [given, shutil.which("locust"), str(Path(sys.executable).parent / "locust")]
    candidates.append(str(ROOT / ".venv-load" / "bin" / "locust"))
    return next((c for c in candidates if c and Path(c).is_file()), None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--spawn-rate", type=int, default=5)
    p.add_argument("--run-time", default="5m")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--order-pages", type=int, default=20, help="list pages users leaf through")
    p.add_argument("--reuse", metavar="DBNAME", help="measure on a kept database, no seeding")
    p.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    p.add_argument("--locust", help="the locust executable (default: found on PATH or venvs)")
    p.add_argument(
        "--pickups-per-post",
        type=int,
        default=3,
        help=f"pickup scans among the {EVENTS_PER_POST} of each tracking POST",
    )
    p.add_argument("--no-write", action="store_true", help="print, do not rewrite the doc")
    p.add_argument("--note", default="", help="a line on how the reused world was made")
    args = p.parse_args(argv)
    locust = find_locust(args.locust)
    if locust is None:
        raise SystemExit("locust not found: pip install -e '.[bench]' or give --locust PATH")
    cfg = Config(
        args.orders,
        args.days,
        args.workers,
        args.users,
        args.spawn_rate,
        args.run_time,
        args.port,
        args.order_pages,
        args.reuse,
        args.keep or bool(args.reuse),
        locust,
        args.pickups_per_post,
    )
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if a != args.note]
    command = "LANSHOU_BENCH_DATABASE_URL=… .venv/bin/python bench/bench_web_load.py " + " ".join(
        a if a != "--note" else "--note …" for a in shown
    )
    res = execute(cfg, command)
    if args.note:
        res.lines.insert(2, f"- Note: {args.note}")
    print("\n".join([f"## {res.title}", "", *res.lines]))
    if not args.no_write:
        write_section(res)
    return 0


def execute(cfg: Config, command: str) -> Result:
    with tempfile.TemporaryDirectory(prefix="lanshou-load-") as var_dir:
        run = prepare(cfg, var_dir)
        try:
            load(cfg, run, var_dir)
        finally:
            if not cfg.keep:
                from common import pg_drop

                pg_drop(make_url(run.db_url).database or "")
        return report(cfg, run, command)


def run(quick: bool = False) -> list[Result]:
    """For bench/run_all.py: a small world and one minute with --quick; needs locust."""
    locust = find_locust(None)
    if locust is None:
        log("bench_web_load: locust is not installed (the `bench` extra); skipped")
        return []
    orders, run_time = (100_000, "1m") if quick else (1_000_000, "5m")
    cfg = Config(orders, 60, 2, 20, 5, run_time, 8765, 20, None, False, locust)
    return [execute(cfg, f"bench/run_all.py --only web_load{' --quick' if quick else ''}")]


if __name__ == "__main__":
    raise SystemExit(main())
