"""Orders and shipments as merchants see them: lists, shipping, carriers, the contact log."""

from typing import TYPE_CHECKING

from lanshou.lazy import exports_on_first_use
from lanshou.orders.carriers import CarrierResolver, carrier_row

if TYPE_CHECKING:
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
    from lanshou.orders.scan_updates import ScanRecord, inbox_scans, record_scans
    from lanshou.orders.search import SearchHit, search_orders
    from lanshou.orders.shipping import OrderRef, mark_shipped
    from lanshou.orders.tracking_queue import queue_tracking_subscriptions

# The database side is imported on first use: the carrier resolver alone serves `lanshou
# check`, which starts without SQLAlchemy.
_ON_FIRST_USE = {
    "contacts_for_order": "contacts",
    **dict.fromkeys(
        (
            "PER_PAGE",
            "OrderDetail",
            "OrderFilters",
            "OrderRow",
            "filter_options",
            "get_order",
            "list_orders",
            "status_counts",
        ),
        "listing",
    ),
    "ScanRecord": "scan_updates",
    "inbox_scans": "scan_updates",
    "record_scans": "scan_updates",
    "SearchHit": "search",
    "search_orders": "search",
    "OrderRef": "shipping",
    "mark_shipped": "shipping",
    "queue_tracking_subscriptions": "tracking_queue",
}


__getattr__ = exports_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "PER_PAGE",
    "CarrierResolver",
    "OrderDetail",
    "OrderFilters",
    "OrderRef",
    "OrderRow",
    "ScanRecord",
    "SearchHit",
    "carrier_row",
    "contacts_for_order",
    "filter_options",
    "get_order",
    "inbox_scans",
    "list_orders",
    "mark_shipped",
    "queue_tracking_subscriptions",
    "record_scans",
    "search_orders",
    "status_counts",
]
