"""A booked entry is never committed without its audit record, and the safety net that makes
sure of it lives on the booking session only, not on SQLAlchemy's ``Session`` class."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AuditEvent, LedgerEntry, Platform, Shop
from lanshou.enforcement import ledger

AT = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def _book(s: Session, shop_id: int) -> None:
    bookings = ledger.Bookings()
    bookings.book(
        shop_id=shop_id,
        violation_id=None,
        kind="fine",
        amount_fen=-1000,
        points=Decimal(0),
        at=AT,
        memo="manual fine",
        actor="admin",
    )
    bookings.flush(s)


def _shop(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
        s.flush()
        shop = Shop(platform_id=1, code="hook", name="hook")
        s.add(shop)
        s.commit()
        return shop.id


def test_commit_writes_the_audit_records_the_caller_left_pending(
    sessions: sessionmaker[Session],
) -> None:
    shop_id = _shop(sessions)
    with sessions() as s:
        _book(s, shop_id)
        s.commit()  # no audit_pending call: the session's hook writes the record
    with sessions() as s:
        entry_id = s.execute(select(LedgerEntry.id)).scalar_one()
        audits = s.execute(
            select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.action)
        ).all()
    assert [tuple(a) for a in audits] == [("ledger_entry", entry_id, "booked")]


def test_a_rolled_back_booking_leaves_nothing_for_the_next_transaction(
    sessions: sessionmaker[Session],
) -> None:
    shop_id = _shop(sessions)
    with sessions() as s:
        _book(s, shop_id)
        s.rollback()
        s.commit()
        assert s.execute(select(AuditEvent.id)).all() == []
        assert s.execute(select(LedgerEntry.id)).all() == []


def test_no_hook_is_registered_on_the_session_class() -> None:
    assert not event.contains(Session, "before_commit", ledger.audit_pending)
