"""Fines and points are capped per order and per shop-day, so they are allocated per shop.

Allocation runs in deadline order, so a violation's fine depends only on violations with an
earlier deadline. When a violation appears or changes, every violation of the shop from the
start of its local day onward is re-allocated, with the rest of its ISO week (weekly points cap)
and the other violations of the same orders (per-order fine count) as context. Differences are
booked as reversing entries in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import read
from lanshou.adapters.db.models import Order, Shipment, Violation
from lanshou.domain.money import to_fen
from lanshou.domain.rules.consequences import FineCandidate, allocate_fines, allocate_points
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement import ledger

# Reversed violations keep their slot under the caps: winning an appeal must not raise the
# fines of other violations. Exempt and withdrawn ones never took a slot.
SLOT_STATES = ("open", "confirmed", "reversed")
FINED_STATES = ("open", "confirmed")


def fine_standing(state: str) -> str:
    """What a violation in ``state`` is to allocation: fined, holding a slot only (reversed),
    or nothing. Allocation reads nothing else of a violation but its rule, order and deadline."""
    if state in FINED_STATES:
        return "fined"
    return "slot" if state in SLOT_STATES else "none"


def local_day_start(at: datetime, profile: Profile) -> datetime:
    local = at.astimezone(profile.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _week_start(since: datetime, profile: Profile) -> datetime:
    day_start = local_day_start(since, profile)
    return day_start - timedelta(days=day_start.weekday())


class _Slot(NamedTuple):
    """What allocation reads of a violation."""

    id: int
    rule_id: str
    deadline: datetime
    state: str


# Shops re-allocated together: their violations and open ledger entries are read, planned and
# booked one group at a time, so memory stays bounded by this many shops' violations however
# many shops a batch touches (each chunk of a backfill import touches every shop, each from its
# first day on).
SHOPS_PER_GROUP = 100


def reallocate_fines(
    session: Session,
    touched: dict[int, tuple[datetime, Profile]],
    now: datetime,
    actor: str,
    *,
    bookings: ledger.Bookings | None = None,
) -> int:
    """Re-allocate fines and points of each touched shop from the local day of its ``since``.

    With ``bookings`` the entries go into that batch, which is flushed after each group of
    :data:`SHOPS_PER_GROUP` shops (the caller flushes whatever it booked after); otherwise they
    are booked one by one through :func:`ledger.settle`.

    Context: the whole ISO week (the weekly points cap) and every violation of the orders
    involved, whatever its day (the per-order fine count). The shops of a group are read in one
    query: a batch of tracking events touches hundreds of shops at once.
    """
    touched = {
        shop_id: (since, profile)
        for shop_id, (since, profile) in touched.items()
        if any(r.consequences.fine or r.consequences.points for r in profile.rules)
    }
    shops = list(touched)
    moves = 0
    for i in range(0, len(shops), SHOPS_PER_GROUP):
        group = {shop_id: touched[shop_id] for shop_id in shops[i : i + SHOPS_PER_GROUP]}
        moves += _reallocate_group(session, group, now, actor, bookings)
        if bookings is not None:
            bookings.flush(session)
    return moves


def _reallocate_group(
    session: Session,
    touched: dict[int, tuple[datetime, Profile]],
    now: datetime,
    actor: str,
    bookings: ledger.Bookings | None,
) -> int:
    earliest = min(_week_start(since, profile) for since, profile in touched.values())
    shop_ids = sorted(touched)
    recent = select(Violation.order_id).where(
        Violation.shop_id.in_(shop_ids), Violation.deadline >= earliest
    )
    # Plain columns, not ORM objects: a busy shop's week holds thousands of violations.
    rows = read(
        session,
        select(
            Violation.id,
            Violation.shop_id,
            Violation.rule_id,
            Violation.deadline,
            Violation.state,
            Shipment.key,
            Order.external_id,
        )
        .join(Shipment, Shipment.id == Violation.shipment_id)
        .join(Order, Order.id == Violation.order_id)
        .where(
            Violation.shop_id.in_(shop_ids),
            or_(Violation.deadline >= earliest, Violation.order_id.in_(recent)),
        ),
    )
    by_shop: dict[int, list[tuple[_Slot, str, str]]] = defaultdict(list)
    for vid, shop_id, rule_id, deadline, state, key, ext_id in rows:
        by_shop[shop_id].append((_Slot(vid, rule_id, deadline, state), key, ext_id))
    plans = {
        shop_id: _plan(by_shop.get(shop_id, []), shop_id, since, profile)
        for shop_id, (since, profile) in touched.items()
    }
    violation_ids = [v.id for plan in plans.values() for v, _, _ in plan]
    entries: Mapping[tuple[int, str], Sequence[ledger.OpenEntry]]
    if bookings is not None:
        entries = ledger.open_rows(session, violation_ids, ("fine", "points"))
        settle: Callable[..., bool] = bookings.settle
    else:
        entries = ledger.open_entries(session, violation_ids)
        settle = partial(ledger.settle, session)
    moves = 0
    for shop_id, plan in plans.items():
        for v, fine, pts in plan:
            for kind, fen, points in (("fine", to_fen(fine), Decimal(0)), ("points", 0, pts)):
                moves += settle(
                    shop_id=shop_id,
                    violation_id=v.id,
                    kind=kind,
                    target_fen=fen,
                    target_points=points,
                    current=entries.get((v.id, kind), []),
                    at=now,
                    memo=f"{v.rule_id} {kind}",
                    actor=actor,
                )
    return moves


def _plan(
    rows: list[tuple[_Slot, str, str]], shop_id: int, since: datetime, profile: Profile
) -> list[tuple[_Slot, Decimal, Decimal]]:
    """(violation, fine, points) targets for the shop's violations from ``since``'s day on."""
    day_start = local_day_start(since, profile)
    candidates = {
        v.id: FineCandidate(key, v.rule_id, ext_id, str(shop_id), v.deadline)
        for v, key, ext_id in rows
        if v.state in SLOT_STATES
    }
    fines = allocate_fines(candidates.values(), profile)
    points = allocate_points(candidates.values(), profile)
    plan = []
    for v, _, _ in rows:
        if v.deadline < day_start or v.state == "reversed":
            continue
        c = candidates.get(v.id)
        if c is not None and v.state in FINED_STATES:
            plan.append((v, fines.get(c.key, Decimal(0)), points.get(c.key, Decimal(0))))
        else:
            plan.append((v, Decimal(0), Decimal(0)))
    return plan
