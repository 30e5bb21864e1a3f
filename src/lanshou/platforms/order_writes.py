"""Write a batch of 抖店 orders into lanshou: map, upsert through the importers' writer, judge.

Shared by the incremental sync and the order pushes, so an order looks the same whichever way
it arrived.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, Shipment
from lanshou.enforcement import evaluate_shipments
from lanshou.imports import OrderWriter
from lanshou.platforms.douyin_orders import ExistingShipment, order_record

__all__ = ["OrdersWritten", "write_orders"]

ACTOR = "platform"


@dataclass
class OrdersWritten:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_unpaid: int = 0
    unknown_carriers: Counter[str] = field(default_factory=Counter)


def _existing(session: Session, shop_id: int, order_ids: list[str]) -> dict[str, ExistingShipment]:
    """The first shipment of each of these orders that lanshou already has."""
    found: dict[str, ExistingShipment] = {}
    rows = session.execute(
        select(Order.external_id, Shipment.id, Shipment.key, Shipment.waybill_no)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Order.shop_id == shop_id, Order.external_id.in_(order_ids))
        .order_by(Shipment.id)
    ).all()
    for external_id, shipment_id, key, waybill in rows:
        found.setdefault(external_id, ExistingShipment(shipment_id, key, waybill))
    return found


def write_orders(
    session: Session,
    writer: OrderWriter,
    shop_id: int,
    shop_code: str,
    orders: list[dict[str, Any]],
    carriers: dict[str, str],
) -> OrdersWritten:
    """Upsert ``orders`` (platform dicts) of one shop in the caller's transaction."""
    result = OrdersWritten()
    existing = _existing(session, shop_id, [str(o["order_id"])[:64] for o in orders])
    records, kept_apart = [], []
    for raw in orders:
        order_id = str(raw["order_id"])[:64]
        record = order_record(raw, shop_code, carriers, existing.get(order_id))
        if record is None:
            result.skipped_unpaid += 1
            continue
        records.append(record)
        if record.shipment is None:  # marked in lanshou, not yet on the platform
            kept_apart.append(existing[order_id].id)
    written = writer.write(session, records)
    result.inserted, result.updated = written.inserted, written.updated
    result.unchanged = written.unchanged
    result.unknown_carriers.update(written.unknown_carriers)
    if kept_apart:
        evaluate_shipments(session, sorted(kept_apart), writer.now, writer.ctx, actor=ACTOR)
    return result
