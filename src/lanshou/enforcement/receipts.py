"""What became of an accepted delivery: its receipt's counts and the violations it produced,
as a caller may see them (the tenant boundary: a merchant sees a receipt only if it delivered
events of one of its shops, and only its shops' violations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    InboxRecord,
    Order,
    ReceiptViolation,
    Shipment,
    TrackingReceipt,
    Violation,
)
from lanshou.enforcement.dead_letters import dead_letter_counts
from lanshou.errors import NotFound
from lanshou.identity import Scope


@dataclass(frozen=True)
class ReceiptView:
    id: int
    source: str
    received_at: datetime
    accepted: int
    judged: int
    stored: int | None  # None until every record is judged
    duplicates: int | None
    unmatched: int | None
    unknown_carriers: int
    judged_at: datetime | None
    violations: list[int]
    dead_letters: int  # records set aside because they failed when judged (not in judged)

    @property
    def complete(self) -> bool:
        return self.judged_at is not None


def read_receipt(session: Session, receipt_id: int, scope: Scope) -> ReceiptView:
    """The receipt as ``scope`` may see it; another tenant's (or none) is :class:`NotFound`."""
    receipt = session.get(TrackingReceipt, receipt_id, populate_existing=True)
    if receipt is None or not _visible(session, receipt_id, scope):
        raise NotFound(f"tracking receipt {receipt_id} not found")
    query = (
        select(ReceiptViolation.violation_id)
        .where(ReceiptViolation.receipt_id == receipt_id)
        .order_by(ReceiptViolation.violation_id)
    )
    if scope.shop_ids is not None:
        query = query.join(Violation, Violation.id == ReceiptViolation.violation_id).where(
            Violation.shop_id.in_(sorted(scope.shop_ids) or [-1])
        )
    done = receipt.judged_at is not None
    return ReceiptView(
        id=receipt.id,
        source=receipt.source,
        received_at=receipt.received_at,
        accepted=receipt.accepted,
        judged=receipt.judged,
        stored=receipt.stored if done else None,
        duplicates=receipt.judged - receipt.stored if done else None,
        unmatched=receipt.unmatched if done else None,
        unknown_carriers=receipt.unknown_carriers,
        judged_at=receipt.judged_at,
        violations=list(session.execute(query).scalars()),
        dead_letters=dead_letter_counts(session, [receipt_id]).get(receipt_id, 0),
    )


@dataclass(frozen=True)
class ReceiptTotals:
    """Several receipts added up (the chunks of one CSV import)."""

    accepted: int
    judged: int
    stored: int
    unmatched: int
    violations: int

    @property
    def duplicates(self) -> int:
        return self.judged - self.stored


def receipt_totals(session: Session, receipt_ids: Sequence[int]) -> ReceiptTotals:
    """The receipts' counts added up, and how many violations they produced."""
    if not receipt_ids:
        return ReceiptTotals(0, 0, 0, 0, 0)
    ids = sorted(receipt_ids)
    r = TrackingReceipt
    accepted, judged, stored, unmatched = session.execute(
        select(
            func.coalesce(func.sum(r.accepted), 0),
            func.coalesce(func.sum(r.judged), 0),
            func.coalesce(func.sum(r.stored), 0),
            func.coalesce(func.sum(r.unmatched), 0),
        ).where(r.id.in_(ids))
    ).one()
    violations = session.execute(
        select(func.count(func.distinct(ReceiptViolation.violation_id))).where(
            ReceiptViolation.receipt_id.in_(ids)
        )
    ).scalar_one()
    return ReceiptTotals(int(accepted), int(judged), int(stored), int(unmatched), int(violations))


def _visible(session: Session, receipt_id: int, scope: Scope) -> bool:
    """Platform roles see every receipt; a merchant one that names a waybill of its shops."""
    if scope.shop_ids is None:
        return True
    hit = session.execute(
        select(InboxRecord.id)
        .join(Shipment, Shipment.waybill_no == InboxRecord.waybill_no)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            InboxRecord.receipt_id == receipt_id,
            Order.shop_id.in_(sorted(scope.shop_ids) or [-1]),
        )
        .limit(1)
    ).first()
    return hit is not None
