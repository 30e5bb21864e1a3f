"""Read models for the pages: the review queue (oldest due first), money per violation, names.

Reads only; every change goes through the verb-named services in this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, LedgerEntry, Order, Shop, User, Violation
from lanshou.appeals.todo import queue_filter
from lanshou.domain.appeals.machine import AWAITING_REVIEW
from lanshou.identity import Scope

__all__ = ["QUEUE_STATES", "QueueItem", "net_fen_by_violation", "review_queue", "user_names"]

QUEUE_STATES = AWAITING_REVIEW


@dataclass(frozen=True)
class QueueItem:
    appeal: Appeal
    violation: Violation
    order_external_id: str
    shop_name: str
    claimed_by_name: str | None

    def overdue(self, now: datetime) -> bool:
        """Past the review SLA: shown red and marked escalated."""
        return self.appeal.due_at is not None and self.appeal.due_at < now


def review_queue(
    session: Session,
    scope: Scope,
    *,
    state: str | None = None,
    shop_id: int | None = None,
    limit: int = 300,
    due: str | None = None,
    unclaimed: bool = False,
    now: datetime | None = None,
) -> list[QueueItem]:
    """Open cases sorted by review due time (the working-day SLA), the most urgent first;
    ``due`` ("today", "overdue") and ``unclaimed`` narrow it as the home page counts them."""
    states = (state,) if state else QUEUE_STATES
    query = (
        select(Appeal, Violation, Order.external_id, Shop.name, User.display_name)
        .join(Violation, Violation.id == Appeal.violation_id)
        .join(Order, Order.id == Violation.order_id)
        .join(Shop, Shop.id == Appeal.shop_id)
        .outerjoin(User, User.id == Appeal.claimed_by)
        .where(Appeal.state.in_(states))
    )
    if scope.shop_ids is not None:
        query = query.where(Appeal.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        query = query.where(Appeal.shop_id == shop_id)
    if due is not None or unclaimed:
        if now is None:
            raise ValueError("the due and unclaimed filters need now")
        query = query.where(*queue_filter(due, unclaimed, now))
    rows = session.execute(query.order_by(Appeal.due_at, Appeal.id).limit(limit)).all()
    return [QueueItem(a, v, ext, shop, name) for a, v, ext, shop, name in rows]


def net_fen_by_violation(session: Session, violation_ids: list[int]) -> dict[int, int]:
    """The money each violation costs now: bookings minus reversals, in fen."""
    if not violation_ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.violation_id, func.sum(LedgerEntry.amount_fen))
        .where(LedgerEntry.violation_id.in_(violation_ids))
        .group_by(LedgerEntry.violation_id)
    ).all()
    return {vid: int(total or 0) for vid, total in rows if vid is not None}


def user_names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    ids = sorted(i for i in user_ids if i is not None)
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
