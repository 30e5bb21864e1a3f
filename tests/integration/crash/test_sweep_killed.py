"""``lanshou sweep`` killed with SIGKILL at random points and run again ends byte-for-byte where
one uninterrupted sweep ends, and no deadline is booked twice.

The database holds orders shipped 28–42 hours before ``--now`` and never picked up, imported
while their pickup deadlines were still pending: the sweep breaches every one of them (500
shipments a transaction), opening violations, booking compensation, fines and points, and
appending to the audit chain. LANSHOU_CRASH_SWEEP_ORDERS (3000), LANSHOU_CRASH_KILLS (6) and
LANSHOU_CRASH_SEED change size, kills and seed. On SQLite and on PostgreSQL (where ids are
compared by position: see ``harness.dump``).
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.integration.crash.data import NOW, Window, write_orders
from tests.integration.crash.harness import (
    Database,
    Databases,
    differences,
    final_dump,
    kill_and_rerun,
    run,
)

ORDERS = int(os.environ.get("LANSHOU_CRASH_SWEEP_ORDERS", "3000"))
KILLS = int(os.environ.get("LANSHOU_CRASH_KILLS", "6"))
SEED = int(os.environ.get("LANSHOU_CRASH_SEED", "20261203"))
IMPORTED_AT = NOW - timedelta(hours=20)
# How far the alert collector has read the audit trail: it reads at most 1000 records a sweep,
# so a sweep killed after collecting, plus the re-run, has read further than one sweep. Not
# business data, and it may only move forward (checked below).
QUEUE_PROGRESS = ("alert_cursors",)


def _prepared(tmp_path: Path, databases: Databases) -> Database:
    """Orders imported 20 hours before the sweep: shipped, nothing picked up, all pending."""
    window = Window(ORDERS, start=NOW - timedelta(hours=44), span=timedelta(hours=10))
    write_orders(tmp_path / "orders.csv", window)
    db = databases.fresh("prepared")
    run(
        db,
        [
            "import",
            "orders",
            str(tmp_path / "orders.csv"),
            "--source",
            "generic",
            "--now",
            IMPORTED_AT.isoformat(),
        ],
        tmp_path,
    )
    return db


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    engine = db.engine()
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_sweep_killed_at_random_points_ends_as_one_uninterrupted_sweep(
    tmp_path: Path, databases: Databases
) -> None:
    prepared = _prepared(tmp_path, databases)
    shipped = ORDERS - ORDERS // 10  # every tenth order is never shipped
    assert _rows(
        prepared,
        "SELECT state, count(*) FROM deadlines WHERE rule_id = 'pickup_timeout' GROUP BY state",
    ) == [("pending", shipped)]
    sweep = ["sweep", "--now", NOW.isoformat()]
    clean = databases.copy(prepared, "clean")
    took = run(clean, sweep, tmp_path)
    expected = final_dump(clean, skip=QUEUE_PROGRESS)
    assert _rows(clean, "SELECT state, count(*) FROM violations GROUP BY state") == [
        ("open", shipped)
    ]

    killed = databases.copy(prepared, "killed")
    log = kill_and_rerun(
        killed, sweep, tmp_path, kills=KILLS, clean_seconds=took, rng=random.Random(SEED)
    )
    assert log.killed >= KILLS // 2, f"too few runs were killed: {log}"
    assert differences(expected, final_dump(killed, skip=QUEUE_PROGRESS)) == [], f"kills: {log}"
    run(killed, ["audit", "verify"], tmp_path)  # the chain survived the kills unbroken
    cursors = "SELECT name, last_id FROM alert_cursors ORDER BY name"
    for (name, clean_at), (_, killed_at) in zip(
        _rows(clean, cursors), _rows(killed, cursors), strict=True
    ):
        assert int(str(killed_at)) >= int(str(clean_at)), f"alert cursor {name} went back"
    # Equal to the clean sweep already says it; spelled out because it is the point.
    assert (
        _rows(
            killed,
            "SELECT violation_id, kind FROM ledger_entries WHERE reverses_id IS NULL "
            "GROUP BY violation_id, kind HAVING count(*) > 1",
        )
        == []
    )
    assert (
        _rows(
            killed,
            "SELECT entity_id FROM audit_events WHERE entity_type = 'violation' "
            "AND action = 'detected' GROUP BY entity_id HAVING count(*) > 1",
        )
        == []
    )
