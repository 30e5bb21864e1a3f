"""Tracking events on PostgreSQL: the table partitioned by month (migration 0016) against the
plain table before it (0015), the same rows in the same run.

Three operations of the event path, each through the code the application runs:
- new events stored (``bulk.insert_new``, batches of 5,000: key look-up, then COPY);
- the same batches resent (every key stored: the look-up alone answers);
- one waybill's events read by the waybill index (what attaching orphan events and the
  order page ask), 2,000 waybills one query each.
Events span 12 months, so the partitioned table has 12 partitions plus DEFAULT. Both tables
are analyzed after the first step (autovacuum would have been by then).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

from common import PG_URL, Result, fmt_n, fmt_s, log, pg_drop, pg_scratch, timer
from sqlalchemy import Engine, Table, text

from lanshou.adapters.db.bulk import insert_new
from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.db.models import TrackingEvent
from lanshou.adapters.db.partitions import Month, ensure_partitions
from lanshou.domain.tracking import TrackingUpdate

TABLE = cast(Table, TrackingEvent.__table__)
BATCH = 5_000
STATUSES = ("picked_up", "in_transit", "in_transit", "out_for_delivery", "delivered")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def rows(waybills: int) -> list[dict[str, Any]]:
    """Five scans per waybill, the waybills spread evenly over 2026, in arrival order."""
    out = []
    received = START + dt.timedelta(days=400)
    for i in range(waybills):
        first = START + dt.timedelta(seconds=i * (365 * 86400 // waybills))
        for k, status in enumerate(STATUSES):
            at = first + dt.timedelta(hours=7 * k)
            u = TrackingUpdate(f"75{i:012d}", status, at, "bench", carrier_code="ZTO")
            out.append(
                {
                    "shipment_id": None,
                    "carrier_code": "ZTO",
                    "waybill_no": u.waybill_no,
                    "status": status,
                    "event_time": at,
                    "received_at": received,
                    "source": "bench",
                    "dedup_key": u.dedup_key,
                    "description": None,
                }
            )
    return out


def _batches(data: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [data[i : i + BATCH] for i in range(0, len(data), BATCH)]


def _store(engine: Engine, data: list[dict[str, Any]]) -> tuple[float, int]:
    stored = 0
    with timer() as t:
        for batch in _batches(data):
            with engine.begin() as conn:
                stored += len(insert_new(conn, TABLE, batch, "dedup_key"))
    return t[0], stored


def _read(engine: Engine, waybills: list[str]) -> tuple[float, int]:
    n = 0
    query = text("SELECT id, status, event_time FROM tracking_events WHERE waybill_no = :w")
    with engine.connect() as conn, timer() as t:
        for w in waybills:
            n += len(conn.execute(query, {"w": w}).all())
    return t[0], n


def run(quick: bool) -> list[Result]:
    waybills = 10_000 if quick else 60_000
    data = rows(waybills)
    log(f"partitions: {fmt_n(len(data))} events")
    plain = make_engine(pg_scratch("lanshou_bench_plain"))
    parted = make_engine(pg_scratch("lanshou_bench_parted"))
    try:
        upgrade(plain, "0015")
        upgrade(parted)
        with parted.begin() as conn:
            ensure_partitions(conn, [Month(2026, m) for m in range(1, 13)])
        engines = {"plain (0015)": plain, "by month (0016)": parted}
        sample = random.Random(7).sample(sorted({r["waybill_no"] for r in data}), 2_000)
        timings: dict[str, dict[str, float]] = {name: {} for name in engines}
        # Alternate the order between steps so neither table always runs on a warmer cache.
        for step, order in (("store", (0, 1)), ("resend", (1, 0)), ("read", (0, 1))):
            if step == "resend":
                # As autovacuum would by then: on a partitioned table it analyzes each month's
                # partition (never the parent), which is what the planner reads.
                for engine in engines.values():
                    with engine.begin() as conn:
                        conn.execute(text("ANALYZE tracking_events"))
            for i in order:
                name, engine = list(engines.items())[i]
                if step == "read":
                    seconds, n = _read(engine, sample)
                    assert n == len(sample) * len(STATUSES), n
                else:
                    seconds, n = _store(engine, data)
                    assert n == (len(data) if step == "store" else 0), (step, n)
                timings[name][step] = seconds
                log(f"  {name} {step}: {fmt_s(seconds)}")
    finally:
        plain.dispose()
        parted.dispose()
        pg_drop("lanshou_bench_plain")
        pg_drop("lanshou_bench_parted")
    return [_result(timings, len(data), len(sample))]


def _result(timings: dict[str, dict[str, float]], events: int, reads: int) -> Result:
    plain, parted = timings["plain (0015)"], timings["by month (0016)"]
    lines = [
        f"{fmt_n(events)} events over 12 months, batches of {BATCH:,}; {reads:,} waybill reads.",
        "",
        "| operation | plain table (0015) | by month (0016) | by month / plain |",
        "|---|---|---|---|",
    ]
    for step, label in (
        ("store", "store new events (events/s)"),
        ("resend", "resend them, all duplicates (events/s)"),
        ("read", "read one waybill's events (queries/s)"),
    ):
        n = reads if step == "read" else events
        a, b = n / plain[step], n / parted[step]
        lines.append(f"| {label} | {fmt_n(a)} | {fmt_n(b)} | {b / a:.2f} |")
    return Result(
        "Tracking events partitioned by month vs one table (PostgreSQL, issue #16)",
        f"LANSHOU_BENCH_DATABASE_URL={PG_URL.split('@')[0]}@… "
        ".venv/bin/python bench/run_all.py --only partitions",
        lines,
    )
