"""Platforms, shops, orders, items, carriers, outlets, couriers, shipments and tracking events.

Money is integer fen (分) in the database; the domain works in Decimal yuan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class Platform(Base):
    __tablename__ = "platforms"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)  # douyin, pinduoduo, olist …
    name: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))  # rule profile name


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform_id", "code"),)

    id: Mapped[int] = id_column()
    platform_id: Mapped[int] = mapped_column(BigId, ForeignKey("platforms.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    origin_province: Mapped[str | None] = mapped_column(String(32))
    origin_city: Mapped[str | None] = mapped_column(String(64))


class Carrier(Base):
    __tablename__ = "carriers"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)  # SF, ZTO, YTO …
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    service_phone: Mapped[str | None] = mapped_column(String(32))

    @staticmethod
    def name_in(locale: str | None) -> Any:
        """The name column people of ``locale`` read: English pages say "SF Express"."""
        return Carrier.name_en if locale == "en" else Carrier.name_zh


class Outlet(Base):
    """网点: the carrier branch that dispatches couriers."""

    __tablename__ = "outlets"
    __table_args__ = (UniqueConstraint("carrier_id", "code"),)

    id: Mapped[int] = id_column()
    carrier_id: Mapped[int] = mapped_column(BigId, ForeignKey("carriers.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))


class Courier(Base):
    __tablename__ = "couriers"

    id: Mapped[int] = id_column()
    outlet_id: Mapped[int] = mapped_column(BigId, ForeignKey("outlets.id"))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    wechat: Mapped[str | None] = mapped_column(String(64))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_orders_shop_paid", "shop_id", "paid_at"),
        # The order list's order across shops: its first pages without sorting every order.
        Index("ix_orders_paid_id", "paid_at", "id"),
        Index("ix_orders_shop_phone_tail", "shop_id", "buyer_phone_tail"),
    )

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))  # paid, shipped, completed, cancelled …
    paid_at: Mapped[datetime]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    buyer_province: Mapped[str | None] = mapped_column(String(32))
    buyer_city: Mapped[str | None] = mapped_column(String(64))
    # The last four digits of the buyer's phone (尾号), all the search box needs.
    buyer_phone_tail: Mapped[str | None] = mapped_column(String(4))
    exp_ship_time: Mapped[datetime | None]  # explicit ship-by deadline from the platform
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = id_column()
    order_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)


class Shipment(Base):
    """One fulfilment unit (发货单) of an order; marking it shipped gives carrier and waybill."""

    __tablename__ = "shipments"
    # No index on status: every tracking event rewrites it (migration 0008).
    __table_args__ = (
        Index("ix_shipments_waybill", "waybill_no"),
        UniqueConstraint("order_id", "key"),
        {"postgresql_with": {"fillfactor": 80}},  # room for in-page rewrites (0008)
    )

    id: Mapped[int] = id_column()
    order_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(128))  # natural key within the order
    carrier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carriers.id"))
    outlet_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outlets.id"))
    courier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("couriers.id"))
    waybill_no: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime | None]
    picked_up_at: Mapped[datetime | None]
    shipping_limit_at: Mapped[datetime | None]  # explicit hand-over deadline (Olist)
    # created, awaiting_pickup, picked_up, in_transit, out_for_delivery, delivered, returned,
    # exception
    status: Mapped[str] = mapped_column(String(24))
    last_event_at: Mapped[datetime | None]
    feed_stalled: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    max_unit_price_fen: Mapped[int | None] = mapped_column(BigInteger)


class TrackingEvent(Base):
    """One carrier scan. On PostgreSQL the table is partitioned by month of ``event_time``
    (migration 0019, ``adapters.db.partitions``) and its primary key there is ``(id,
    event_time)``: a partitioned table's keys must hold the partition key. The dedup key is
    unique together with ``event_time``, which it hashes: as strict as the key alone."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        Index("ix_tracking_events_shipment_time", "shipment_id", "event_time"),
        Index("ix_tracking_events_waybill", "waybill_no"),
        UniqueConstraint("dedup_key", "event_time"),
    )

    id: Mapped[int] = id_column()
    shipment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("shipments.id", ondelete="CASCADE")
    )
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    waybill_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    event_time: Mapped[datetime]
    received_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))  # kuaidi100, kdniao, webhook, import, demo
    # Hash of (source-independent) waybill, time, status, description: repeated pushes collapse.
    dedup_key: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
