"""Fines and points are capped per order and per shop-day, so they are allocated per shop.

Allocation runs in deadline order, so a violation's fine depends only on violations with an
earlier deadline. When a violation appears or changes, every violation of the shop from the
start of its local day onward is re-allocated, with a month of earlier ones as context (the
violations of one order lie days apart, never a month). Differences are booked as reversing
entries in the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, Shipment, Violation
from lanshou.domain.money import to_fen
from lanshou.domain.rules.consequences import FineCandidate, allocate_fines, allocate_points
from lanshou.domain.rules.profile import Profile
from lanshou.services import ledger

CONTEXT = timedelta(days=31)
# Reversed violations keep their slot under the caps: winning an appeal must not raise the
# fines of other violations. Exempt and withdrawn ones never took a slot.
SLOT_STATES = ("open", "confirmed", "reversed")


def local_day_start(at: datetime, profile: Profile) -> datetime:
    local = at.astimezone(profile.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def reallocate_shop_fines(
    session: Session, shop_id: int, profile: Profile, since: datetime, now: datetime, actor: str
) -> int:
    day_start = local_day_start(since, profile)
    rows = session.execute(
        select(Violation, Shipment.key, Order.external_id)
        .join(Shipment, Shipment.id == Violation.shipment_id)
        .join(Order, Order.id == Violation.order_id)
        .where(Violation.shop_id == shop_id, Violation.deadline >= day_start - CONTEXT)
    ).all()
    candidates = {
        v.id: FineCandidate(key, v.rule_id, ext_id, str(shop_id), v.deadline)
        for v, key, ext_id in rows
        if v.state in SLOT_STATES
    }
    fines = allocate_fines(candidates.values(), profile)
    points = allocate_points(candidates.values(), profile)
    to_settle = [v for v, _, _ in rows if v.deadline >= day_start and v.state != "reversed"]
    entries = ledger.open_entries(session, [v.id for v in to_settle])
    moves = 0
    for v in to_settle:
        c = candidates.get(v.id)
        active = c is not None and v.state in ("open", "confirmed")
        fine = fines.get(c.key, Decimal(0)) if active and c else Decimal(0)
        pts = points.get(c.key, Decimal(0)) if active and c else Decimal(0)
        moves += ledger.settle(
            session,
            shop_id=shop_id,
            violation_id=v.id,
            kind="fine",
            target_fen=to_fen(fine),
            target_points=Decimal(0),
            current=entries.get((v.id, "fine"), []),
            at=now,
            memo=f"{v.rule_id} fine",
            actor=actor,
        )
        moves += ledger.settle(
            session,
            shop_id=shop_id,
            violation_id=v.id,
            kind="points",
            target_fen=0,
            target_points=pts,
            current=entries.get((v.id, "points"), []),
            at=now,
            memo=f"{v.rule_id} points",
            actor=actor,
        )
    return moves
