"""Read what the rules need about shipments from the database, in one query per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def load_facts(session: Session, shipment_ids: Sequence[int]) -> list[ShipmentRef]:
    ids = list(shipment_ids)
    if not ids:
        return []
    max_item_price = (
        select(OrderItem.order_id, func.max(OrderItem.unit_price_fen).label("max_price"))
        .where(OrderItem.order_id.in_(select(Shipment.order_id).where(Shipment.id.in_(ids))))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Shipment.id,
            Shipment.key,
            Shipment.shipped_at,
            Shipment.shipping_limit_at,
            Shipment.amount_fen,
            Shipment.max_unit_price_fen,
            Shipment.picked_up_at,
            Order.id,
            Order.external_id,
            Order.paid_at,
            Order.quantity,
            Order.status,
            Order.buyer_province,
            Order.exp_ship_time,
            Shop.id,
            Platform.profile,
            Carrier.code,
            max_item_price.c.max_price,
        )
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(Platform, Platform.id == Shop.platform_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(max_item_price, max_item_price.c.order_id == Order.id)
        .where(Shipment.id.in_(ids))
    ).all()
    statuses = first_status_times(session, ids)
    refs = []
    for (
        sid,
        key,
        shipped_at,
        limit_at,
        amount_fen,
        max_unit_fen,
        picked_up_at,
        oid,
        ext_id,
        paid_at,
        quantity,
        order_status,
        province,
        exp_ship,
        shop_id,
        profile,
        carrier,
        max_item_fen,
    ) in rows:
        unit_fen = max_unit_fen if max_unit_fen is not None else max_item_fen
        refs.append(
            ShipmentRef(
                sid,
                oid,
                shop_id,
                profile,
                ShipmentFacts(
                    shipment_key=key,
                    order_id=ext_id,
                    shop_id=str(shop_id),
                    paid_at=paid_at,
                    amount=from_fen(amount_fen),
                    shipped_at=shipped_at,
                    exp_ship_time=exp_ship,
                    shipping_limit_at=limit_at,
                    quantity=quantity,
                    max_unit_price=from_fen(unit_fen) if unit_fen is not None else None,
                    province=province,
                    carrier_code=carrier,
                    order_status=order_status,
                ),
                statuses.get(sid, {}),
                picked_up_at,
            )
        )
    return refs
