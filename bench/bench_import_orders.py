"""`lanshou import orders` of bench_check's file (issue #14): rows/s overall and per tenth of
the file, CPU seconds, peak RSS, violations, load average.

The file is bench_check's: orders of 2,000 shops over 60 days listed in a stride that scatters
payment times, so every 5,000-row chunk touches early days of nearly every shop. The import
runs in a child process (what `lanshou import orders` runs, with a progress callback that logs
each chunk), measured by ``/usr/bin/time -v``; the per-tenth rates show whether the import
stays linear as the database grows.

    python bench/bench_import_orders.py --orders 200000 --db sqlite [--no-doc]

The section is appended to docs/benchmarks.md (machine, command, commit) unless ``--no-doc``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine

NOW = "2026-11-20T12:00:00+08:00"
DOC = ROOT / "docs" / "benchmarks.md"
DATA = Path(tempfile.gettempdir()) / "lanshou-bench-import-orders"


def child(path: str, log: str) -> None:
    """Import ``path`` as `lanshou import orders` does; one JSON line per chunk in ``log``."""
    from datetime import datetime

    from lanshou.entrypoints.cli.common import runtime
    from lanshou.imports import import_orders

    rt = runtime()
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    with open(log, "w") as out:

        def progress(p: Any) -> None:
            if p.phase == "import":
                wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
                out.write(json.dumps({"rows": p.rows_read, "wall": wall, "cpu": cpu}) + "\n")
                out.flush()

        summary = import_orders(
            rt.sessions,
            Path(path),
            source="generic",
            now=datetime.fromisoformat(NOW),
            ctx=rt.rules,
            progress=progress,
        )
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        out.write(json.dumps({"end": summary.rows_read, "wall": wall, "cpu": cpu}) + "\n")


def data_file(n: int) -> Path:
    """bench_check's orders file of ``n`` orders (generated once, kept in the temp dir)."""
    import bench_check

    folder = DATA / str(n)
    orders = folder / "orders.csv"
    if not orders.exists():
        folder.mkdir(parents=True, exist_ok=True)
        bench_check.generate(n, folder)
    return orders


def deciles(lines: list[dict[str, Any]], n: int) -> list[tuple[float, float]]:
    """(rows per wall second, rows per CPU second) of each tenth of the rows, from the chunk
    log (a tenth ends at the first chunk at or past it)."""
    out = []
    prev = {"rows": 0, "wall": 0.0, "cpu": 0.0}
    chunks = [x for x in lines if "rows" in x]
    for k in range(1, 11):
        goal = n * k // 10
        at = next((x for x in chunks if x["rows"] >= goal), None)
        if at is None or at["rows"] == prev["rows"]:
            continue
        rows = at["rows"] - prev["rows"]
        out.append((rows / (at["wall"] - prev["wall"]), rows / max(at["cpu"] - prev["cpu"], 1e-9)))
        prev = at
    return out


def measure(n: int, backend: str) -> dict[str, Any]:
    import bench_ingest

    orders = data_file(n)
    url, cleanup = bench_ingest._fresh(backend, "bench_import_orders")
    var = Path(tempfile.mkdtemp(prefix="lanshou-bench-import-var-"))
    log = var / "chunks.jsonl"
    load_before = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, __file__, "--child", str(orders), str(log)],
        env={**bench_ingest._env(url, var), "PYTHONPATH": str(ROOT / "src")},
        cwd=var,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)

    def field(name: str) -> float:
        m = re.search(rf"{re.escape(name)}: ([\d.]+)", proc.stderr)
        assert m, name
        return float(m.group(1))

    lines = [json.loads(x) for x in log.read_text().splitlines()]
    end = lines[-1]
    last_chunk = [x for x in lines if "rows" in x][-1]
    violations = bench_ingest._db_counts(url).get("violations")
    cleanup()
    return {
        "orders": n,
        "backend": backend,
        "wall": wall,
        "import_wall": end["wall"],
        "after_last_chunk": end["wall"] - last_chunk["wall"],
        "after_last_chunk_cpu": end["cpu"] - last_chunk["cpu"],
        "cpu": field("User time (seconds)") + field("System time (seconds)"),
        "rss_mib": field("Maximum resident set size (kbytes)") / 1024,
        "violations": violations,
        "deciles": deciles(lines, n),
        "load_before": load_before,
        "load_after": load_after,
    }


def report(m: dict[str, Any], command: str) -> list[str]:
    n = m["orders"]
    dec = m["deciles"]
    ratio = dec[-1][1] / dec[0][1] if dec else float("nan")
    return [
        f"## import orders, {n:,} rows, {m['backend']} (issue #14)",
        "",
        *machine(),
        f"- Command: `{command}`",
        f"- Load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in m['load_before'])},"
        f" after: {'/'.join(f'{x:.2f}' for x in m['load_after'])}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| wall time | {m['wall']:,.0f} s |",
        f"| rows/s (wall, overall) | {n / m['wall']:,.0f} |",
        f"| rows per CPU second | {n / m['cpu']:,.0f} |",
        f"| CPU seconds (user + system) | {m['cpu']:,.0f} |",
        f"| peak RSS | {m['rss_mib']:,.0f} MiB |",
        f"| violations | {m['violations']:,} |",
        f"| after the last chunk (the fines' re-allocation) | {m['after_last_chunk']:,.1f} s, "
        f"{m['after_last_chunk_cpu']:,.1f} CPU s |",
        f"| last tenth ÷ first tenth (rows per CPU second) | {ratio:.2f} |",
        "",
        "Rows/s per tenth of the file (wall; per CPU second), the fines' re-allocation at the "
        "end not included:",
        "",
        "| tenth | " + " | ".join(str(k + 1) for k in range(len(dec))) + " |",
        "|---|" + "---|" * len(dec),
        "| rows/s | " + " | ".join(f"{w:,.0f}" for w, _ in dec) + " |",
        "| rows/CPU s | " + " | ".join(f"{c:,.0f}" for _, c in dec) + " |",
        "",
    ]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=200_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--no-doc", action="store_true", help="print only, leave docs alone")
    args = ap.parse_args()
    m = measure(args.orders, args.db)
    command = f"python bench/bench_import_orders.py --orders {args.orders} --db {args.db}"
    lines = report(m, command)
    print("\n".join(lines), flush=True)
    print(json.dumps(m), flush=True)
    if not args.no_doc:
        with DOC.open("a", encoding="utf-8") as doc:
            doc.write("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
