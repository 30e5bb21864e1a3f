"""Tracking subscriptions: which aggregator watches which waybill, and each shop's aggregator.

A shipment that gets a waybill is queued here (state ``pending``) in the transaction that gave
it the waybill; the worker sends the subscription later, so a slow aggregator never slows an
import. ``(integration_id, waybill_no)`` is unique: a waybill is subscribed once per account,
whatever path (import, form, API, platform sync) marked it, and however often.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column


class ShopTrackingFeed(Base):
    """The aggregator account a shop's waybills are subscribed at, and the phone some carriers
    want (顺丰 and 中通 only answer for a waybill with a sender or recipient phone)."""

    __tablename__ = "shop_tracking_feeds"

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), primary_key=True)
    integration_id: Mapped[int] = mapped_column(BigId, ForeignKey("feed_integrations.id"))
    sender_phone: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class TrackingSubscription(Base):
    """One waybill at one aggregator account: queued, sent (with retries), watched, stalled."""

    __tablename__ = "tracking_subscriptions"
    __table_args__ = (
        UniqueConstraint("integration_id", "waybill_no"),
        # The worker's question: what is due (a send, a retry, a resubscription) by now?
        Index("ix_tracking_subscriptions_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = id_column()
    shipment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    integration_id: Mapped[int] = mapped_column(BigId, ForeignKey("feed_integrations.id"))
    # lanshou's carrier code (SF, ZTO …) when known; the aggregator's own code is derived.
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    # 快递100 corrected the carrier (comNew): its code wins over the one derived from ours.
    aggregator_code: Mapped[str | None] = mapped_column(String(32))
    waybill_no: Mapped[str] = mapped_column(String(64))
    # pending | sending | subscribed | stalled | failed | finished (feeds.subscription_rules)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    resubscriptions: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    subscribed_at: Mapped[datetime | None]
    stalled_since: Mapped[datetime | None]
    resubscribe_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
