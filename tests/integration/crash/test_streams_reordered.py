"""A tracking stream delivered duplicated, shuffled and replayed, judged by two worker processes
while it arrives, ends in the state of the same stream delivered once, in order, and judged by
one worker.

The ordered stream is the one of test_worker_killed (pickups, some late, transit scans,
deliveries of orders imported as of :data:`NOW`). The other delivery: every scan, a seeded
random third of them twice more, shuffled, in two files accepted one after the other with
``lanshou import tracking --no-judge`` while two ``lanshou worker`` processes judge (as of the
same fixed time), then the first file again (a feed replaying after an outage). Compared by
content, as ids follow arrival: every scan stored once, each shipment's state and deadlines,
each violation, and the ledger entries standing (neither reversed nor reversing) with the net
per kind; the audit chain verifies. On SQLite and on PostgreSQL.

The same stream also arrives in other orders (reversed, shuffled under three seeds, every scan
twice, replayed), a delivery at a time, each judged before the next arrives: every one ends in
the ordered stream's state, withdrawn violations' pickups and explanations included (a
violation withdrawn by a later scan still in time takes the earlier pickup once it arrives).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from lanshou.adapters.db.engine import session_factory
from lanshou.audit import AuditKeys, bind_keys
from lanshou.enforcement import RulesContext
from lanshou.enforcement.inbox import drain_inbox
from lanshou.imports import import_tracking
from tests.integration.crash.data import NOW, Window, write_orders
from tests.integration.crash.harness import SECRET, Database, Databases, run
from tests.integration.crash.stream import (
    BATCH,
    Inbox,
    Scan,
    drain_with_workers,
    kill_group,
    scans,
    start_worker,
    write_scans,
)
from tests.integration.crash.test_worker_killed import SEED

ORDERS = 150
AT = ["--now", NOW.isoformat()]

STATE = {
    "events": "SELECT waybill_no, status, event_time, location, description, "
    "shipment_id IS NOT NULL FROM tracking_events",
    "shipments": "SELECT waybill_no, key, status, shipped_at, picked_up_at, last_event_at, "
    "feed_stalled FROM shipments",
    "deadlines": "SELECT s.waybill_no, d.rule_id, d.state, d.started_at, d.due_at, "
    "d.satisfied_at, d.next_check_at FROM deadlines d JOIN shipments s ON s.id = d.shipment_id",
    # Withdrawn ones too: their pickup and explanation are those of every scan, not of the
    # scan that happened to withdraw them (a later one still in time, arriving first).
    "violations": "SELECT s.waybill_no, v.rule_id, v.state, v.started_at, v.deadline, "
    "v.satisfied_at, v.explanation, v.exemption_ref, v.detected_at "
    "FROM violations v JOIN shipments s ON s.id = v.shipment_id",
    "standing ledger": "SELECT s.waybill_no, e.kind, e.amount_fen, e.points, e.memo "
    "FROM ledger_entries e JOIN violations v ON v.id = e.violation_id "
    "JOIN shipments s ON s.id = v.shipment_id WHERE e.reverses_id IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id)",
    "net ledger": "SELECT kind, sum(amount_fen), sum(points) FROM ledger_entries GROUP BY kind",
}


def _state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    engine = db.engine()
    try:
        with engine.connect() as conn:
            return {
                name: sorted(tuple(str(v) for v in row) for row in conn.execute(text(sql)))
                for name, sql in STATE.items()
            }
    finally:
        engine.dispose()


def _prepared(tmp_path: Path, databases: Databases) -> tuple[Database, list[Scan]]:
    """The orders imported as of :data:`NOW` (no scan yet), and the ordered stream."""
    write_orders(tmp_path / "orders.csv", Window(ORDERS))
    prepared = databases.fresh("prepared")
    run(
        prepared,
        ["import", "orders", str(tmp_path / "orders.csv"), "--source", "generic", *AT],
        tmp_path,
    )
    return prepared, scans(Window(ORDERS))


def test_duplicated_shuffled_replayed_across_two_workers_ends_as_the_ordered_stream(
    tmp_path: Path, databases: Databases
) -> None:
    prepared, stream = _prepared(tmp_path, databases)

    ordered = databases.copy(prepared, "ordered")
    write_scans(tmp_path / "ordered.csv", stream)
    run(ordered, ["import", "tracking", str(tmp_path / "ordered.csv"), "--no-judge", *AT], tmp_path)
    drain_with_workers(ordered, tmp_path)
    expected = _state(ordered)
    assert len(expected["events"]) == len(stream)

    rng = random.Random(SEED)
    messy = stream + [s for s in stream if rng.random() < 1 / 3] * 2
    rng.shuffle(messy)
    files = []
    for k in range(2):
        files.append(tmp_path / f"part{k}.csv")
        write_scans(files[-1], messy[k::2])
    reordered = databases.copy(prepared, "reordered")
    workers = [start_worker(reordered, tmp_path) for _ in range(2)]
    inbox = Inbox(reordered)
    try:
        for path in [*files, files[0]]:
            run(reordered, ["import", "tracking", str(path), "--no-judge", *AT], tmp_path)
        started = time.monotonic()
        while inbox.pending():
            assert time.monotonic() - started < 240, "the workers did not judge the stream"
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.1)
        for w in workers:
            w.terminate()
        assert [w.wait(timeout=60) for w in workers] == [0, 0]
    finally:
        inbox.close()
        for w in workers:
            if w.poll() is None:
                kill_group(w)
    assert _state(reordered) == expected
    run(reordered, ["audit", "verify"], tmp_path)


ARRIVAL = 60  # scans per delivery: each is accepted, then judged, before the next arrives


def _deliveries(stream: list[Scan]) -> dict[str, list[Scan]]:
    """The same scans in other arrival orders (seeded): what each of them must end as is the
    state of ``stream`` itself."""
    out = {"ordered": list(stream), "reversed": stream[::-1]}
    for seed in (1, 2, 3):
        shuffled = list(stream)
        random.Random(SEED + seed).shuffle(shuffled)
        out[f"shuffled {seed}"] = shuffled
    rng = random.Random(SEED + 4)
    duplicated = stream * 2
    rng.shuffle(duplicated)
    out["duplicated"] = duplicated
    out["replayed"] = stream[::-1] + stream  # everything again after an outage, in order
    return out


def _judge_as_delivered(db: Database, scans_in: list[Scan], cwd: Path) -> None:
    """Accept the scans ``ARRIVAL`` at a time through the file import and drain the inbox
    after each (batches of the worker's test size), in this process, as of :data:`NOW`."""
    engine = db.engine()
    sessions = session_factory(engine)
    bind_keys(sessions, AuditKeys.from_secrets(SECRET))
    try:
        for k in range(0, len(scans_in), ARRIVAL):
            path = cwd / f"arrival-{k}.csv"
            write_scans(path, scans_in[k : k + ARRIVAL])
            accepted = import_tracking(sessions, path, tz=ZoneInfo("Asia/Shanghai"), now=NOW)
            assert accepted.rejected == 0
            drain_inbox(sessions, NOW, RulesContext(), limit=BATCH)
    finally:
        engine.dispose()


def test_every_arrival_order_ends_as_the_ordered_stream(
    tmp_path: Path, databases: Databases
) -> None:
    """Ordered, reversed, shuffled (three seeds), every scan twice, and a replay: judged as
    they arrive, all end in one state, withdrawn violations' pickups and explanations too."""
    prepared, stream = _prepared(tmp_path, databases)
    states = {}
    for name, delivery in _deliveries(stream).items():
        db = databases.copy(prepared, name.replace(" ", "_"))
        cwd = tmp_path / name.replace(" ", "_")
        cwd.mkdir(exist_ok=True)
        _judge_as_delivered(db, delivery, cwd)
        states[name] = _state(db)
    expected = states.pop("ordered")
    assert len(expected["events"]) == len(stream)
    # Some violations were withdrawn, so arrival order had something to get wrong.
    assert any("withdrawn" in row for row in expected["violations"])
    for name, state in states.items():
        for table, rows in expected.items():
            assert state[table] == rows, f"{name}: {table}"
