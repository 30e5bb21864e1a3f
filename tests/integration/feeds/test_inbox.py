"""Accept, then judge: receipts, waiting for verdicts, duplicates, concurrent drainers, crashes.

The world is the web world (shop A: WBA004 shipped 2026-11-01 16:00 and awaiting pickup, no
deadlines yet; shop B: WBB000 shipped 2026-11-02 11:00); a pickup more than 24 hours after
shipping is late, so it produces a pickup-timeout violation when judged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    InboxRecord,
    Shipment,
    TrackingEvent,
    TrackingReceipt,
    Violation,
)
from lanshou.bootstrap import Runtime
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.inbox import DrainResult, accept_updates, drain_batch
from lanshou.worker import run_drainer
from tests.integration.web.world import NOW, World, bearer

CST = timezone(timedelta(hours=8))
EVENTS = "/api/v1/tracking/events"
Drain = Callable[[], DrainResult]


def ev(waybill: str, time: str, status: str, carrier: str = "顺丰") -> dict[str, str]:
    return {"carrier": carrier, "waybill": waybill, "time": time, "status": status}


LATE_A = ev("WBA004", "2026-11-03T12:00:00+08:00", "picked_up")
LATE_B = ev("WBB000", "2026-11-04T11:00:00+08:00", "picked_up", carrier="中通")


def _violation(sessions: sessionmaker[Session], waybill: str) -> int:
    with sessions() as s:
        return s.execute(
            select(Violation.id)
            .join(Shipment, Shipment.id == Violation.shipment_id)
            .where(Shipment.waybill_no == waybill)
        ).scalar_one()


def _shipment(sessions: sessionmaker[Session], waybill: str) -> tuple[str, datetime | None]:
    with sessions() as s:
        row = s.execute(
            select(Shipment.status, Shipment.picked_up_at).where(Shipment.waybill_no == waybill)
        ).one()
        return row[0], row[1]


def _pending(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(
            select(func.count()).select_from(InboxRecord).where(InboxRecord.done_at.is_(None))
        ).scalar_one()


def _events(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(TrackingEvent)).scalar_one()


def test_an_accepted_batch_is_judged_by_the_drain_and_its_receipt_says_what_came_of_it(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    admin = bearer(client, "admin")
    posted = client.post(EVENTS, json={"events": [LATE_A, LATE_B, LATE_A]}, headers=admin)
    assert posted.status_code == 200
    assert posted.json() == {
        "receipt_id": 1,
        "received": 3,
        "judged": 0,
        "stored": None,
        "duplicates": None,
        "unmatched": None,
        "unknown_carriers": 0,
        "unknown_carrier_names": [],
        "judged_at": None,
        "violations": [],
        "dead_letters": 0,
    }
    waiting = client.get("/api/v1/tracking/receipts/1", headers=admin).json()
    assert (waiting["judged"], waiting["stored"], waiting["violations"]) == (0, None, [])
    assert _shipment(sessions, "WBA004") == ("awaiting_pickup", None)  # accepted, not judged

    assert (drain().records, drain().records) == (3, 0)
    a, b = _violation(sessions, "WBA004"), _violation(sessions, "WBB000")
    judged = client.get("/api/v1/tracking/receipts/1", headers=admin).json()
    assert judged == {
        "receipt_id": 1,
        "received": 3,
        "judged": 3,
        "stored": 2,
        "duplicates": 1,
        "unmatched": 0,
        "unknown_carriers": 0,
        "judged_at": "2026-11-04T12:00:00+08:00",
        "violations": sorted([a, b]),
        "dead_letters": 0,
    }
    assert _shipment(sessions, "WBA004") == ("picked_up", datetime(2026, 11, 3, 12, tzinfo=CST))
    # Each shop's merchant sees the receipt with its own shop's violation only.
    mine = client.get("/api/v1/tracking/receipts/1", headers=bearer(client, "merchant")).json()
    theirs = client.get("/api/v1/tracking/receipts/1", headers=bearer(client, "other")).json()
    assert (mine["violations"], theirs["violations"]) == ([a], [b])
    # A receipt that names none of a merchant's waybills is not theirs to see.
    only_a = ev("WBA004", "2026-11-03T18:00:00+08:00", "in_transit")
    assert client.post(EVENTS, json={"events": [only_a]}, headers=admin).json()["receipt_id"] == 2
    refused = client.get("/api/v1/tracking/receipts/2", headers=bearer(client, "other"))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/tracking/receipts/99", headers=admin).status_code == 404


def test_a_caller_that_waits_gets_the_verdicts_in_the_answer(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    admin = bearer(client, "admin")
    answer = client.post(f"{EVENTS}?wait=10", json={"events": [LATE_A]}, headers=admin).json()
    a = _violation(sessions, "WBA004")
    assert (answer["judged"], answer["stored"], answer["duplicates"]) == (1, 1, 0)
    assert (answer["judged_at"], answer["violations"]) == ("2026-11-04T12:00:00+08:00", [a])
    assert _pending(sessions) == 0
    for wait in ("-1", "30.5", "soon"):
        refused = client.post(f"{EVENTS}?wait={wait}", json={"events": [LATE_A]}, headers=admin)
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["loc"] == ["query", "wait"]
    assert _pending(sessions) == 0  # a refused request accepted nothing


def test_duplicate_deliveries_are_stored_once_and_credited_to_the_first(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    admin = bearer(client, "admin")
    body = {"events": [LATE_A, ev("WBA004", "2026-11-03T20:00:00+08:00", "in_transit")]}
    receipts = [client.post(EVENTS, json=body, headers=admin).json()["receipt_id"] for _ in "abc"]
    assert receipts == [1, 2, 3]
    stored_before = _events(sessions)
    assert drain().records == 6
    assert _events(sessions) == stored_before + 2
    counts = [client.get(f"/api/v1/tracking/receipts/{r}", headers=admin).json() for r in receipts]
    assert [(c["judged"], c["stored"], c["duplicates"]) for c in counts] == [
        (2, 2, 0),
        (2, 0, 2),
        (2, 0, 2),
    ]
    # the violation belongs to every receipt that delivered its shipment's events
    a = _violation(sessions, "WBA004")
    assert [c["violations"] for c in counts] == [[a], [a], [a]]
    assert _shipment(sessions, "WBA004") == ("in_transit", datetime(2026, 11, 3, 12, tzinfo=CST))


def _accept(runtime: Runtime, *scans: tuple[str, datetime, str]) -> list[int]:
    """Each scan accepted as its own receipt, as a feed would; returns the receipt ids."""
    ids = []
    for waybill, at, status in scans:
        with unit_of_work(runtime.sessions) as s:
            update = TrackingUpdate(waybill_no=waybill, status=status, event_time=at, source="t")
            ids.append(accept_updates(s, [update], NOW, source="t").receipt_id)
    return ids


def test_two_drainers_fold_one_shipment_one_after_the_other(
    runtime: Runtime, sessions: sessionmaker[Session], world: World
) -> None:
    """The first batch holds the pickup, the second the delivery of the same shipment; the
    second drainer runs while the first has not committed. Were it to read the shipment before
    the first commits, it would store the delivery as the first pickup."""
    pickup, delivered = datetime(2026, 11, 1, 18, tzinfo=CST), datetime(2026, 11, 2, 9, tzinfo=CST)
    _accept(runtime, ("WBA004", pickup, "picked_up"), ("WBA004", delivered, "delivered"))
    first = sessions()
    try:
        assert drain_batch(first, NOW, runtime.rules, limit=1).records == 1
        second: list[DrainResult] = []

        def drain_second() -> None:
            with unit_of_work(sessions) as s:
                second.append(drain_batch(s, NOW, runtime.rules, limit=1))

        thread = threading.Thread(target=drain_second)
        thread.start()
        time.sleep(0.5)  # let it reach the waybill's lock (SQLite: the write lock)
        first.commit()
    finally:
        first.close()
    thread.join(timeout=60)
    assert [r.records for r in second] == [1]
    assert _shipment(sessions, "WBA004") == ("delivered", pickup)
    assert _pending(sessions) == 0


def test_drainers_side_by_side_judge_every_record_exactly_once(
    runtime: Runtime, sessions: sessionmaker[Session], world: World
) -> None:
    """Four drainers take small batches of a stream whose shipments recur across batches."""
    start = datetime(2026, 11, 3, 13, tzinfo=CST)
    waybills = [f"WBA{4 * k:03d}" for k in range(1, 13)]  # awaiting pickup, no events
    scans = [
        (waybills[i % 12], start + timedelta(minutes=7 * n), status)
        for n, (i, status) in enumerate(
            (i, s) for s in ("picked_up", "in_transit", "delivered") for i in range(24)
        )
    ]
    receipts = _accept(runtime, *scans)
    before = _events(sessions)
    results: list[DrainResult] = []
    failures: list[BaseException] = []

    def drainer() -> None:
        try:
            while True:
                with unit_of_work(sessions) as s:
                    result = drain_batch(s, NOW, runtime.rules, limit=5)
                if not result.records:
                    return
                results.append(result)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=drainer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    assert sum(r.records for r in results) == len(scans) == 72
    assert sum(r.stored for r in results) == _events(sessions) - before
    with sessions() as s:
        judged = s.execute(
            select(TrackingReceipt.judged, TrackingReceipt.stored).order_by(TrackingReceipt.id)
        ).all()
    assert len(judged) == len(receipts)
    assert all(j == 1 for j, _ in judged)  # each record credited once
    assert _pending(sessions) == 0
    # The scans of each waybill went to different batches; its state is the last one.
    for i, waybill in enumerate(waybills):
        assert _shipment(sessions, waybill) == ("delivered", start + timedelta(minutes=7 * i))


def test_an_exception_mid_batch_leaves_the_batch_to_the_next_claim(
    runtime: Runtime, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    _accept(
        runtime,
        ("WBA004", datetime(2026, 11, 3, 12, tzinfo=CST), "picked_up"),
        ("WBB000", datetime(2026, 11, 4, 11, tzinfo=CST), "picked_up"),
    )
    before = _events(sessions)
    with pytest.raises(RuntimeError, match="mid-batch"), unit_of_work(sessions) as s:
        assert drain_batch(s, NOW, runtime.rules).records == 2
        raise RuntimeError("the worker died mid-batch")
    assert (_pending(sessions), _events(sessions)) == (2, before)
    assert _shipment(sessions, "WBA004") == ("awaiting_pickup", None)
    assert drain().records == 2
    assert (_pending(sessions), _events(sessions)) == (0, before + 2)
    assert _violation(sessions, "WBA004") > 0


CHILD = """
import sys
import time
from datetime import datetime

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.enforcement.inbox import drain_batch
from lanshou.enforcement.rules_context import RulesContext

session = session_factory(make_engine(sys.argv[1]))()
result = drain_batch(session, datetime.fromisoformat(sys.argv[2]), RulesContext())
session.flush()
print(result.records, flush=True)
time.sleep(600)
"""


def test_a_worker_killed_mid_batch_leaves_it_to_the_next_claim(
    runtime: Runtime, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    _accept(
        runtime,
        ("WBA004", datetime(2026, 11, 3, 12, tzinfo=CST), "picked_up"),
        ("WBB000", datetime(2026, 11, 4, 11, tzinfo=CST), "picked_up"),
    )
    before = _events(sessions)
    url = runtime.engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, NOW.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "2\n"  # folded, judged, not committed
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    # PostgreSQL ends the killed client's transaction once it sees the connection gone.
    drained = drain()
    for _ in range(100):
        if drained.records:
            break
        time.sleep(0.1)
        drained = drain()
    assert drained.records == 2
    assert (_pending(sessions), _events(sessions)) == (0, before + 2)
    assert _shipment(sessions, "WBB000")[1] == datetime(2026, 11, 4, 11, tzinfo=CST)


def test_the_drainer_thread_of_lanshou_serve_judges_what_is_accepted(
    client: TestClient, runtime: Runtime, sessions: sessionmaker[Session], world: World
) -> None:
    stop = threading.Event()
    drainer = threading.Thread(target=run_drainer, args=(runtime, stop))
    drainer.start()
    try:
        admin = bearer(client, "admin")
        receipt = client.post(EVENTS, json={"events": [LATE_A, LATE_B]}, headers=admin).json()
        for _ in range(600):  # judged within a minute, or the assertion below says not
            if _pending(sessions) == 0:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        drainer.join(timeout=60)
    judged = client.get(f"/api/v1/tracking/receipts/{receipt['receipt_id']}", headers=admin)
    assert (judged.json()["judged"], judged.json()["stored"]) == (2, 2)
    assert not drainer.is_alive()
