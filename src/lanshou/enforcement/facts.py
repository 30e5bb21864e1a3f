"""Read what the rules need about shipments from the database, in one query per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import among, read
from lanshou.adapters.db.models import (
    Carrier,
    Order,
    OrderItem,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)
from lanshou.domain.money import from_fen
from lanshou.domain.rules.evaluate import ShipmentFacts
from lanshou.domain.tracking import PICKUP_PROVING
from lanshou.enforcement.rules_context import RulesContext

_Row = Row[*tuple[Any, ...]]  # a row of columns, as :func:`read` returns them


@dataclass(frozen=True)
class ShipmentRef:
    """Database identity of a shipment next to the facts the pure rules see."""

    shipment_id: int
    order_id: int
    shop_id: int
    profile: str
    facts: ShipmentFacts  # without first_pickup_at: which statuses prove a pickup is per profile
    first_by_status: dict[str, datetime]
    recorded_pickup_at: datetime | None

    def facts_for(self, pickup_statuses: Sequence[str]) -> ShipmentFacts:
        times = [t for s, t in self.first_by_status.items() if s in pickup_statuses]
        if self.recorded_pickup_at is not None:
            times.append(self.recorded_pickup_at)
        return replace(self.facts, first_pickup_at=min(times) if times else None)


def first_status_times(
    session: Session, shipment_ids: Sequence[int]
) -> dict[int, dict[str, datetime]]:
    """Earliest event time per (shipment, status): enough to find the first pickup-proving event."""
    out: dict[int, dict[str, datetime]] = defaultdict(dict)
    if not shipment_ids:
        return out
    rows = session.execute(
        select(TrackingEvent.shipment_id, TrackingEvent.status, func.min(TrackingEvent.event_time))
        .where(TrackingEvent.shipment_id.in_(shipment_ids))
        .group_by(TrackingEvent.shipment_id, TrackingEvent.status)
    )
    for sid, status, first in rows:
        if sid is not None:
            out[sid][status] = first
    return out


def complete_first_times(
    session: Session, refs: list[ShipmentRef], ctx: RulesContext
) -> list[ShipmentRef]:
    """Re-read all first times of the refs whose profile counts a non-pickup status as pickup.

    For pickup statuses that :data:`PICKUP_PROVING` covers, the shipment's ``picked_up_at``
    is already the earliest such event, so a partial ``first_by_status`` gives the same facts.
    """
    need = {
        r.shipment_id
        for r in refs
        if not set(ctx.profile(r.profile).pickup_statuses) <= PICKUP_PROVING
    }
    if not need:
        return refs
    full = first_status_times(session, sorted(need))
    return [
        replace(r, first_by_status=full.get(r.shipment_id, {})) if r.shipment_id in need else r
        for r in refs
    ]


def max_item_prices(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    """Highest item unit price per order, for shipments that do not record their own."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(OrderItem.order_id, func.max(OrderItem.unit_price_fen))
        .where(OrderItem.order_id.in_(sorted(set(order_ids))))
        .group_by(OrderItem.order_id)
    )
    return {oid: price for oid, price in rows if price is not None}


def load_facts(
    session: Session,
    shipment_ids: Sequence[int],
    first_times: Mapping[int, dict[str, datetime]] | None = None,
) -> list[ShipmentRef]:
    """The facts of the given shipments, in a few primary-key lookups.

    ``first_times`` (earliest event time per status, as :func:`first_status_times` reads them)
    may be given for shipments whose events the caller has just read anyway.

    Each table is read by ``id IN (…)`` on its own rather than in one join: without table
    statistics SQLite's planner drives such a join from the small tables and scans every
    order of the shop, which made the event path a hundred times slower.
    """
    ids = sorted(set(shipment_ids))
    if not ids:
        return []
    shipments = _read_shipments(session, ids)
    orders = _read_orders(session, sorted({r.order_id for r in shipments}))
    known = _Known(
        orders,
        _read_shop_profiles(session, sorted({o.shop_id for o in orders.values()})),
        _read_carrier_codes(session),
        _first_times_of(session, ids, first_times),
        # Item prices only matter where the shipment does not carry its highest unit price.
        max_item_prices(session, [r.order_id for r in shipments if r.max_unit_price_fen is None]),
    )
    return [known.ref(sh) for sh in shipments]


def _read_shipments(session: Session, ids: list[int]) -> Sequence[_Row]:
    # In id order whatever the plan: the evaluation writes in this order (violation ids, audit
    # records, ledger entries), and PostgreSQL returns an ``= ANY`` look-up in index or heap
    # order depending on its statistics. Sorted here: an ORDER BY can make SQLite walk the
    # whole primary key instead of probing it.
    rows = read(
        session,
        select(
            Shipment.id,
            Shipment.key,
            Shipment.shipped_at,
            Shipment.shipping_limit_at,
            Shipment.amount_fen,
            Shipment.max_unit_price_fen,
            Shipment.picked_up_at,
            Shipment.order_id,
            Shipment.carrier_id,
        ).where(among(session.connection(), Shipment.id, ids)),
    )
    return sorted(rows, key=lambda row: row.id)


def _read_orders(session: Session, order_ids: list[int]) -> dict[int, _Row]:
    return {
        r.id: r
        for r in read(
            session,
            select(
                Order.id,
                Order.external_id,
                Order.paid_at,
                Order.quantity,
                Order.status,
                Order.buyer_province,
                Order.exp_ship_time,
                Order.shop_id,
            ).where(among(session.connection(), Order.id, order_ids)),
        )
    }


def _read_shop_profiles(session: Session, shop_ids: list[int]) -> dict[int, str]:
    """Each shop's rule profile (its platform's)."""
    # (A Result has .keys(), so dict(result) would take it for a mapping: unpack explicitly.)
    return {
        shop_id: profile
        for shop_id, profile in read(
            session,
            select(Shop.id, Platform.profile)
            .join(Platform, Platform.id == Shop.platform_id)
            .where(Shop.id.in_(shop_ids)),
        )
    }


def _read_carrier_codes(session: Session) -> dict[int, str]:
    return {cid: code for cid, code in read(session, select(Carrier.id, Carrier.code))}


def _first_times_of(
    session: Session, ids: list[int], given: Mapping[int, dict[str, datetime]] | None
) -> Mapping[int, dict[str, datetime]]:
    """Each shipment's first time per status: those ``given``, the others read."""
    if given is None:
        return first_status_times(session, ids)
    missing = [i for i in ids if i not in given]
    if missing:
        return {**first_status_times(session, missing), **given}
    return given


@dataclass(frozen=True, slots=True)
class _Known:
    """What :func:`load_facts` read besides the shipments, to build each one's facts from."""

    orders: dict[int, _Row]
    profiles: dict[int, str]  # shop -> profile
    carriers: dict[int, str]  # carrier id -> code
    first_times: Mapping[int, dict[str, datetime]]
    item_prices: dict[int, int]  # order -> highest item unit price, fen

    def ref(self, sh: _Row) -> ShipmentRef:
        order = self.orders[sh.order_id]
        unit_fen = (
            sh.max_unit_price_fen
            if sh.max_unit_price_fen is not None
            else self.item_prices.get(sh.order_id)
        )
        facts = ShipmentFacts(
            shipment_key=sh.key,
            order_id=order.external_id,
            shop_id=str(order.shop_id),
            paid_at=order.paid_at,
            amount=from_fen(sh.amount_fen),
            shipped_at=sh.shipped_at,
            exp_ship_time=order.exp_ship_time,
            shipping_limit_at=sh.shipping_limit_at,
            quantity=order.quantity,
            max_unit_price=from_fen(unit_fen) if unit_fen is not None else None,
            province=order.buyer_province,
            carrier_code=self.carriers.get(sh.carrier_id) if sh.carrier_id is not None else None,
            order_status=order.status,
        )
        return ShipmentRef(
            sh.id,
            order.id,
            order.shop_id,
            self.profiles[order.shop_id],
            facts,
            self.first_times.get(sh.id, {}),
            sh.picked_up_at,
        )
