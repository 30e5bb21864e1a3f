"""Issue #16, accept then judge: the acceptance rate of the batch endpoint and of `lanshou import
tracking --no-judge` against a raw bulk insert of the same rows, in the same run.

Each path into a fresh copy of the world of `bench_ingest` (shipped shipments with stored
deadlines, the same streams):

- raw: the rows `tracking_events` would hold (dedup keys and raw JSON precomputed) with
  `world.bulk` (executemany on SQLite, COPY on PostgreSQL) in chunks of 5,000, the baseline of
  bench_ingest and of the issue's goal; and the same rows into `tracking_inbox` itself (fewer
  and sequential indexes: the stricter baseline for an inbox);
- `POST /api/v1/tracking/events` of a real `lanshou serve --no-worker` process, 5,000 events a
  request, one client, requests one after the other: accepted into the inbox and answered;
- `lanshou import tracking FILE --no-judge` as a subprocess (its start-up included).

After each accepting path the inbox is drained in-process by one drainer (what the server's
worker thread runs), timed apart, and every event must then be stored, attached and judged to the
same violations as on the other path.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ingest import (
    BATCH,
    GOAL,
    Scenario,
    _world,
    json_bodies,
    load,
    raw_rows,
    steady,
    via_api,
    via_cli,
    via_raw,
    write_events_csv,
)
from bench_ingest import backlog as backlog_stream
from common import Result, fmt_n, fmt_s, log, timer
from world import bulk, open_db

from lanshou.adapters.db.models import TrackingReceipt

COMMAND = ".venv/bin/python bench/bench_inbox.py"


INBOX_COLS = (
    "receipt_id",
    "carrier_code",
    "waybill_no",
    "status",
    "event_time",
    "location",
    "description",
    "source",
    "dedup_key",
    "raw",
    "received_at",
)


def via_raw_inbox(backend: str, scenario: Scenario) -> dict[str, Any]:
    """The same rows as the inbox holds them, with `world.bulk` into `tracking_inbox` itself
    (a receipt per chunk of 5,000 made beforehand, untimed)."""
    db = _world(backend, "lanshou_bench_inbox_raw", scenario)
    try:
        received = dt.datetime.now(dt.UTC)
        rows = raw_rows(scenario.events, received)
        chunks = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
        with db.sessions() as s:
            receipts = [
                TrackingReceipt(source="import", received_at=received, accepted=len(c))
                for c in chunks
            ]
            s.add_all(receipts)
            s.commit()
            ids = [r.id for r in receipts]
        parts = [
            [
                (rid, carrier, waybill, status, at, None, desc, source, key, raw_json, rec)
                for _, carrier, waybill, status, at, rec, desc, source, key, raw_json in chunk
            ]
            for rid, chunk in zip(ids, chunks, strict=True)
        ]
        la = load()
        with timer() as t:
            for part in parts:
                bulk(db, "tracking_inbox", INBOX_COLS, part)
    finally:
        db.cleanup()
    return {"seconds": t[0], "load": la}


ENDPOINT_PHASES = ("read", "scans", "accept", "commit")


def endpoint_phases(backend: str, bodies: list[bytes], n: int) -> dict[str, float]:
    """µs per event of each step of `POST /tracking/events` after the body is read, in this
    process: reading the body (`plain_events`: parsed once, validated, each event's own text),
    the scans with their dedup keys (`record_scans`), accepting them into the inbox (receipt,
    bulk write) and the commit. What the server adds on top is HTTP and the thread hop."""
    from collections import Counter

    from lanshou.enforcement import accept_scans
    from lanshou.entrypoints.api.schemas_tracking import plain_events
    from lanshou.orders import CarrierResolver, record_scans

    db = open_db(backend, "lanshou_bench_inbox_phases")
    spent = dict.fromkeys(ENDPOINT_PHASES, 0.0)
    try:
        for body in bodies:
            marks = [time.perf_counter()]
            records = plain_events(body)
            assert records is not None  # the bench's bodies take the one pass
            marks.append(time.perf_counter())
            with db.sessions() as session:
                carriers = CarrierResolver.load(session)
                scans = record_scans(records, carriers, "webhook", Counter())
                marks.append(time.perf_counter())
                accept_scans(session, scans, dt.datetime.now(dt.UTC), source="webhook")
                marks.append(time.perf_counter())
                session.commit()
                marks.append(time.perf_counter())
            # marks: one more than phases (the start)
            for phase, start, end in zip(ENDPOINT_PHASES, marks, marks[1:], strict=False):
                spent[phase] += end - start
    finally:
        db.cleanup()
    return {phase: 1e6 * seconds / n for phase, seconds in spent.items()}


def _rows_for(
    sc: Scenario,
    backend: str,
    n: int,
    raw: dict[str, Any],
    raw_inbox: dict[str, Any],
    paths: list[tuple[str, dict[str, Any]]],
) -> list[str]:
    """The table rows of one stream and backend: each path against both raw inserts."""
    rows = []
    raw_rate, inbox_rate = n / raw["seconds"], n / raw_inbox["seconds"]
    for label, r in paths:
        rate = n / r["seconds"]
        ok = "met" if rate / raw_rate >= GOAL else "not met"
        # The CLI's start-up is in its time; the server's (via_api) is not: not shown.
        startup = fmt_s(r["startup"]) if label in (CLI_COLD, CLI_WARM) else "—"
        judged = "—" if r["judge_seconds"] != r["judge_seconds"] else fmt_s(r["judge_seconds"])
        violations = f"{r['counts'][2]:,}" if judged != "—" else "—"
        rows.append(
            f"| {sc.name} | {backend} | {label} | {fmt_s(r['seconds'])} | {startup} "
            f"| **{fmt_n(rate)}** | **{100 * rate / raw_rate:.1f} %** ({ok}) "
            f"| {100 * rate / inbox_rate:.1f} % | {judged} | {violations} | {r['load']} |"
        )
    how = "COPY" if backend == "postgresql" else "executemany"
    for label, r, rate in (
        (f"raw bulk insert into `tracking_events` ({how})", raw, raw_rate),
        (f"raw bulk insert into `tracking_inbox` ({how})", raw_inbox, inbox_rate),
    ):
        rows.append(
            f"| {sc.name} | {backend} | {label} | {fmt_s(r['seconds'])} | — "
            f"| {fmt_n(rate)} | {100 * rate / raw_rate:.0f} % "
            f"| {100 * rate / inbox_rate:.0f} % | — | — | {r['load']} |"
        )
    return rows


HEADER = [
    "| stream | backend | path | accepted in | of which start-up (empty file, apart) | events/s "
    "| of raw into `tracking_events` (goal ≥ 50 %) | of raw into `tracking_inbox` "
    "| then judged in (one drainer) | violations | load |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
]
ENDPOINT = "`POST /tracking/events` (server)"
CLI_COLD = "`lanshou import tracking --no-judge` (subprocess, no bytecode cache)"
CLI_WARM = "`lanshou import tracking --no-judge` (subprocess, bytecode cache)"


def run(quick: bool) -> list[Result]:
    n_ship = 5_000 if quick else 20_000
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=2)
    rows = list(HEADER)
    budget = [
        "| stream | backend | "
        + " | ".join(ENDPOINT_PHASES)
        + " | sum | raw into `tracking_inbox` | endpoint through the server | load |",
        "|---|---|" + "---:|" * (len(ENDPOINT_PHASES) + 3) + "---|",
    ]
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-inbox-") as tmp:
        bytecode = Path(tmp) / "pycache"
        for sc in (steady(n_ship, at), backlog_stream(n_ship)):
            n = len(sc.events)
            bodies = json_bodies(sc.events)
            csv_path = Path(tmp) / f"tracking-{sc.name}.csv"
            write_events_csv(sc.events, csv_path)
            for backend in ("sqlite", "postgresql"):
                log(f"inbox: {sc.name} {backend}: {fmt_n(n)} events — raw")
                raw = via_raw(backend, sc)
                log(f"inbox: {backend}: raw {n / raw['seconds']:.0f}/s; raw inbox …")
                raw_inbox = via_raw_inbox(backend, sc)
                log(f"inbox: {backend}: raw inbox {n / raw_inbox['seconds']:.0f}/s; endpoint …")
                api = via_api(backend, sc, bodies, n)
                log(f"inbox: {backend}: endpoint {n / api['seconds']:.0f}/s; CLI …")
                cli = via_cli(backend, sc, csv_path)
                log(f"inbox: {backend}: CLI {n / cli['seconds']:.0f}/s; CLI, bytecode cache …")
                warm = via_cli(backend, sc, csv_path, bytecode=bytecode)
                log(f"inbox: {backend}: CLI {n / warm['seconds']:.0f}/s; endpoint phases …")
                phases = endpoint_phases(backend, bodies, n)
                budget.append(
                    f"| {sc.name} | {backend} | "
                    + " | ".join(f"{phases[p]:.1f}" for p in ENDPOINT_PHASES)
                    + f" | {sum(phases.values()):.1f} | {1e6 * raw_inbox['seconds'] / n:.1f} "
                    f"| {1e6 * api['seconds'] / n:.1f} | {load()} |"
                )
                for name, r in (("endpoint", api), ("import tracking", cli), ("warm", warm)):
                    stored, attached, _ = r["counts"]
                    assert stored == n and attached == n, (name, r["counts"])
                    assert r["counts"][2] == api["counts"][2] > 0, (name, r["counts"])
                rows += _rows_for(
                    sc,
                    backend,
                    n,
                    raw,
                    raw_inbox,
                    [(ENDPOINT, api), (CLI_COLD, cli), (CLI_WARM, warm)],
                )
    return [
        Result(
            "Tracking inbox: acceptance vs raw bulk insert (issue #16)",
            COMMAND,
            [
                f"{fmt_n(n_ship)} shipped shipments, five scans each ({fmt_n(5 * n_ship)} "
                f"events; requests and CSV chunks of {fmt_n(BATCH)}). Load average at the "
                f"end: {load()}.",
                "",
                *rows,
                "",
                "The endpoint's steps in-process (µs per event, same run; requests of "
                f"{fmt_n(BATCH)}), against the raw insert into the inbox and the whole "
                "request through the server:",
                "",
                *budget,
            ],
        )
    ]


def run_large(n_events: int) -> list[Result]:
    """The batch endpoint (requests of 5,000) and `import tracking` of one large file (the
    backlog stream: n_events / 5 shipments) on both backends, against both raw inserts of the
    same rows in the same run. Accepting only: the inbox rows are counted, not judged
    (draining half a million events is another bench)."""
    n_ship = n_events // 5
    rows = list(HEADER)
    sc = backlog_stream(n_ship)
    n = len(sc.events)
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-inbox-") as tmp:
        bytecode = Path(tmp) / "pycache"
        csv_path = Path(tmp) / f"tracking-{sc.name}.csv"
        write_events_csv(sc.events, csv_path)
        bodies = json_bodies(sc.events)
        for backend in ("sqlite", "postgresql"):
            log(f"inbox large: {backend}: {fmt_n(n)} events — raw")
            raw = via_raw(backend, sc)
            log(f"inbox large: {backend}: raw {n / raw['seconds']:.0f}/s; raw inbox …")
            raw_inbox = via_raw_inbox(backend, sc)
            log(f"inbox large: {backend}: raw inbox {n / raw_inbox['seconds']:.0f}/s; endpoint …")
            api = via_api(backend, sc, bodies, n, judged=False)
            assert api["counts"][0] == n, api["counts"]
            log(f"inbox large: {backend}: endpoint {n / api['seconds']:.0f}/s; CLI …")
            # With the bytecode cache only: the cold start-up is the --quick run's (same code).
            warm = via_cli(backend, sc, csv_path, bytecode=bytecode, judged=False)
            log(f"inbox large: {backend}: CLI {n / warm['seconds']:.0f}/s")
            assert warm["counts"][0] == n, warm["counts"]
            rows += _rows_for(sc, backend, n, raw, raw_inbox, [(ENDPOINT, api), (CLI_WARM, warm)])
    return [
        Result(
            "Tracking inbox: `import tracking` of a large file vs raw bulk insert (issue #16)",
            f"{COMMAND} --large {n_events}",
            [
                f"{fmt_n(n_ship)} shipped shipments, five scans each ({fmt_n(n)} events: requests "
                f"of {fmt_n(BATCH)}, one CSV file in chunks of {fmt_n(BATCH)}). Load average at "
                f"the end: {load()}.",
                "",
                *rows,
            ],
        )
    ]


if __name__ == "__main__":
    large = sys.argv[sys.argv.index("--large") + 1] if "--large" in sys.argv else None
    for r in run_large(int(large)) if large else run("--quick" in sys.argv):
        print(f"## {r.title}\n\n```\n{r.command}\n```\n")
        print("\n".join(r.lines), "\n")
