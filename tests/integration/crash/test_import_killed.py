"""``lanshou import orders`` and then ``lanshou import tracking``, each killed with SIGKILL at
random points and run again, end byte-for-byte where one uninterrupted run of both ends.

The orders (two shops, five days, most shipped) and the pickup scans (on time, late or missing)
are evaluated as they are imported, so the comparison covers orders, shipments, deadlines,
violations, ledger entries, tracking events and the audit chain (hashes included: every run
signs with the same key) — every table of the schema but the tracking inbox's delivery log,
which must be wholly judged. Time is ``--now``, fixed.

Size, kills and seed come from LANSHOU_CRASH_ORDERS (5500: the orders import commits every 5000
rows, so two chunks), LANSHOU_CRASH_KILLS (3 per command) and LANSHOU_CRASH_SEED; the delays used
are in the failure message, so a failing run can be repeated.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from sqlalchemy import func, select

from lanshou.adapters.db.models import InboxRecord
from tests.integration.crash.data import NOW, Window, write_orders, write_tracking
from tests.integration.crash.harness import (
    Database,
    Databases,
    differences,
    final_dump,
    kill_and_rerun,
    run,
)

ORDERS = int(os.environ.get("LANSHOU_CRASH_ORDERS", "5500"))
KILLS = int(os.environ.get("LANSHOU_CRASH_KILLS", "3"))
SEED = int(os.environ.get("LANSHOU_CRASH_SEED", "20261203"))
# The tracking inbox and its receipts log deliveries: an import killed and run again delivers
# its committed chunks again (the fold stores their scans once), so those tables hold more rows
# than after one run; every delivery must have been judged, though.
DELIVERIES = ("tracking_inbox", "tracking_receipts", "tracking_receipt_violations")


def _unjudged(db: Database) -> int:
    engine = db.engine()
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(InboxRecord.done_at.is_(None))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


# On PostgreSQL a killed run's uncommitted rows are dead tuples, and a VACUUM or ANALYZE
# (autovacuum) of a table holding only those, or the re-run's uncommitted ones, stored "0 rows"
# for orders and shipments: the fines read then joined them as nested loops and ran for minutes.
# The chunk transaction now keeps VACUUM off the two tables and analyzes them if their estimate
# is stale (adapters/db/statistics.py; test_stale_statistics.py forces that state).
def test_imports_killed_at_random_points_end_as_one_clean_run(
    tmp_path: Path, databases: Databases
) -> None:
    window = Window(ORDERS)
    write_orders(tmp_path / "orders.csv", window)
    write_tracking(tmp_path / "tracking.csv", window)
    commands = (
        [
            "import",
            "orders",
            str(tmp_path / "orders.csv"),
            "--source",
            "generic",
            "--now",
            NOW.isoformat(),
        ],
        # 250 scans a transaction: many commits for the kills to fall between
        [
            "import",
            "tracking",
            str(tmp_path / "tracking.csv"),
            "--chunk",
            "250",
            "--now",
            NOW.isoformat(),
        ],
    )
    clean = databases.fresh("clean")
    seconds = [run(clean, args, tmp_path) for args in commands]
    expected = final_dump(clean, skip=DELIVERIES)
    for table in (
        "orders",
        "shipments",
        "tracking_events",
        "deadlines",
        "violations",
        "ledger_entries",
        "audit_events",
    ):
        assert expected[table], f"the clean run left {table} empty: the comparison means little"

    killed = databases.fresh("killed")
    rng = random.Random(SEED)
    logs = [
        kill_and_rerun(killed, args, tmp_path, kills=KILLS, clean_seconds=took, rng=rng)
        for args, took in zip(commands, seconds, strict=True)
    ]
    assert sum(log.killed for log in logs) >= KILLS, f"too few runs were killed: {logs}"
    assert differences(expected, final_dump(killed, skip=DELIVERIES)) == [], f"kills: {logs}"
    assert (_unjudged(clean), _unjudged(killed)) == (0, 0)
