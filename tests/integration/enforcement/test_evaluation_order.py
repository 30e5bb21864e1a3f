"""One evaluation writes its audit records and ledger entries in a fixed order.

Both are hash-chained, so the order is part of what is stored: changed violations are audited
first, then the new ones' detection, then the bookings (direct money per violation in the
order judged, then the fines re-allocated per shop-day), each booking with its audit record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import AuditEvent, LedgerEntry, Order, Shipment, Violation
from lanshou.audit.chain import verify_chain
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext

from .world import World, t

CTX = RulesContext()


def _last_ids(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as s:
        return (
            s.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one(),
            s.execute(select(func.coalesce(func.max(LedgerEntry.id), 0))).scalar_one(),
        )


def _written_since(
    sessions: sessionmaker[Session], audit_id: int, ledger_id: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The audit records and ledger entries after the given ids, by id, with each violation
    named by its order's external id."""
    with sessions() as s:
        order_of = dict(
            s.execute(
                select(Violation.id, Order.external_id)
                .join(Shipment, Shipment.id == Violation.shipment_id)
                .join(Order, Order.id == Shipment.order_id)
            ).all()
        )
        audits = [
            (
                e.entity_type,
                e.action,
                order_of[e.entity_id]
                if e.entity_type == "violation"
                else (e.data["kind"], e.data["amount_fen"], order_of[e.data["violation_id"]]),
                e.reason,
            )
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.id > audit_id).order_by(AuditEvent.id)
            ).scalars()
        ]
        entries = [
            (order_of[e.violation_id], e.kind, e.amount_fen, e.reverses_id is not None)
            for e in s.execute(
                select(LedgerEntry).where(LedgerEntry.id > ledger_id).order_by(LedgerEntry.id)
            ).scalars()
            if e.violation_id is not None
        ]
        assert verify_chain(s).ok
    return audits, entries


def test_one_evaluation_audits_changes_then_detections_then_bookings(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    a = w.order("A1", t(2, 10), price="500.00", shipped=t(2, 12))  # pickup due 3rd 12:00
    c = w.order("C1", t(2, 10), price="200.00", shipped=t(2, 12))
    b = w.order("B1", t(2, 10), price="300.00", shipped=t(2, 14))  # pickup due 3rd 14:00
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, [a, c, b], t(3, 13), CTX)  # A1 and C1 late, B1 not yet
    audit_id, ledger_id = _last_ids(sessions)
    w.event(a, "picked_up", t(3, 21))  # picked up late: A1 confirmed
    w.event(c, "in_transit", t(3, 11))  # a scan from before the deadline: C1 withdrawn
    with unit_of_work(sessions) as s:
        result = evaluate_shipments(s, [b, c, a], t(3, 22), CTX)  # B1 now late: detected

    assert (result.violations_new, result.violations_changed) == (1, 2)
    audits, entries = _written_since(sessions, audit_id, ledger_id)
    # Judged in shipment order (A1, C1, B1), whatever order the caller gave.
    assert audits == [
        ("violation", "state_changed", "A1", "open → confirmed"),
        ("violation", "state_changed", "C1", "open → withdrawn"),
        ("violation", "detected", "B1", "揽收超时 / Pickup timeout (pickup_timeout)"),
        (
            "ledger_entry",
            "booked",
            ("compensation", -300, "C1"),
            "reversal: pickup_timeout compensation",
        ),
        ("ledger_entry", "booked", ("compensation", 300, "B1"), "pickup_timeout compensation"),
        # Fines and points in allocation order (deadline): C1's reversal, then B1's booking.
        ("ledger_entry", "booked", ("fine", -1000, "C1"), "reversal: pickup_timeout fine"),
        ("ledger_entry", "booked", ("points", 0, "C1"), "reversal: pickup_timeout points"),
        ("ledger_entry", "booked", ("fine", 1000, "B1"), "pickup_timeout fine"),
        ("ledger_entry", "booked", ("points", 0, "B1"), "pickup_timeout points"),
    ]
    assert entries == [
        ("C1", "compensation", -300, True),
        ("B1", "compensation", 300, False),
        ("C1", "fine", -1000, True),
        ("C1", "points", 0, True),
        ("B1", "fine", 1000, False),
        ("B1", "points", 0, False),
    ]
