"""Issue #14: `lanshou check --json > file` end to end against a hand-written DuckDB query of the
same rules over the same CSVs writing the same JSON, in the same run; then the same files
re-encoded as GB18030.

The files (written by DuckDB SQL, the shape of `backfill.py` with carrier codes on both sides so
no alias table is needed): generic orders of 2,000 shops paid over the 60 days ending two days
before `--now`, one in ten never shipped (a ship-timeout violation), the others shipped 1–40 h
after payment; per shipped order an `awaiting_pickup` scan, and for order i with i % 3 == 1 a
pickup 2 h after shipping plus an `in_transit` scan (on time), i % 3 == 2 a pickup 30–69 h after
shipping (late), i % 3 == 0 none (late, unsatisfied): about 1.8 tracking rows per order. The unit
price is a whole number of fen, so amount ÷ quantity is exact whichever way it is rounded.

Both sides run as child processes under `/usr/bin/time -v` (process start to exit, peak RSS).
The hand-written side (`check_hand.py`, a process importing only DuckDB) reads the CSVs with
DuckDB, applies douyin's pickup and ship rules, tiers and fine caps (the SQL of
`bench_batch.hand_sql`), and writes the envelope, summary and violations of `check --json`;
the two outputs are compared line by line (normalised for indentation) and must be equal.

    nice .venv/bin/python bench/bench_check.py 200000          # one size, printed
    .venv/bin/python bench/run_all.py --only check [--quick]   # 2 M orders (quick: 200 k)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from bench_batch import HOUR_US, check_profile, hand_sql
from common import Result, fmt_n, fmt_s, log, timer
from world import NOW

SIZES = (2_000_000, 200_000)  # orders (default, quick)
SHOPS = 2_000
DAYS = 60
TZ = "Asia/Shanghai"
CARRIERS = ("ZTO", "YTO", "YUNDA", "STO", "JT", "SF", "EMS", "JD")
PROVINCES = ("浙江", "广东", "江苏", "山东", "河南", "四川", "湖北", "福建")
LANSHOU = str(Path(sys.executable).with_name("lanshou"))


def generate(n: int, folder: Path) -> tuple[Path, Path]:
    """orders.csv and tracking.csv of `n` orders (see the module docstring)."""
    orders, tracking = folder / "orders.csv", folder / "tracking.csv"
    end = (NOW - dt.timedelta(days=2)).replace(tzinfo=None)
    con = duckdb.connect()
    con.execute(
        f"""CREATE TEMP TABLE o AS
        WITH g AS (SELECT range AS i FROM range(1, {n + 1})),
        t AS (SELECT i, TIMESTAMP '{end}' - to_seconds(CAST({DAYS * 86_400}
                       - {DAYS * 86_400} * ((i * 618033) % {n} + 1) // {n + 1} AS BIGINT))
                       AS paid,
                     100 + (i * 37) % 50000 AS unit_fen, 1 + i % 3 AS qty FROM g)
        SELECT i, 'B' || lpad(CAST(i AS VARCHAR), 9, '0') AS order_id,
               '店铺' || lpad(CAST((i * 7919) % {SHOPS} AS VARCHAR), 4, '0') AS shop_id,
               paid, printf('%d.%02d', unit_fen * qty // 100, unit_fen * qty % 100) AS amount,
               qty,
               {list(PROVINCES)}[i % 8 + 1] AS province,
               CASE WHEN i % 10 <> 0 THEN paid + to_seconds(3600 + (i * 104729) % (39 * 3600))
                    END AS shipped,
               {list(CARRIERS)}[i % 8 + 1] AS carrier,
               '9' || lpad(CAST(i AS VARCHAR), 11, '0') AS waybill
        FROM t"""
    )
    con.execute(
        f"""COPY (SELECT order_id, shop_id, strftime(paid, '%Y-%m-%d %H:%M:%S') AS paid_at,
                   amount, qty AS quantity, province,
                   CASE WHEN shipped IS NULL THEN 'paid' ELSE 'shipped' END AS status,
                   strftime(shipped, '%Y-%m-%d %H:%M:%S') AS shipped_at,
                   CASE WHEN shipped IS NOT NULL THEN carrier END AS carrier,
                   CASE WHEN shipped IS NOT NULL THEN waybill END AS waybill
            FROM o ORDER BY i) TO '{orders}' (FORMAT csv, HEADER true)"""
    )
    con.execute(
        f"""COPY (
            SELECT carrier, waybill, strftime(t, '%Y-%m-%d %H:%M:%S') AS time, status FROM (
              SELECT i, 0 AS k, carrier, waybill, shipped + INTERVAL 20 MINUTE AS t,
                     'awaiting_pickup' AS status FROM o WHERE shipped IS NOT NULL
              UNION ALL
              SELECT i, 1, carrier, waybill,
                     CASE WHEN i % 3 = 1 THEN shipped + INTERVAL 2 HOUR
                          ELSE shipped + to_seconds(3600 * (30 + i % 40)) END, 'picked_up'
              FROM o WHERE shipped IS NOT NULL AND i % 3 <> 0
              UNION ALL
              SELECT i, 2, carrier, waybill, shipped + INTERVAL 9 HOUR, 'in_transit'
              FROM o WHERE shipped IS NOT NULL AND i % 3 = 1)
            ORDER BY i, k) TO '{tracking}' (FORMAT csv, HEADER true)"""
    )
    con.close()
    return orders, tracking


def reencode(src: Path, dst: Path, encoding: str) -> None:
    with src.open(encoding="utf-8", newline="") as fin, dst.open("w", encoding=encoding) as fout:
        while block := fin.read(1 << 20):
            fout.write(block)


# ---------------------------------------------------------------- the hand-written side


def _iso(us: str) -> str:
    """Asia/Shanghai has been UTC+8 without DST since 1991: a fixed offset is exact here."""
    return (
        f"CASE WHEN {us} IS NOT NULL THEN strftime(make_timestamp({us} + {8 * HOUR_US}),"
        " '%Y-%m-%dT%H:%M:%S') || '+08:00' END"
    )


def _money(fen: str) -> str:
    return f"CAST(CAST({fen} AS DECIMAL(18,2)) / 100 AS DECIMAL(18,2))"


def hand_spec(
    orders: Path, tracking: Path, out: Path, pickup_statuses: list[str]
) -> dict[str, Any]:
    """The SQL of the hand-written side (douyin's rules over the CSVs), for `check_hand.py`."""
    now_us = int(NOW.timestamp()) * 1_000_000
    statuses = ", ".join(f"'{s}'" for s in pickup_statuses)
    ships = f"""CREATE TEMP VIEW ships AS
        WITH p AS (SELECT lower(carrier) AS carrier, waybill, min(time) AS pickup
                   FROM read_csv('{tracking}', types={{'time': 'TIMESTAMP', 'waybill': 'VARCHAR'}})
                   WHERE status IN ({statuses}) GROUP BY ALL)
        SELECT o.order_id AS shipment_key, o.order_id, o.shop_id,
               timezone('{TZ}', o.paid_at) AS paid_at,
               -- facts dated after now have not happened yet (as the engine judges them)
               CASE WHEN epoch_us(timezone('{TZ}', o.shipped_at)) <= {now_us}
                    THEN timezone('{TZ}', o.shipped_at) END AS shipped_at,
               CASE WHEN epoch_us(timezone('{TZ}', p.pickup)) <= {now_us}
                    THEN timezone('{TZ}', p.pickup) END AS first_pickup_at,
               o.amount, o.quantity, NULL::DECIMAL(18,2) AS max_unit_price
        FROM read_csv('{orders}', types={{'paid_at': 'TIMESTAMP', 'shipped_at': 'TIMESTAMP',
                      'amount': 'DECIMAL(18,2)', 'order_id': 'VARCHAR', 'shop_id': 'VARCHAR',
                      'waybill': 'VARCHAR'}}) o
        LEFT JOIN p ON p.carrier = lower(o.carrier) AND p.waybill = o.waybill"""
    summary = f"""SELECT (SELECT count(*) FROM ships),
          (SELECT count(*) FILTER (WHERE
              (shipped_at IS NULL AND epoch_us(paid_at) + {48 * HOUR_US} >= {now_us})
              OR (shipped_at IS NOT NULL AND first_pickup_at IS NULL
                  AND epoch_us(shipped_at) + {24 * HOUR_US} >= {now_us})) FROM ships),
          count(*) FILTER (WHERE rule = 'ship_timeout'),
          count(*) FILTER (WHERE rule = 'pickup_timeout'),
          CAST({_money("coalesce(sum(comp_c), 0)")} AS VARCHAR),
          CAST({_money("coalesce(sum(fine_c), 0)")} AS VARCHAR),
          CAST({_money("coalesce(sum(refund_c), 0)")} AS VARCHAR)
        FROM hand"""
    violations = f"""COPY (SELECT order_id, shipment_key, shop_id, rule,
                   {_iso("start_us")} AS started_at, {_iso("deadline_us")} AS deadline,
                   {_iso("sat_us")} AS satisfied_at,
                   CAST({_money("comp_c")} AS VARCHAR) AS compensation,
                   CAST({_money("fine_c")} AS VARCHAR) AS fine,
                   CAST({_money("refund_c")} AS VARCHAR) AS auto_refund, false AS exempt
            FROM hand ORDER BY deadline_us, shipment_key, rule)
        TO '{out}.violations' (FORMAT json)"""
    return {
        "out": str(out),
        "profile": "douyin",
        "now": NOW.isoformat(),
        "setup": [ships, hand_sql("ships", now_us)],
        "summary": summary,
        "violations": violations,
    }


# ---------------------------------------------------------------- measuring


def _time_v(args: list[str], stdout: Path) -> dict[str, Any]:
    """A child process under `/usr/bin/time -v`, stdout to a file: seconds, peak RSS, CPU."""
    load = os.getloadavg()[0]
    with stdout.open("wb") as out, timer() as t:
        proc = subprocess.run(
            ["nice", "/usr/bin/time", "-v", *args], stdout=out, stderr=subprocess.PIPE, text=True
        )

    def number(label: str) -> float:
        found = re.search(rf"{re.escape(label)}: ([\d.]+)", proc.stderr)
        return float(found.group(1)) if found else float("nan")

    return {
        "ok": proc.returncode == 0,
        "error": "" if proc.returncode == 0 else proc.stderr.strip().splitlines()[0],
        "seconds": t[0],
        "rss_mb": number("Maximum resident set size (kbytes)") / 1024,
        "cpu": number("User time (seconds)") + number("System time (seconds)"),
        "load": f"{load:.1f} → {os.getloadavg()[0]:.1f}",
    }


def digest(path: Path) -> tuple[str, int, dict[str, Any]]:
    """(sha256 of the violation lines without indentation, their count, the summary)."""
    h, n, head = hashlib.sha256(), 0, []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith('    {"'):
                h.update(line.strip().removesuffix(",").encode())
                n += 1
            elif n == 0:
                head.append(line)
    text = "".join(head).removesuffix('  "violations": [\n').rstrip().removesuffix(",") + "}"
    return h.hexdigest(), n, json.loads(text)["summary"]


def check_args(orders: Path, tracking: Path) -> list[str]:
    return [
        LANSHOU,
        "check",
        "--profile",
        "douyin",
        "--source",
        "generic",
        "--orders",
        str(orders),
        "--tracking",
        str(tracking),
        "--now",
        NOW.isoformat(),
        "--json",
    ]


def measure(n: int, folder: Path) -> dict[str, Any]:
    check_profile()
    from lanshou.domain.rules import load_profile

    statuses = list(load_profile("douyin").pickup_statuses)
    log(f"check: generating {fmt_n(n)} orders")
    with timer() as t_gen:
        orders, tracking = generate(n, folder)
    scans = sum(1 for _ in tracking.open(encoding="utf-8")) - 1
    log(f"check: lanshou check --json ({fmt_n(n)} orders, {fmt_n(scans)} scans)")
    check = _time_v(check_args(orders, tracking), folder / "check.json")
    log(f"check: {check}")
    log("check: hand-written DuckDB")
    hand_out, spec = folder / "hand.json", folder / "hand-spec.json"
    spec.write_text(json.dumps(hand_spec(orders, tracking, hand_out, statuses)), "utf-8")
    script = str(Path(__file__).resolve().with_name("check_hand.py"))
    hand_run = _time_v([sys.executable, script, str(spec)], folder / "hand.stdout")
    log(f"check: hand {hand_run}")
    same = check["ok"] and hand_run["ok"] and digest(folder / "check.json") == digest(hand_out)
    count = digest(hand_out)[1] if hand_run["ok"] else 0
    log("check: GB18030 copies")
    gb_orders, gb_tracking = folder / "orders-gb18030.csv", folder / "tracking-gb18030.csv"
    reencode(orders, gb_orders, "gb18030")
    reencode(tracking, gb_tracking, "gb18030")
    gb = _time_v(check_args(gb_orders, gb_tracking), folder / "check-gb18030.json")
    gb["same"] = gb["ok"] and digest(folder / "check-gb18030.json")[0] == digest(hand_out)[0]
    log(f"check: GB18030 {gb}")
    return {
        "n": n,
        "scans": scans,
        "gen": t_gen[0],
        "mb": (orders.stat().st_size + tracking.stat().st_size) / 1e6,
        "json_mb": (folder / "check.json").stat().st_size / 1e6 if check["ok"] else 0,
        "check": check,
        "hand": hand_run,
        "gb": gb,
        "same": same,
        "violations": count,
    }


def _row(name: str, r: dict[str, Any]) -> str:
    if not r["ok"]:
        return f"| {name} | failed: `{r['error']}` | | | |"
    return (
        f"| {name} | {fmt_s(r['seconds'])} | {r['cpu']:.1f} s | {r['rss_mb']:.0f} MB "
        f"| {r['load']} |"
    )


def report(m: dict[str, Any]) -> list[str]:
    check, hand_run, gb = m["check"], m["hand"], m["gb"]
    ratio = check["seconds"] / hand_run["seconds"] if check["ok"] and hand_run["ok"] else None
    gb_ratio = gb["seconds"] / check["seconds"] if gb["ok"] and check["ok"] else None
    lines = [
        f"{fmt_n(m['n'])} generic orders (2,000 shops, 60 days) and {fmt_n(m['scans'])} tracking "
        f"rows, CSV {m['mb']:.0f} MB, generated by DuckDB SQL in {fmt_s(m['gen'])} "
        "(`bench/bench_check.py`); douyin profile, `--now` "
        f"{NOW.isoformat()}. Each side is a child process under `nice /usr/bin/time -v`, "
        "timed from process start to exit, stdout redirected to a file.",
        "",
        "| | wall time | CPU (user+sys) | peak RSS | load avg (start → end) |",
        "|---|---:|---:|---:|---|",
        _row("`lanshou check --json > file`", check),
        _row("hand-written DuckDB query, same JSON", hand_run),
        _row("`lanshou check --json`, the files as GB18030", gb),
        "",
        f"Violations: {fmt_n(m['violations'])}; JSON {m['json_mb']:.0f} MB. Same JSON (summary "
        f"and every violation, in order): **{'yes' if m['same'] else 'NO'}**.",
    ]
    if ratio is not None:
        lines.append(
            f"**check / hand-written: {ratio:.2f}×** (goal ≤ 2.0×: "
            f"{'met' if ratio <= 2.0 else 'NOT met'}); **peak RSS {check['rss_mb']:.0f} MB** "
            f"(goal < 500 MB: {'met' if check['rss_mb'] < 500 else 'NOT met'})."
        )
    if gb_ratio is not None:
        lines.append(
            f"GB18030 / UTF-8: {gb_ratio:.2f}× (goal ≤ 1.3×: "
            f"{'met' if gb_ratio <= 1.3 else 'NOT met'}); same violations: "
            f"{'yes' if gb['same'] else 'NO'}."
        )
    else:
        lines.append("GB18030: no ratio, one of the two runs failed (rows above).")
    return lines


def run(quick: bool) -> list[Result]:
    n = SIZES[1 if quick else 0]
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-check-") as tmp:
        m = measure(n, Path(tmp))
    cmd = ".venv/bin/python bench/run_all.py --only check" + (" --quick" if quick else "")
    return [
        Result(f"`lanshou check --json` end to end: {fmt_n(n)} orders (issue #14)", cmd, report(m))
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-check-") as folder:
        print("\n".join(report(measure(int(sys.argv[1]), Path(folder)))))
