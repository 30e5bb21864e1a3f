"""The deadline sweep and the inbox drainer never judge one shipment at the same time.

Orders shipped 28–42 hours before :data:`NOW` are still awaiting pickup, so the sweep at NOW
breaches every pickup deadline; meanwhile their (late) pickup scans wait in the inbox, so the
drainer judges the same shipments. Both run side by side in small batches (on PostgreSQL, truly
at once); the end state must be the one of running them one after the other: one violation per
shipment and rule, no ledger entry booked twice, no batch failed or set aside, the audit chain
intact.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory, unit_of_work
from lanshou.adapters.db.models import LedgerEntry, Shipment, Violation
from lanshou.audit import verify_chain
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement import RulesContext, accept_updates, drain_inbox, run_sweep
from lanshou.imports import import_orders
from lanshou.settings import load_settings
from tests.conftest import _truncate_all
from tests.integration.crash.data import CARRIERS, CST, NOW, Window, write_orders

ORDERS = 400
SETTINGS = load_settings(env="test", secret_key="x" * 32)
CTX = RulesContext()
WINDOW = Window(ORDERS, start=NOW - timedelta(hours=44), span=timedelta(hours=10))


@pytest.fixture
def twin(
    db_engine: Engine, request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[sessionmaker[Session]]:
    """A second empty database of the same backend, for the reference run."""
    if db_engine.dialect.name == "postgresql":
        engine: Engine = request.getfixturevalue("_pg_twin_engine")
        _truncate_all(engine)
        yield session_factory(engine)
        return
    shutil.copy(_sqlite_template, tmp_path / "twin.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    yield session_factory(engine)
    engine.dispose()


def _prepare(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Orders imported 20 hours before NOW (every pickup deadline pending), then a late pickup
    scan for most shipped ones accepted into the inbox."""
    orders = tmp_path / "orders.csv"
    if not orders.exists():
        write_orders(orders, WINDOW)
    import_orders(sessions, orders, source="generic", now=NOW - timedelta(hours=20), ctx=CTX)
    scans = [
        TrackingUpdate(
            waybill_no=f"WB{i:08d}",
            status="picked_up",
            event_time=(WINDOW.paid_at(i) + timedelta(hours=27 + i % 5)).astimezone(CST),
            source="test",
            carrier_code=None,
            description=f"揽收 {CARRIERS[i % 3]}",
        )
        for i in range(ORDERS)
        if i % 10 and i % 3
    ]
    with unit_of_work(sessions) as s:
        accept_updates(s, scans, NOW, source="test")


def _state(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Violations by waybill and rule; the ledger entries still standing (neither reversed nor
    reversing) by waybill and kind; how many entries stand per violation and kind at most."""
    reversal = aliased(LedgerEntry)
    with sessions() as s:
        violations = s.execute(
            select(Shipment.waybill_no, Violation.rule_id, Violation.state, func.count())
            .join(Shipment, Shipment.id == Violation.shipment_id)
            .group_by(Shipment.waybill_no, Violation.rule_id, Violation.state)
            .order_by(Shipment.waybill_no, Violation.rule_id)
        ).all()
        standing = (
            select(LedgerEntry)
            .where(LedgerEntry.reverses_id.is_(None))
            .where(~select(reversal.id).where(reversal.reverses_id == LedgerEntry.id).exists())
            .subquery()
        )
        ledger = s.execute(
            select(Shipment.waybill_no, standing.c.kind, standing.c.amount_fen, standing.c.points)
            .join(Violation, Violation.id == standing.c.violation_id)
            .join(Shipment, Shipment.id == Violation.shipment_id)
            .order_by(Shipment.waybill_no, standing.c.kind, standing.c.amount_fen)
        ).all()
        most = s.execute(
            select(func.count())
            .select_from(standing)
            .group_by(standing.c.violation_id, standing.c.kind)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        chain_ok = verify_chain(s).ok
    return {
        "violations": [tuple(r) for r in violations],
        "ledger": [tuple(r) for r in ledger],
        "most_standing_per_violation_and_kind": most,
        "chain_ok": chain_ok,
    }


def test_sweep_and_drainer_side_by_side_end_as_one_after_the_other(
    sessions: sessionmaker[Session], twin: sessionmaker[Session], tmp_path: Path
) -> None:
    _prepare(twin, tmp_path)
    drained = drain_inbox(twin, NOW, CTX)
    run_sweep(twin, NOW, SETTINGS, ctx=CTX)
    expected = _state(twin)
    shipped = ORDERS - ORDERS // 10
    assert len(expected["violations"]) == shipped
    assert (drained.records, drained.dead_letters) == (240, 0)
    assert expected["most_standing_per_violation_and_kind"] == 1
    assert expected["chain_ok"]

    _prepare(sessions, tmp_path)
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    dead_letters: list[int] = []

    def side(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            try:
                work()
            except BaseException as exc:
                failures.append(exc)

        return run

    threads = [
        threading.Thread(
            target=side(
                lambda: dead_letters.append(drain_inbox(sessions, NOW, CTX, limit=8).dead_letters)
            )
        ),
        threading.Thread(
            target=side(lambda: run_sweep(sessions, NOW, SETTINGS, ctx=CTX, batch=10))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    assert dead_letters == [0]
    # A shipment the drainer held was left to the next sweep: that sweep runs now.
    run_sweep(sessions, NOW, SETTINGS, ctx=CTX)
    assert drain_inbox(sessions, NOW, CTX).records == 0
    assert _state(sessions) == expected
