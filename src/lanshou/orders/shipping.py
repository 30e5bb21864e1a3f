"""Mark an order shipped: carrier and waybill on its first unmarked shipment, then re-judge it.

Used by the API (``POST /api/v1/shipments``) and the order page's form alike. Tracking scans that
arrived before the seller entered the waybill were kept as orphans; they are attached here, so a
pickup the carrier reported early still counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Order, Shipment
from lanshou.domain.roles import Role
from lanshou.domain.tracking import normalise_waybill
from lanshou.enforcement import RulesContext, attach_orphan_events, evaluate_shipments
from lanshou.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lanshou.identity import Principal, Scope, scoped_orders
from lanshou.orders.carriers import CarrierResolver, carrier_row
from lanshou.orders.tracking_queue import queue_tracking_subscriptions

__all__ = ["OrderRef", "ShipmentMarked", "mark_shipped"]

_MAY_SHIP = (Role.MERCHANT_OWNER, Role.MERCHANT_STAFF, Role.ADMIN)


@dataclass(frozen=True)
class OrderRef:
    """Either lanshou's order id, or the platform's order number (with the shop if ambiguous)."""

    order_id: int | None = None
    external_id: str | None = None
    shop_id: int | None = None


@dataclass(frozen=True)
class ShipmentMarked:
    shipment_id: int
    order_id: int
    carrier_code: str | None
    carrier_known: bool
    carrier_given: str
    waybill_no: str
    shipped_at: datetime
    status: str
    picked_up_at: datetime | None
    attached_events: int
    violations_new: int


def _find_order(session: Session, scope: Scope, ref: OrderRef) -> Order:
    query = scoped_orders(scope)
    if ref.order_id is not None:
        query = query.where(Order.id == ref.order_id)
    elif ref.external_id:
        query = query.where(Order.external_id == ref.external_id.strip())
        if ref.shop_id is not None:
            query = query.where(Order.shop_id == ref.shop_id)
    else:
        raise InvalidInput("give order_id, or external_id (and shop_id)", field="order_id")
    found = list(session.execute(query.limit(2)).scalars())
    if not found:
        raise NotFound("order not found")
    if len(found) > 1:
        raise InvalidInput("several shops have this order number; give shop_id", field="shop_id")
    return found[0]


def mark_shipped(
    session: Session,
    scope: Scope,
    actor: Principal,
    ref: OrderRef,
    *,
    carrier: str,
    waybill: str,
    shipped_at: datetime,
    now: datetime,
    ctx: RulesContext,
) -> ShipmentMarked:
    """Put carrier and waybill on the order's first unmarked shipment; attach, evaluate, audit.

    An unknown carrier is recorded as unknown (``carrier_known`` False) rather than refused: the
    parcel did leave, and refusing would leave the ship-by deadline running.
    """
    if actor.role not in _MAY_SHIP:
        raise PermissionDenied("only the shop's staff or an administrator may mark shipments")
    waybill = normalise_waybill(waybill)
    if not waybill or len(waybill) > 64:
        raise InvalidInput("waybill must be 1–64 characters", field="waybill")
    if shipped_at.tzinfo is None:
        raise InvalidInput("shipped_at needs a UTC offset", field="shipped_at")
    if shipped_at > now:
        raise InvalidInput("shipped_at is in the future", field="shipped_at")
    order = _find_order(session, scope, ref)
    shipments = list(
        session.execute(
            select(Shipment)
            .where(Shipment.order_id == order.id)
            .order_by(Shipment.id)
            .with_for_update()
        ).scalars()
    )
    target = next((s for s in shipments if not s.waybill_no), None)
    if target is None and shipments:
        raise Conflict("every shipment of this order is already marked shipped", order_id=order.id)
    taken = session.execute(select(Shipment.id).where(Shipment.waybill_no == waybill)).first()
    if taken is not None:
        raise Conflict(f"waybill {waybill} is already on another shipment", field="waybill")
    if target is None:  # an order imported without shipment rows gets its first one now
        target = Shipment(order_id=order.id, key="1", status="created", amount_fen=order.amount_fen)
        session.add(target)
    code = CarrierResolver.load(session).code(carrier)
    target.carrier_id = carrier_row(session, code).id if code else None
    target.waybill_no, target.shipped_at = waybill, shipped_at
    if target.status == "created":
        target.status = "awaiting_pickup"
    if all(s.waybill_no for s in shipments) and order.status == "paid":
        order.status = "shipped"
    order.updated_at = now
    session.flush()
    attached = attach_orphan_events(session, target.id, waybill)
    queue_tracking_subscriptions(session, [target.id], now)
    audit.record(
        session,
        entity_type="shipment",
        entity_id=target.id,
        action="marked_shipped",
        actor=actor.username,
        at=now,
        data={
            "order_id": order.id,
            "carrier": carrier,
            "carrier_code": code,
            "waybill": waybill,
            "shipped_at": shipped_at.isoformat(),
            "attached_events": attached,
        },
    )
    evaluation = evaluate_shipments(session, [target.id], now, ctx, actor=actor.username)
    session.refresh(target)
    return ShipmentMarked(
        shipment_id=target.id,
        order_id=order.id,
        carrier_code=code,
        carrier_known=code is not None,
        carrier_given=carrier,
        waybill_no=waybill,
        shipped_at=shipped_at,
        status=target.status,
        picked_up_at=target.picked_up_at,
        attached_events=attached,
        violations_new=evaluation.violations_new,
    )
