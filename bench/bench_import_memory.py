"""Issue #12: peak memory of a violation-heavy backfill import (`lanshou import orders`).

The files of `backfill.py` (orders whose pickup deadlines are long past, two in three picked up,
half of those late): into a freshly migrated database (built-in carriers inserted), first
`lanshou import tracking tracking.csv` (the scans wait for their waybills), then
`/usr/bin/time -v lanshou import orders orders.csv --source generic`, both with
`--now` = world.NOW. Peak RSS and time of each; the rows the orders import left behind
(violations, ledger entries and their sums, audit records), which must not depend on memory
work: a chunked evaluation has to book exactly what a whole-file one would.

    .venv/bin/python bench/bench_import_memory.py 100000 sqlite   # one size, one backend
    .venv/bin/python bench/bench_import_memory.py 60000 sqlite 3  # the orders of 3 shops
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from backfill import SHOPS, write_orders, write_tracking
from bench_ingest import LANSHOU, _env, _fresh, load
from common import BACKENDS, Result, fmt_n, fmt_s, log, timer
from sqlalchemy import func, select
from world import NOW

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.models import AuditEvent, Deadline, LedgerEntry, Violation

SIZES = ((100_000, 300_000), (20_000, 60_000))  # rows per run (default, quick)


def _time_v(args: list[str], url: str, var: Path) -> dict[str, Any]:
    """Run a lanshou command under `/usr/bin/time -v`: seconds, peak RSS (MB), CPU seconds."""
    with timer() as t:
        out = subprocess.run(
            ["/usr/bin/time", "-v", LANSHOU, *args, "--now", NOW.isoformat()],
            env=_env(url, var),
            cwd=var,
            capture_output=True,
            text=True,
        )
    if out.returncode != 0:
        raise RuntimeError(f"lanshou {' '.join(args)} failed: {out.stdout}\n{out.stderr}")

    def number(label: str) -> float:
        found = re.search(rf"{re.escape(label)}: ([\d.]+)", out.stderr)
        return float(found.group(1)) if found else float("nan")

    return {
        "seconds": t[0],
        "rss_mb": number("Maximum resident set size (kbytes)") / 1024,
        "cpu": number("User time (seconds)") + number("System time (seconds)"),
    }


def outcome(url: str) -> dict[str, Any]:
    """What the import stored: counts per table, violations per state, ledger sums per kind."""
    engine = make_engine(url)
    with session_factory(engine)() as s:
        out: dict[str, Any] = {
            m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Deadline, Violation, LedgerEntry, AuditEvent)
        }
        out["violations by state"] = dict(
            s.execute(select(Violation.state, func.count()).group_by(Violation.state)).all()
        )
        out["ledger by kind"] = {
            k: (int(fen or 0), str(pts or 0))
            for k, fen, pts in s.execute(
                select(
                    LedgerEntry.kind, func.sum(LedgerEntry.amount_fen), func.sum(LedgerEntry.points)
                ).group_by(LedgerEntry.kind)
            )
        }
    engine.dispose()
    return out


def measure(n: int, backend: str, folder: Path, shops: int = SHOPS) -> dict[str, Any]:
    """Write the files of `n` orders of `shops` shops (if missing), import both into a fresh
    database."""
    orders, tracking = folder / f"orders-{n}-{shops}.csv", folder / f"tracking-{n}.csv"
    if not orders.exists():
        write_orders(n, orders, shops=shops)
        write_tracking(n, tracking)
    url, cleanup = _fresh(backend, f"lanshou_bench_import_memory_{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory(prefix="lanshou-bench-memory-var-") as tmp:
            log(f"memory: {fmt_n(n)} orders on {backend}: import tracking (load {load()})")
            scans = _time_v(["import", "tracking", str(tracking)], url, Path(tmp))
            la = load()
            log(f"memory: {fmt_n(n)} orders on {backend}: import orders (load {la})")
            run = _time_v(["import", "orders", str(orders), "--source", "generic"], url, Path(tmp))
            run["load"] = f"{la} → {load()}"
        run["tracking"] = scans
        run["outcome"] = outcome(url)
        run["file_mb"] = orders.stat().st_size / 1e6
    finally:
        cleanup()
    log(
        f"memory: {backend} {fmt_n(n)} orders of {shops} shops: {run['rss_mb']:.0f} MB peak, "
        f"{fmt_s(run['seconds'])}, {run['outcome']}"
    )
    return run


def run(quick: bool) -> list[Result]:
    sizes = SIZES[1 if quick else 0]
    rows, outcomes = [], []
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-memory-") as tmp:
        for backend in BACKENDS:
            for n in sizes:
                r = measure(n, backend, Path(tmp))
                o = r["outcome"]
                rows.append(
                    f"| {backend} | {fmt_n(n)} | {r['file_mb']:.0f} MB "
                    f"| {fmt_s(r['tracking']['seconds'])}, {r['tracking']['rss_mb']:.0f} MB "
                    f"| {fmt_s(r['seconds'])} | {r['cpu']:.0f} s | **{r['rss_mb']:.0f} MB** "
                    f"| {o['violations']:,} | {o['ledger_entries']:,} | {o['audit_events']:,} "
                    f"| {r['load']} |"
                )
                outcomes.append(
                    f"- {backend}, {fmt_n(n)} orders: {o['violations by state']}; "
                    f"ledger (fen, points) {o['ledger by kind']}"
                )
    lines = [
        "The files of `bench/backfill.py`: generic orders of 2,000 shops in payment order, paid "
        "over 60 days ending two days before `--now`, all shipped 1–40 h after payment with a "
        "carrier and a waybill; a tracking CSV with a pickup scan for two orders in three (half "
        "of them late). Into a freshly migrated database, `lanshou import tracking` first, then "
        "`/usr/bin/time -v .venv/bin/lanshou import orders FILE --source generic --now "
        f"{NOW.isoformat()}`; the columns after the import's own are what it stored.",
        "",
        "| backend | orders | file | import tracking (time, peak RSS) | import orders | "
        "CPU (user+sys) | peak RSS | violations | ledger entries | audit records "
        "| load avg (start → end) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        *outcomes,
    ]
    cmd = ".venv/bin/python bench/run_all.py --only import_memory" + (" --quick" if quick else "")
    return Result("Backfill import memory: violation-heavy orders (issue #12)", cmd, lines)


if __name__ == "__main__":
    size, backend = int(sys.argv[1]), sys.argv[2]
    shops = int(sys.argv[3]) if len(sys.argv) > 3 else SHOPS
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-memory-") as folder:
        print(measure(size, backend, Path(folder), shops))
