"""Live connections to a selling platform's open API (抖店开放平台), and what they bring in.

Secrets — the app secret, the access and the refresh token — are stored as Fernet tokens
(``*_enc`` columns) under a key derived from ``LANSHOU_SECRET_KEY``; nothing here holds them in
clear and ``__repr__`` leaves them out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class PlatformConnection(Base):
    """One shop's authorised link to its platform: gateway, app, tokens and the sync cursor."""

    __tablename__ = "platform_connections"
    __table_args__ = (UniqueConstraint("platform", "shop_id"),)

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    platform: Mapped[str] = mapped_column(String(16))  # douyin
    gateway: Mapped[str] = mapped_column(String(255))
    app_key: Mapped[str] = mapped_column(String(64))
    app_secret_enc: Mapped[str] = mapped_column(Text)
    external_shop_id: Mapped[str] = mapped_column(String(64))  # the platform's shop id
    auth_kind: Mapped[str] = mapped_column(String(16))  # self (自用型) | code (工具型)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))  # connected | failing | disconnected
    # Orders updated up to this instant are in; the next run starts an overlap before it.
    sync_cursor: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return (
            f"PlatformConnection(id={self.id!r}, platform={self.platform!r}, "
            f"shop_id={self.shop_id!r}, app_key={self.app_key!r}, state={self.state!r}, secrets=…)"
        )


class PlatformMessage(Base):
    """One pushed message (消息推送), kept as received; ``msg_id`` makes a redelivery a no-op."""

    __tablename__ = "platform_messages"
    __table_args__ = (UniqueConstraint("platform", "msg_id"),)

    id: Mapped[int] = id_column()
    platform: Mapped[str] = mapped_column(String(16))
    msg_id: Mapped[str] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(16))
    connection_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("platform_connections.id", ondelete="SET NULL")
    )
    raw: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # applied | ignored | unmatched | failed
    detail: Mapped[str | None] = mapped_column(Text)


class PlatformCarrierCode(Base):
    """A platform's logistics company code (logisticsCompanyList) and the lanshou carrier."""

    __tablename__ = "platform_carrier_codes"
    __table_args__ = (UniqueConstraint("platform", "code"),)

    id: Mapped[int] = id_column()
    platform: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    platform_company_id: Mapped[int | None] = mapped_column(Integer)
    carrier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carriers.id"))
    updated_at: Mapped[datetime]


class PlatformShipmentCall(Base):
    """One call about a shipment — telling the platform it left (``order.logisticsAdd``) or
    registering its route (``logistics.registerPackageRoute``) — and the platform's answer."""

    __tablename__ = "platform_shipment_calls"
    __table_args__ = (Index("ix_platform_shipment_calls_shipment", "shipment_id", "id"),)

    id: Mapped[int] = id_column()
    connection_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("platform_connections.id", ondelete="CASCADE")
    )
    shipment_id: Mapped[int] = mapped_column(BigId, ForeignKey("shipments.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(64))
    order_external_id: Mapped[str] = mapped_column(String(64))
    company_code: Mapped[str | None] = mapped_column(String(64))
    logistics_code: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str] = mapped_column(String(32))  # the platform's code (10000 is success)
    message: Mapped[str] = mapped_column(Text, default="")
    log_id: Mapped[str | None] = mapped_column(String(64))
    called_at: Mapped[datetime]
