"""``lanshou worker`` killed with SIGKILL at random points, 20 times, while it judges a tracking
stream, ends byte-for-byte where one uninterrupted worker ends: every scan stored once, every
verdict, ledger entry and audit record the same, the audit chain intact.

The orders (shipped over five days, imported as of :data:`NOW`, so missing pickups are already
booked) receive a stream of pickups (some late), transit scans and deliveries, accepted into the
inbox without judging. A worker judges it as of the same fixed time (``--now``), 100 records a
transaction; the killed copy starts a worker, kills it (and its process group) once the inbox is
down to a seeded random mark plus a random part of a batch's time, and starts the next, until a
last one finishes. On SQLite and on PostgreSQL.
LANSHOU_CRASH_WORKER_ORDERS (500), LANSHOU_CRASH_WORKER_KILLS (20) and LANSHOU_CRASH_SEED
change size, kills and seed.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from pathlib import Path

from tests.integration.crash.data import NOW, Window, write_orders
from tests.integration.crash.harness import Database, Databases, differences, final_dump, run
from tests.integration.crash.stream import (
    BATCH,
    Inbox,
    drain_with_workers,
    kill_group,
    pending,
    scans,
    start_worker,
    write_scans,
)

ORDERS = int(os.environ.get("LANSHOU_CRASH_WORKER_ORDERS", "500"))
KILLS = int(os.environ.get("LANSHOU_CRASH_WORKER_KILLS", "20"))
SEED = int(os.environ.get("LANSHOU_CRASH_SEED", "20261203"))


def prepared(tmp_path: Path, databases: Databases) -> tuple[Database, int]:
    """Orders imported as of NOW and the stream accepted, unjudged; and how many scans."""
    write_orders(tmp_path / "orders.csv", Window(ORDERS))
    stream = scans(Window(ORDERS))
    write_scans(tmp_path / "scans.csv", stream)
    db = databases.fresh("prepared")
    at = ["--now", NOW.isoformat()]
    run(
        db, ["import", "orders", str(tmp_path / "orders.csv"), "--source", "generic", *at], tmp_path
    )
    run(db, ["import", "tracking", str(tmp_path / "scans.csv"), "--no-judge", *at], tmp_path)
    return db, len(stream)


def test_a_worker_killed_at_random_points_ends_as_one_uninterrupted_worker(
    tmp_path: Path, databases: Databases
) -> None:
    db, n = prepared(tmp_path, databases)
    assert pending(db) == n
    clean = databases.copy(db, "clean")
    _, judging = drain_with_workers(clean, tmp_path)
    expected = final_dump(clean)
    assert len(expected["tracking_events"]) == n  # every scan is a scan of its own

    killed = databases.copy(db, "killed")
    rng = random.Random(SEED)
    # Each worker is killed once the inbox is down to its random mark (a batch or more
    # committed), after a further random delay of up to a batch's time: mid-batch or between.
    marks = sorted(rng.sample(range(n // 10, n - n // 10), KILLS), reverse=True)
    batch_seconds = judging * BATCH / n
    delays, left = [], [n]
    inbox = Inbox(killed)
    try:
        for mark in marks:
            worker = start_worker(killed, tmp_path)
            while inbox.pending() > mark and worker.poll() is None:
                time.sleep(0.02)
            delays.append(round(rng.uniform(0, batch_seconds), 3))
            time.sleep(delays[-1])
            kill_group(worker)
            left.append(inbox.pending())
    finally:
        inbox.close()
    progressed = sum(after < before for before, after in itertools.pairwise(left))
    # Marks closer than a batch fall in one run's work: a quarter of the kills must follow a
    # commit of their own run (the rest fall mid-batch or during start-up: kills too).
    assert progressed >= KILLS // 4, f"too few kills fell after a commit: {left}"
    drain_with_workers(killed, tmp_path)
    report = f"marks {marks}, delays {delays}, left {left}"
    assert differences(expected, final_dump(killed)) == [], report
    run(killed, ["audit", "verify"], tmp_path)
