"""Orders and shipments as merchants see them: lists, shipping, carriers, the contact log."""

from lanshou.orders.carriers import CarrierResolver, carrier_row
from lanshou.orders.contacts import contacts_for_order
from lanshou.orders.listing import (
    PER_PAGE,
    OrderDetail,
    OrderFilters,
    OrderRow,
    filter_options,
    get_order,
    list_orders,
    status_counts,
)
from lanshou.orders.scan_updates import inbox_scans, tracking_updates
from lanshou.orders.search import SearchHit, search_orders
from lanshou.orders.shipping import OrderRef, mark_shipped
from lanshou.orders.tracking_queue import queue_tracking_subscriptions

__all__ = [
    "PER_PAGE",
    "CarrierResolver",
    "OrderDetail",
    "OrderFilters",
    "OrderRef",
    "OrderRow",
    "SearchHit",
    "carrier_row",
    "contacts_for_order",
    "filter_options",
    "get_order",
    "inbox_scans",
    "list_orders",
    "mark_shipped",
    "queue_tracking_subscriptions",
    "search_orders",
    "status_counts",
    "tracking_updates",
]
