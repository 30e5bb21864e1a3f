"""``POST /shipments``: mark an order shipped (carrier, waybill), scoped to the caller's shops."""

from __future__ import annotations

from fastapi import APIRouter

from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_tracking import ShipmentMarkedPublic, ShipmentMarkIn
from lanshou.identity.scope import scope_for
from lanshou.orders.shipping import OrderRef, mark_shipped

router = APIRouter(tags=["shipments"])


@router.post(
    "/shipments",
    response_model=ShipmentMarkedPublic,
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
def mark_shipment(
    body: ShipmentMarkIn, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ShipmentMarkedPublic:
    """Put carrier and waybill on the order's first unmarked shipment (409 if none is left)."""
    marked = mark_shipped(
        db,
        scope_for(db, caller),
        caller,
        OrderRef(order_id=body.order_id, external_id=body.external_id, shop_id=body.shop_id),
        carrier=body.carrier,
        waybill=body.waybill,
        shipped_at=body.shipped_at,
        now=runtime.clock.now(),
        ctx=runtime.rules,
    )
    return ShipmentMarkedPublic(
        shipment_id=marked.shipment_id,
        order_id=marked.order_id,
        carrier_code=marked.carrier_code,
        carrier_known=marked.carrier_known,
        waybill_no=marked.waybill_no,
        shipped_at=marked.shipped_at,
        status=marked.status,
        picked_up_at=marked.picked_up_at,
        attached_events=marked.attached_events,
        violations_new=marked.violations_new,
    )
