"""Appeals, evidence, buyer complaints, the contact log and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class Appeal(Base):
    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_state_due", "state", "due_at"),)

    id: Mapped[int] = id_column()
    violation_id: Mapped[int] = mapped_column(BigId, ForeignKey("violations.id"), index=True)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))  # online | customer_service
    venue: Mapped[str] = mapped_column(String(16))  # internal | external
    statement: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    claimed_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # Bumped by every transition; claims and decisions are compare-and-set on it.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = id_column()
    appeal_id: Mapped[int] = mapped_column(BigId, ForeignKey("appeals.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # image, pdf, audio, chat, system
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONDocument)
    uploaded_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Complaint(Base):
    """投诉: a buyer's complaint about an order."""

    __tablename__ = "complaints"

    id: Mapped[int] = id_column()
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime]
    task_due_at: Mapped[datetime | None]


class Communication(Base):
    """The contact log: every call, chat or visit with couriers, outlets, carriers and buyers."""

    __tablename__ = "communications"

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shipments.id"))
    violation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("violations.id"))
    appeal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("appeals.id"))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    counterpart_kind: Mapped[str] = mapped_column(String(24))  # courier, outlet, carrier_cs …
    counterpart_name: Mapped[str] = mapped_column(String(128), default="")
    channel: Mapped[str] = mapped_column(String(16))  # phone, wechat, sms, in_person, reminder
    # When the call or chat happened, as the user says (a call at 09:10 logged at 17:30); what
    # the appeal statement and the dossier count against the deadline.
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]  # when it was typed in: the server's clock, not editable
    summary: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """Append-only, hash-chained: each record holds the hash of the one before."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = id_column()
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))  # username or "system"
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 1: plain SHA-256 (records from before 0009), 2: HMAC-SHA256 under the key named key_id.
    scheme: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    key_id: Mapped[str | None] = mapped_column(String(16))
