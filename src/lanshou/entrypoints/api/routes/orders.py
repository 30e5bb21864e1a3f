"""``GET /orders`` and ``GET /orders/{id}``, scoped to the caller's shops."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from lanshou.entrypoints.api.deps import CallerDep, DbDep
from lanshou.entrypoints.api.schemas import (
    CourierPublic,
    ErrorPublic,
    OrderDetailPublic,
    OrderItemPublic,
    OrderListPublic,
    OrderPublic,
    ShipmentBrief,
    ShipmentPublic,
    TrackingEventPublic,
    money,
)
from lanshou.entrypoints.params import DbId, Page
from lanshou.identity import scope_for
from lanshou.orders import (
    PER_PAGE,
    OrderDetail,
    OrderFilters,
    OrderRow,
    get_order,
    list_orders,
)

router = APIRouter(tags=["orders"], responses={401: {"model": ErrorPublic}})


def _public(row: OrderRow) -> OrderPublic:
    return OrderPublic(
        id=row.id,
        external_id=row.external_id,
        shop_id=row.shop_id,
        shop_name=row.shop_name,
        status=row.status,
        paid_at=row.paid_at,
        amount=money(row.amount_fen),
        shipments=[
            ShipmentBrief(
                id=s.id, carrier_code=s.carrier_code, waybill_no=s.waybill_no, status=s.status
            )
            for s in row.shipments
        ],
        next_deadline_at=row.next_due_at,
    )


@router.get("/orders", response_model=OrderListPublic, responses={422: {"model": ErrorPublic}})
def orders(
    caller: CallerDep,
    db: DbDep,
    shop_id: DbId | None = None,
    status: str | None = None,
    carrier_id: DbId | None = None,
    paid_from: Annotated[date | None, Query(description="first day, Asia/Shanghai")] = None,
    paid_to: Annotated[date | None, Query(description="last day (inclusive)")] = None,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = PER_PAGE,
) -> OrderListPublic:
    """Orders, newest payment first; ``status`` and ``carrier_id`` match any shipment."""
    filters = OrderFilters(shop_id, status, carrier_id, paid_from, paid_to)
    result = list_orders(db, scope_for(db, caller), filters, page, per_page)
    return OrderListPublic(
        items=[_public(r) for r in result.rows],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


def _detail(d: OrderDetail) -> OrderDetailPublic:
    order = d.order
    shipments = []
    for s in d.shipments:
        due = min((dl.due_at for dl in s.pending_deadlines if dl.due_at), default=None)
        shipments.append(
            ShipmentPublic(
                id=s.shipment.id,
                carrier_code=s.carrier.code if s.carrier else None,
                carrier_name=s.carrier.name_zh if s.carrier else None,
                outlet_name=s.outlet.name if s.outlet else None,
                courier=(
                    CourierPublic(name=s.courier.name, phone=s.courier.phone) if s.courier else None
                ),
                waybill_no=s.shipment.waybill_no,
                status=s.shipment.status,
                shipped_at=s.shipment.shipped_at,
                picked_up_at=s.shipment.picked_up_at,
                next_deadline_at=due,
                tracking=[
                    TrackingEventPublic(
                        status=e.status,
                        event_time=e.event_time,
                        location=e.location,
                        description=e.description,
                        source=e.source,
                    )
                    for e in s.events
                ],
            )
        )
    return OrderDetailPublic(
        id=order.id,
        external_id=order.external_id,
        platform=d.platform.code,
        shop_id=d.shop.id,
        shop_name=d.shop.name,
        status=order.status,
        paid_at=order.paid_at,
        amount=money(order.amount_fen),
        buyer_province=order.buyer_province,
        buyer_city=order.buyer_city,
        exp_ship_time=order.exp_ship_time,
        items=[
            OrderItemPublic(
                sku=i.sku, title=i.title, unit_price=money(i.unit_price_fen), quantity=i.quantity
            )
            for i in d.items
        ],
        shipments=shipments,
    )


@router.get(
    "/orders/{order_id}", response_model=OrderDetailPublic, responses={404: {"model": ErrorPublic}}
)
def order(order_id: DbId, caller: CallerDep, db: DbDep) -> OrderDetailPublic:
    """One order with items, shipments and tracking events (newest first)."""
    return _detail(get_order(db, scope_for(db, caller), order_id))
