"""Remove what an earlier demo seeding wrote, so ``replace=True`` starts from a clean slate.

Demo rows are recognised by the demo shop codes and demo outlet codes; platforms, carriers and
users are kept (they are updated in place when seeding again). Audit records are never deleted:
the audit trail is append-only and hash-chained.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, tuple_

from lanshou.adapters.db.models import (
    Appeal,
    AppealEvent,
    Carrier,
    Communication,
    Complaint,
    ComplaintTask,
    Courier,
    Deadline,
    Evidence,
    Exemption,
    LedgerEntry,
    Order,
    OrderItem,
    Outlet,
    Shipment,
    Shop,
    ShopMembership,
    TrackingEvent,
    Violation,
    Warning_,
)
from lanshou.demo.catalogue import SHOPS
from lanshou.demo.world import demo_outlet_codes


def purge_demo(conn: Connection) -> None:
    shop_ids = select(Shop.id).where(Shop.code.in_([s.code for s in SHOPS])).scalar_subquery()
    order_ids = select(Order.id).where(Order.shop_id.in_(shop_ids)).scalar_subquery()
    shipment_ids = select(Shipment.id).where(Shipment.order_id.in_(order_ids)).scalar_subquery()
    deadline_ids = select(Deadline.id).where(Deadline.shipment_id.in_(shipment_ids))
    appeal_ids = select(Appeal.id).where(Appeal.shop_id.in_(shop_ids))
    for statement in (
        delete(Warning_).where(Warning_.deadline_id.in_(deadline_ids.scalar_subquery())),
        delete(Deadline).where(Deadline.shipment_id.in_(shipment_ids)),
        delete(Communication).where(Communication.shop_id.in_(shop_ids)),
        delete(Evidence).where(Evidence.appeal_id.in_(appeal_ids.scalar_subquery())),
        delete(LedgerEntry).where(LedgerEntry.shop_id.in_(shop_ids)),
        delete(AppealEvent).where(AppealEvent.appeal_id.in_(appeal_ids.scalar_subquery())),
        delete(Appeal).where(Appeal.shop_id.in_(shop_ids)),
        delete(ComplaintTask).where(ComplaintTask.shop_id.in_(shop_ids)),
        delete(Complaint).where(Complaint.shop_id.in_(shop_ids)),
        delete(Violation).where(Violation.shop_id.in_(shop_ids)),
        delete(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids)),
        delete(Shipment).where(Shipment.order_id.in_(order_ids)),
        delete(OrderItem).where(OrderItem.order_id.in_(order_ids)),
        delete(Order).where(Order.shop_id.in_(shop_ids)),
        delete(ShopMembership).where(ShopMembership.shop_id.in_(shop_ids)),
        delete(Exemption).where(Exemption.shop_id.in_(shop_ids)),
        delete(Deadline).where(Deadline.shop_id.in_(shop_ids)),
        delete(Shop).where(Shop.code.in_([s.code for s in SHOPS])),
    ):
        conn.execute(statement)
    outlet_ids = (
        select(Outlet.id)
        .join(Carrier, Carrier.id == Outlet.carrier_id)
        .where(tuple_(Carrier.code, Outlet.code).in_(demo_outlet_codes()))
        .scalar_subquery()
    )
    conn.execute(delete(Courier).where(Courier.outlet_id.in_(outlet_ids)))
    conn.execute(delete(Outlet).where(Outlet.id.in_(outlet_ids)))
