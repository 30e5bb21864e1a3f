"""A digest of the demo's business content, by natural keys, independent of primary keys."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

QUERIES = (
    """SELECT sh.code, o.external_id, o.status, o.paid_at, o.amount_fen, o.quantity,
              o.buyer_province, o.buyer_city, o.created_at, o.updated_at
       FROM orders o JOIN shops sh ON sh.id = o.shop_id ORDER BY sh.code, o.external_id""",
    """SELECT o.external_id, i.sku, i.title, i.unit_price_fen, i.quantity
       FROM order_items i JOIN orders o ON o.id = i.order_id ORDER BY o.external_id, i.sku""",
    """SELECT o.external_id, s.key, c.code, ou.code, co.name, co.phone, s.waybill_no,
              s.shipped_at, s.picked_up_at, s.status, s.last_event_at, s.amount_fen,
              s.max_unit_price_fen
       FROM shipments s JOIN orders o ON o.id = s.order_id
       LEFT JOIN carriers c ON c.id = s.carrier_id LEFT JOIN outlets ou ON ou.id = s.outlet_id
       LEFT JOIN couriers co ON co.id = s.courier_id ORDER BY o.external_id""",
    """SELECT waybill_no, status, event_time, received_at, location, description, dedup_key
       FROM tracking_events ORDER BY dedup_key""",
)


def world_digest(engine: Engine) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for sql in QUERIES:
            for row in conn.exec_driver_sql(sql):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()
