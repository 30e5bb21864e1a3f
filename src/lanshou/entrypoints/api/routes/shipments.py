"""``POST /shipments``: mark an order shipped (carrier, waybill), scoped to the caller's shops."""

from __future__ import annotations

from fastapi import APIRouter

from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_platforms import (
    PlatformAnswerPublic,
    ShipmentMarkedWithPlatform,
)
from lanshou.entrypoints.api.schemas_tracking import ShipmentMarkIn
from lanshou.identity import scope_for
from lanshou.orders import OrderRef, mark_shipped
from lanshou.platforms import tell_platform_shipped

router = APIRouter(tags=["shipments"])


@router.post(
    "/shipments",
    response_model=ShipmentMarkedWithPlatform,
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
) -> ShipmentMarkedWithPlatform:
    """Put carrier and waybill on the order's first unmarked shipment (409 if none is left);
    a shop connected to its platform is told too (logisticsAdd), and ``platform`` holds the
    platform's answer."""
    now = runtime.clock.now()
    marked = mark_shipped(
        db,
        scope_for(db, caller),
        caller,
        OrderRef(order_id=body.order_id, external_id=body.external_id, shop_id=body.shop_id),
        carrier=body.carrier,
        waybill=body.waybill,
        shipped_at=body.shipped_at,
        now=now,
        ctx=runtime.rules,
    )
    answer = tell_platform_shipped(db, runtime.platforms, marked.shipment_id, caller.username, now)
    return ShipmentMarkedWithPlatform(
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
        platform=PlatformAnswerPublic(**vars(answer)) if answer else None,
    )
