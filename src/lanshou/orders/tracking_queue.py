"""Queue a tracking subscription for every shipment that just got a waybill: at the shop's
aggregator, and at its platform's route source when the shop is connected (抖店
``registerPackageRoute``, sent by :mod:`lanshou.platforms.routes`).

Called in the transaction that gave the waybill (the order form and ``POST /api/v1/shipments``
through :func:`lanshou.orders.shipping.mark_shipped`, order imports and platform syncs through
the chunked upsert), so a waybill is never marked without its subscription being queued and a
rolled-back import queues nothing. Only an outbox row is written here; the worker sends it
(:mod:`lanshou.feeds.subscriptions`), so a slow aggregator never slows an import. It lives in
``orders`` because every writer of waybills may import ``orders``, none may import ``feeds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.dialect import insert_ignoring_conflicts
from lanshou.adapters.db.models import (
    Carrier,
    FeedIntegration,
    Order,
    PlatformConnection,
    Shipment,
)
from lanshou.adapters.db.models.subscriptions import ShopTrackingFeed, TrackingSubscription
from lanshou.domain.tracking import normalise_waybill

__all__ = ["queue_tracking_subscriptions"]


def queue_tracking_subscriptions(
    session: Session, shipment_ids: Iterable[int], now: datetime
) -> None:
    """A ``pending`` row per shipment whose shop has an aggregator; a waybill already queued at
    that account is skipped (unique key), so nothing is subscribed twice."""
    ids = sorted(set(shipment_ids))
    if not ids:
        return
    base = (
        select(Shipment.id, Shipment.waybill_no, Carrier.code)
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .where(Shipment.id.in_(ids), Shipment.waybill_no.is_not(None))
        .order_by(Shipment.id.desc())  # two shipments, one waybill: the first one's row
    )
    aggregator = base.add_columns(ShopTrackingFeed.integration_id).join(
        ShopTrackingFeed, ShopTrackingFeed.shop_id == Order.shop_id
    )
    # A shop connected to its platform is also registered at that platform's route source:
    # the active integration of the platform's kind whose account is the connection's app.
    platform = (
        base.add_columns(FeedIntegration.id)
        .join(PlatformConnection, PlatformConnection.shop_id == Order.shop_id)
        .join(
            FeedIntegration,
            (FeedIntegration.kind == PlatformConnection.platform)
            & (FeedIntegration.account_id == PlatformConnection.app_key),
        )
        .where(
            PlatformConnection.state != "disconnected",
            FeedIntegration.is_active.is_(True),
            FeedIntegration.callback_url.is_not(None),
        )
    )
    rows: dict[tuple[int, str], dict[str, object]] = {}
    found = [*session.execute(aggregator), *session.execute(platform)]
    for sid, stored, carrier, integration_id in found:
        assert stored is not None  # the query takes shipments with a waybill only
        # Spelled as scans and pushes spell it, so a push finds its row whatever the shipment says.
        waybill = normalise_waybill(stored)
        rows[(integration_id, waybill)] = {
            "shipment_id": sid,
            "integration_id": integration_id,
            "carrier_code": carrier,
            "waybill_no": waybill,
            "state": "pending",
            "attempts": 0,
            "resubscriptions": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
    if rows:
        key = ["integration_id", "waybill_no"]
        insert = insert_ignoring_conflicts(session, TrackingSubscription, key=key)
        session.execute(insert, list(rows.values()))
