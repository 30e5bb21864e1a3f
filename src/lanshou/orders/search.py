"""The search box: find an order by its number, a waybill or the buyer's phone tail (尾号).

Always through the tenant scope, so a merchant never finds another shop's order. The waybill is
normalised the way waybills are stored (:func:`normalise_waybill`), so ``sf123`` finds
``SF123``; a phone tail is exactly four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, Shipment, Shop
from lanshou.domain.tracking import normalise_waybill
from lanshou.errors import InvalidInput
from lanshou.identity import Scope, scoped_orders

MAX_QUERY = 64
MAX_HITS = 50
_PHONE_TAIL = re.compile(r"\d{4}")


@dataclass(frozen=True)
class SearchHit:
    order_id: int
    external_id: str
    shop_name: str
    paid_at: datetime
    waybills: list[str]
    matched: str  # "order" | "waybill" | "phone": what the query matched


def search_orders(session: Session, scope: Scope, query: str) -> list[SearchHit]:
    """Orders in scope whose number, a waybill or the buyer's phone tail is ``query``; the
    newest first, at most :data:`MAX_HITS`."""
    text = query.strip()
    if not text or len(text) > MAX_QUERY:
        raise InvalidInput(f"search text must be 1 to {MAX_QUERY} characters", field="q")
    waybill = normalise_waybill(text)
    by_waybill = select(Shipment.order_id).where(Shipment.waybill_no == waybill)
    matches = [Order.external_id == text, Order.id.in_(by_waybill)]
    if _PHONE_TAIL.fullmatch(text):
        matches.append(Order.buyer_phone_tail == text)
    orders = list(
        session.execute(
            scoped_orders(scope)
            .where(or_(*matches))
            .order_by(Order.paid_at.desc(), Order.id.desc())
            .limit(MAX_HITS)
        ).scalars()
    )
    ids = [o.id for o in orders]
    waybills: dict[int, list[str]] = {i: [] for i in ids}
    for order_id, number in session.execute(
        select(Shipment.order_id, Shipment.waybill_no)
        .where(Shipment.order_id.in_(ids or [-1]), Shipment.waybill_no.is_not(None))
        .order_by(Shipment.id)
    ):
        if number is not None:
            waybills[order_id].append(number)
    shops = dict(
        session.execute(
            select(Shop.id, Shop.name).where(Shop.id.in_({o.shop_id for o in orders} or {-1}))
        ).all()
    )

    def matched(o: Order) -> str:
        if o.external_id == text:
            return "order"
        return "waybill" if waybill in waybills[o.id] else "phone"

    return [
        SearchHit(o.id, o.external_id, shops[o.shop_id], o.paid_at, waybills[o.id], matched(o))
        for o in orders
    ]
