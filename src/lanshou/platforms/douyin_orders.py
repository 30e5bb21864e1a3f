"""A 抖店 shop order (``order.searchList`` / ``order.orderDetail``) as a lanshou order record.

Fields (zsmhub/doudian-sdk ``api/order_searchList/response/order_searchList_response.go``):
``order_id`` (店铺订单号), ``order_status``, ``pay_time``, ``update_time``, ``exp_ship_time``
(the platform's own ship-by deadline; the douyin rule profile's ``deadline_field`` makes it
binding), ``ship_time``, ``pay_amount`` (分), ``post_addr.province/city.name``,
``sku_order_list[]`` (``order_id``, ``product_name``, ``origin_amount`` per unit in 分,
``item_num``) and ``logistics_info[]`` (``tracking_no``, ``company``, ``company_name``,
``ship_time``). Times are Unix seconds.

The buyer's phone: ``post_tel`` (收件人电话; empty or a ciphertext since 抖店 encrypts buyer
data, ``encrypt_post_tel`` likewise) and ``mask_post_tel`` (收件人电话（脱敏后）), fields of
``ShopOrderListItem`` in the same response file. The request is ``/order/searchList``
(westng/doudian-sdk ``src/Api/order_searchList/OrderSearchListRequest.php``, whose param
class lists no phone: the phone is only read, never searched by). The Open Platform's Java SDK
documents the mask: ``1********35`` for e-commerce orders (two digits: no tail) and
``*******1035`` for 即时零售 (the last four in clear). Only those four digits are kept
(:func:`~lanshou.imports.phone_tail`): a ciphertext or a two-digit mask leaves no tail.

Pure: no database, no gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lanshou.domain.tracking import normalise_waybill
from lanshou.imports import ItemRecord, OrderRecord, ShipmentRecord, phone_tail

__all__ = [
    "STATUSES",
    "ExistingShipment",
    "buyer_phone_tail",
    "needs_detail",
    "order_record",
    "unix_time",
]

# order_status (the SDK's comment on ShopOrderListItem.OrderStatus): 1 待支付 is not an order
# lanshou judges yet (nothing paid, no ship-by clock) and is skipped.
UNPAID = 1
STATUSES = {
    105: "paid",  # 已支付
    2: "paid",  # 备货中 / 待发货
    101: "shipped",  # 部分发货
    3: "shipped",  # 已发货
    4: "cancelled",  # 已取消
    5: "completed",  # 已完成
}
_SHIPPED = frozenset({101, 3, 5})


@dataclass(frozen=True)
class ExistingShipment:
    """What lanshou already holds for the order's parcel: its key and whether it is marked."""

    id: int
    key: str
    waybill_no: str | None


def unix_time(value: Any) -> datetime | None:
    """Unix seconds → aware UTC; 0, empty or missing is ``None``."""
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def needs_detail(order: dict[str, Any]) -> bool:
    """The list lacks what lanshou needs: a shipped order without its parcels, or no items."""
    status = int(order.get("order_status") or 0)
    if status in _SHIPPED and not order.get("logistics_info"):
        return True
    return not order.get("sku_order_list")


def _name(addr: Any, part: str) -> str | None:
    if not isinstance(addr, dict) or not isinstance(addr.get(part), dict):
        return None
    name = str(addr[part].get("name") or "").strip()
    return name[:64] or None


def buyer_phone_tail(order: dict[str, Any]) -> str | None:
    """The last four digits of ``post_tel`` or else ``mask_post_tel``, if either shows them."""
    for key in ("post_tel", "mask_post_tel"):
        value = order.get(key)
        tail = phone_tail(value.strip()) if isinstance(value, str) else None
        if tail is not None:
            return tail
    return None


def _items(order: dict[str, Any]) -> dict[str, ItemRecord]:
    items: dict[str, ItemRecord] = {}
    for sku in order.get("sku_order_list") or []:
        sku_id = str(sku.get("order_id") or sku.get("sku_id") or "")[:64]
        if not sku_id:
            continue
        items[sku_id] = ItemRecord(
            sku=sku_id,
            title=str(sku.get("product_name") or sku_id)[:255],
            unit_price_fen=int(sku.get("origin_amount") or 0),
            quantity=int(sku.get("item_num") or 1),
        )
    return items


def order_record(
    order: dict[str, Any],
    shop_code: str,
    carriers: dict[str, str],
    existing: ExistingShipment | None,
) -> OrderRecord | None:
    """The record to upsert, or ``None`` for an order lanshou does not take (unpaid).

    ``carriers`` maps platform company codes to lanshou carrier codes; an unmapped code falls
    back to the company's name, which the writer resolves like any import. The parcel is the
    first of ``logistics_info`` by ship time: the pickup clock starts with the first parcel
    (one shipment per order, as the importers keep it). An order the platform shows without a
    parcel leaves a shipment lanshou already marked alone (``shipment`` is ``None``), so a
    waybill entered in lanshou and not yet on the platform is not wiped; the caller judges
    that shipment again itself.
    """
    status_code = int(order.get("order_status") or 0)
    paid_at = unix_time(order.get("pay_time"))
    if status_code == UNPAID or paid_at is None or status_code not in STATUSES:
        return None
    order_id = str(order["order_id"])[:64]
    items = _items(order)
    amount = int(order.get("pay_amount") or 0)
    prices = [i.unit_price_fen for i in items.values()]
    parcels = sorted(
        (p for p in order.get("logistics_info") or [] if p.get("tracking_no")),
        key=lambda p: int(p.get("ship_time") or 0),
    )
    shipment: ShipmentRecord | None = None
    if parcels:
        first = parcels[0]
        code = str(first.get("company") or "")
        shipment = ShipmentRecord(
            key=existing.key if existing else order_id,
            amount_fen=amount,
            max_unit_price_fen=max(prices) if prices else None,
            carrier=carriers.get(code) or str(first.get("company_name") or code) or None,
            waybill=normalise_waybill(str(first["tracking_no"]))[:64],
            shipped_at=unix_time(first.get("ship_time")) or unix_time(order.get("ship_time")),
        )
    elif existing is None or not existing.waybill_no:
        shipment = ShipmentRecord(
            key=existing.key if existing else order_id,
            amount_fen=amount,
            max_unit_price_fen=max(prices) if prices else None,
        )
    post_addr = order.get("post_addr")
    return OrderRecord(
        row=0,
        shop=shop_code,
        external_id=order_id,
        status=STATUSES[status_code],
        paid_at=paid_at,
        amount_fen=amount,
        quantity=sum(i.quantity for i in items.values()) or 1,
        province=_name(post_addr, "province"),
        city=_name(post_addr, "city"),
        exp_ship_time=unix_time(order.get("exp_ship_time")),
        items=items,
        shipment=shipment,
        buyer_phone_tail=buyer_phone_tail(order),
    )
