"""Rows of a shop's order export (generic, douyin) into order records.

One row is an order (generic) or one sub-order line of an order (douyin, ``multi_row``): rows
with the same order number in a chunk become one order with several items. A repeated order
number in a one-row-per-order layout is a rejected row.
"""

from __future__ import annotations

from lanshou.domain.tracking import normalise_waybill
from lanshou.i18n import N_
from lanshou.imports.mapping import Mapping
from lanshou.imports.phone import phone_tail
from lanshou.imports.records import (
    EMPTY,
    ItemRecord,
    OrderRecord,
    RowReader,
    ShipmentRecord,
    row_error,
)

__all__ = ["merge_row", "order_from_row", "read_phone_tail", "read_status"]


def order_from_row(r: RowReader, mapping: Mapping, shop: str | None) -> OrderRecord:
    """The order one row describes (with its one item, if the layout has items)."""
    order_id = r.text("order_id", 64, required=True)
    assert order_id is not None
    shop_code = r.text("shop", 64) or shop
    if shop_code is None:
        raise row_error(r.index.columns("shop"), "empty", N_("is empty (or pass --shop)"))
    paid_at = r.time("paid_at", required=True)
    assert paid_at is not None
    item = _item(r, order_id) if r.index.has("item_sku") or r.index.has("item_unit_price") else None
    amount = r.money("amount", required=mapping.amount_scope == "order")
    if amount is None:
        if item is None:
            raise row_error(r.index.columns("amount"), "empty", EMPTY)
        amount = item.unit_price_fen * item.quantity
    shipped_at = r.time("shipped_at")
    record = OrderRecord(
        row=0,
        shop=shop_code,
        external_id=order_id,
        status="",
        paid_at=paid_at,
        amount_fen=amount,
        quantity=r.count("quantity") or (item.quantity if item else 1),
        province=r.text("province", 32),
        city=r.text("city", 64),
        exp_ship_time=r.time("exp_ship_time"),
        items={item.sku: item} if item else {},
        shipment=ShipmentRecord(
            key=order_id,
            amount_fen=amount,
            max_unit_price_fen=item.unit_price_fen if item else None,
            carrier=r.text("carrier", 64),
            waybill=_waybill(r),
            shipped_at=shipped_at,
        ),
    )
    record.status = read_status(r, mapping, shipped_at is not None)
    record.buyer_phone_tail, record.phone_without_tail = read_phone_tail(r)
    return record


def read_phone_tail(r: RowReader) -> tuple[str | None, bool]:
    """The buyer phone's last four digits, and whether a phone was given without them (a
    masked or short value: a warning, not a rejected row)."""
    raw, _ = r.raw("buyer_phone")
    if not isinstance(raw, str):
        return None, False
    tail = phone_tail(raw.strip())
    return tail, tail is None


def read_status(r: RowReader, mapping: Mapping, shipped: bool) -> str:
    """The row's order status in lanshou's words; a word the mapping does not know is refused."""
    raw, column = r.raw("status")
    text = str(raw) if raw is not None else None
    status = mapping.status(text, shipped)
    if status is None:
        raise row_error(
            column,
            "unknown_status",
            N_(
                "'%(value)s' is not an order status the %(source)s mapping knows "
                "(add it to status_values)"
            ),
            value=text or "",
            source=mapping.source,
        )
    return status


def _waybill(r: RowReader) -> str | None:
    """As the feeds spell it (trimmed, upper case), so the order meets its own scans."""
    text = r.text("waybill", 64)
    return normalise_waybill(text) if text is not None else None


def _item(r: RowReader, order_id: str) -> ItemRecord:
    price = r.money("item_unit_price")
    if price is None:
        raise row_error(r.index.columns("item_unit_price"), "empty", EMPTY)
    sku = r.text("item_sku", 64) or order_id
    return ItemRecord(
        sku=sku,
        title=r.text("item_title", 255) or sku,
        unit_price_fen=price,
        quantity=r.count("item_quantity") or 1,
    )


def merge_row(into: OrderRecord, other: OrderRecord, mapping: Mapping) -> None:
    """Add another row of the same order: its item, and the order fields the first row lacked."""
    for sku, item in other.items.items():
        if sku in into.items:
            raise row_error(
                "",
                "duplicate_item",
                N_("item '%(sku)s' appears twice in order '%(order)s'"),
                sku=sku,
                order=into.external_id,
            )
        into.items[sku] = item
    if mapping.amount_scope == "item":
        into.amount_fen += other.amount_fen
    if into.items:
        into.quantity = sum(i.quantity for i in into.items.values())
    into.province = into.province or other.province
    into.city = into.city or other.city
    into.exp_ship_time = into.exp_ship_time or other.exp_ship_time
    into.buyer_phone_tail = into.buyer_phone_tail or other.buyer_phone_tail
    into.phone_without_tail = into.buyer_phone_tail is None and (
        into.phone_without_tail or other.phone_without_tail
    )
    ship, more = into.shipment, other.shipment
    assert ship is not None and more is not None
    ship.amount_fen = into.amount_fen
    if into.items:
        ship.max_unit_price_fen = max(i.unit_price_fen for i in into.items.values())
    ship.carrier = ship.carrier or more.carrier
    ship.waybill = ship.waybill or more.waybill
    ship.shipped_at = ship.shipped_at or more.shipped_at
