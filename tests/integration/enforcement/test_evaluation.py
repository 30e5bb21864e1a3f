"""Evaluation stores deadlines, violations and money; the sweep acts on what came due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import AuditEvent, Deadline, LedgerEntry, Violation, Warning_
from lanshou.audit.chain import verify_chain
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.ledger import shop_balances
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.settings import load_settings

from .world import World, deadline_rows, t

SETTINGS = load_settings(env="test", secret_key="x" * 32)
CTX = RulesContext()


def evaluate(sessions: sessionmaker[Session], ids: list[int], now) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, ids, now, CTX)


def violations(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as s:
        rows = s.execute(select(Violation.rule_id, Violation.state).order_by(Violation.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def balances(sessions: sessionmaker[Session]) -> dict[tuple[int, str], int]:
    with sessions() as s:
        return shop_balances(s)


def test_pending_pickup_stores_deadline_and_no_violation(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("A1", t(2, 10), shipped=t(2, 12))
    evaluate(sessions, [sid], t(2, 20))
    with sessions() as s:
        rows = {d.rule_id: d for d in s.execute(select(Deadline)).scalars()}
    assert rows["ship_timeout"].state == "met"
    assert rows["ship_timeout"].due_at == t(4, 10)
    assert rows["pickup_timeout"].state == "pending"
    assert rows["pickup_timeout"].due_at == t(3, 12)
    # 6 h before the deadline is the next moment the sweep has to look.
    assert rows["pickup_timeout"].next_check_at == t(3, 6)
    assert violations(sessions) == []


def test_sweep_detects_breach_warns_once_and_books_money(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("A1", t(2, 10), price="120.00", shipped=t(2, 12))
    evaluate(sessions, [sid], t(2, 13))
    run_sweep(sessions, t(3, 7), SETTINGS, ctx=CTX)  # 6-h warning
    run_sweep(sessions, t(3, 7, 30), SETTINGS, ctx=CTX)  # nothing new
    run_sweep(sessions, t(3, 11), SETTINGS, ctx=CTX)  # 2-h warning
    with sessions() as s:
        leads = sorted(s.execute(select(Warning_.lead_minutes, Warning_.suppressed)).all())
    assert leads == [(120, False), (360, False)]
    assert violations(sessions) == []
    run_sweep(sessions, t(3, 12), SETTINGS, ctx=CTX)  # exactly at the deadline: not late yet
    assert violations(sessions) == []
    result = run_sweep(sessions, t(3, 12, 1), SETTINGS, ctx=CTX)
    assert result.evaluation.violations_new == 1
    assert violations(sessions) == [("pickup_timeout", "open")]
    assert balances(sessions) == {(1, "compensation"): 300, (1, "fine"): 1000, (1, "points"): 0}
    again = run_sweep(sessions, t(3, 12, 1), SETTINGS, ctx=CTX)
    assert again.evaluation.shipments == 0  # idempotent: nothing is due twice
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 3
        assert verify_chain(s).ok


def test_auto_refund_after_72_hours_without_pickup(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("A1", t(2, 10), price="88.00", shipped=t(2, 12))
    evaluate(sessions, [sid], t(2, 13))
    run_sweep(sessions, t(3, 13), SETTINGS, ctx=CTX)
    with sessions() as s:
        dl = s.execute(select(Deadline).where(Deadline.rule_id == "pickup_timeout")).scalar_one()
    assert dl.next_check_at == t(6, 12)
    run_sweep(sessions, t(6, 11, 59), SETTINGS, ctx=CTX)
    assert (1, "refund") not in balances(sessions)
    run_sweep(sessions, t(6, 12), SETTINGS, ctx=CTX)
    assert balances(sessions)[(1, "refund")] == 8800
    assert violations(sessions) == [("pickup_timeout", "confirmed")]


def test_late_pickup_confirms_and_early_scan_withdraws_with_reversals(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("A1", t(2, 10), price="500.00", shipped=t(2, 12))
    evaluate(sessions, [sid], t(3, 20))
    assert balances(sessions)[(1, "compensation")] == 500  # 1 % of 500.00
    w.event(sid, "picked_up", t(3, 21))
    evaluate(sessions, [sid], t(3, 22))
    assert violations(sessions) == [("pickup_timeout", "confirmed")]
    # A scan that arrives late but happened before the deadline: the violation is withdrawn.
    w.event(sid, "in_transit", t(3, 11))
    evaluate(sessions, [sid], t(3, 23))
    assert violations(sessions) == [("pickup_timeout", "withdrawn")]
    assert balances(sessions) == {(1, "compensation"): 0, (1, "fine"): 0, (1, "points"): 0}
    with sessions() as s:
        reversals = s.execute(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.reverses_id.is_not(None))
        ).scalar_one()
        actions = [
            a
            for (a,) in s.execute(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "violation")
                .order_by(AuditEvent.id)
            )
        ]
    assert reversals == 3
    assert actions == ["detected", "state_changed", "state_changed"]


def test_fines_capped_at_500_per_shop_day_in_deadline_order(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    ids = [w.order(f"B{i:03d}", t(2, 8), shipped=t(2, 9, i % 60)) for i in range(55)]
    evaluate(sessions, ids, t(4, 0))
    assert balances(sessions)[(1, "fine")] == 50_000
    with sessions() as s:
        per_violation = (
            s.execute(
                select(LedgerEntry.amount_fen)
                .where(LedgerEntry.kind == "fine")
                .order_by(LedgerEntry.id)
            )
            .scalars()
            .all()
        )
    assert sorted(per_violation, reverse=True) == [1000] * 50


def test_two_fines_at_most_per_order(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("C1", t(2, 8), shipped=t(5, 9))  # shipped late, then never picked up
    evaluate(sessions, [sid], t(7, 0))
    assert violations(sessions) == [("ship_timeout", "confirmed"), ("pickup_timeout", "open")]
    assert balances(sessions)[(1, "fine")] == 2000


def test_audit_chain_detects_an_edited_record(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("A1", t(2, 10), shipped=t(2, 12))
    evaluate(sessions, [sid], t(4, 0))
    with sessions() as s:
        assert verify_chain(s).ok
        ev = s.execute(select(AuditEvent).order_by(AuditEvent.id).limit(1)).scalar_one()
        ev.reason = "edited"
        s.commit()
        report = verify_chain(s)
    assert not report.ok
    assert report.first_bad_id == ev.id


def test_cancelled_orders_are_not_judged(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("D1", t(2, 10), status="cancelled")
    evaluate(sessions, [sid], t(9, 0))
    assert violations(sessions) == []
    _ = timedelta


def test_tracking_events_dedup_out_of_order_and_evaluate(sessions) -> None:  # type: ignore[no-untyped-def]
    from lanshou.adapters.db.models import Shipment, TrackingEvent
    from lanshou.domain.tracking import TrackingUpdate
    from lanshou.enforcement.tracking import record_events

    w = World(sessions).setup()
    sid = w.order("E1", t(2, 10), shipped=t(2, 12))
    with sessions() as s:
        waybill = s.get(Shipment, sid).waybill_no  # type: ignore[union-attr]
    stream = [
        TrackingUpdate(waybill, "delivered", t(4, 15), "test"),
        TrackingUpdate(waybill, "picked_up", t(3, 13), "test", description="已揽收"),
        TrackingUpdate(waybill, "in_transit", t(3, 20), "test"),
        TrackingUpdate("UNKNOWN1", "picked_up", t(3, 9), "test"),
    ]
    with unit_of_work(sessions) as s:
        first = record_events(s, stream, t(4, 16), CTX)
    with unit_of_work(sessions) as s:
        second = record_events(s, list(reversed(stream)), t(4, 17), CTX)
    assert (first.stored, first.unmatched, first.duplicates) == (4, 1, 0)
    assert (second.stored, second.duplicates) == (0, 4)
    with sessions() as s:
        sh = s.get(Shipment, sid)
        assert sh is not None
        assert (sh.status, sh.picked_up_at, sh.last_event_at) == ("delivered", t(3, 13), t(4, 15))
        assert s.execute(select(func.count()).select_from(TrackingEvent)).scalar_one() == 4
    assert violations(sessions) == [("pickup_timeout", "confirmed")]


def test_an_on_time_pickup_stores_what_a_full_evaluation_stores(sessions) -> None:  # type: ignore[no-untyped-def]
    """The event path settles on-time pickups without re-running the rules: same rows."""
    from lanshou.adapters.db.models import Shipment
    from lanshou.domain.tracking import TrackingUpdate
    from lanshou.enforcement.tracking import record_events

    w = World(sessions).setup()
    # Pickup deadline 2026-11-03 12:00 (+08:00); the pickup comes exactly at it: on time.
    fast = w.order("F1", t(2, 10), shipped=t(2, 12))
    full = w.order("F2", t(2, 10), shipped=t(2, 12))
    late = w.order("F3", t(2, 10), shipped=t(2, 12))
    evaluate(sessions, [fast, full, late], t(2, 13))
    with sessions() as s:
        waybills = {sid: s.get(Shipment, sid).waybill_no for sid in (fast, full, late)}  # type: ignore[union-attr]

    def scan(sid: int, at: datetime) -> TrackingUpdate:
        return TrackingUpdate(waybills[sid], "picked_up", at, "test")  # type: ignore[arg-type]

    now = t(3, 12, 1)
    with unit_of_work(sessions) as s:
        settled = record_events(s, [scan(fast, t(3, 12))], now, CTX)
    with unit_of_work(sessions) as s:
        record_events(s, [scan(full, t(3, 12))], now, CTX, evaluate=False)
        evaluate_shipments(s, [full], now, CTX)
    with unit_of_work(sessions) as s:
        missed = record_events(s, [scan(late, t(3, 12) + timedelta(microseconds=1))], now, CTX)

    assert settled.evaluation is not None and settled.evaluation.shipments == 1
    assert settled.evaluation.violations_new == 0
    assert deadline_rows(sessions, fast) == deadline_rows(sessions, full)
    assert [r[4] for r in deadline_rows(sessions, fast)] == ["met", "met"]
    assert [r[5] for r in deadline_rows(sessions, fast)] == [None, None]
    # A microsecond later is late: the full evaluation runs and books the violation.
    assert missed.evaluation is not None and missed.evaluation.violations_new == 1
    assert violations(sessions) == [("pickup_timeout", "confirmed")]
