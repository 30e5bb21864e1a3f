"""Alert channels, subscriptions, the outbox with its delivery log, and team assignments.

Channel secrets (robot signing keys, SMTP passwords, webhook keys) are stored in clear because
signing needs them; the API and pages never return them (see ``__repr__`` too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class AlertChannel(Base):
    """Where a shop's alerts go: a DingTalk/Feishu/WeCom robot, e-mail or a signed webhook."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dingtalk | feishu | wecom | email | webhook
    name: Mapped[str] = mapped_column(String(128))
    # Non-secret settings: url, SMTP host/port/user/from/to, starttls.
    config: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    secret: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"AlertChannel(id={self.id!r}, kind={self.kind!r}, name={self.name!r}, secret=…)"


class AlertSubscription(Base):
    """One channel receives one event kind of its shop; ``lead_minutes`` 0 means every lead."""

    __tablename__ = "alert_subscriptions"
    # shop_id follows from channel_id, so it changes nothing here; it lets the key hold on a
    # table distributed by shop (0020, tests/unit/db/test_citus_readiness.py).
    __table_args__ = (
        UniqueConstraint(
            "channel_id", "event_kind", "lead_minutes", "shop_id",
            name="uq_alert_subscriptions_channel_kind_lead_shop",  # the convention's is too long
        ),
    )  # fmt: skip

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True)
    channel_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("alert_channels.id", ondelete="CASCADE")
    )
    event_kind: Mapped[str] = mapped_column(String(24))
    lead_minutes: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime]


class AlertOutbox(Base):
    """One message for one channel; ``dedup_key`` (event × channel) makes enqueueing idempotent."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        Index("ix_alert_outbox_state_next", "state", "next_attempt_at"),
        Index("ix_alert_outbox_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    channel_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("alert_channels.id", ondelete="CASCADE")
    )
    event_kind: Mapped[str] = mapped_column(String(24))
    source_type: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[int] = mapped_column(BigId)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime]
    deferred_until: Mapped[datetime | None]  # set when quiet hours held it back
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class AlertDelivery(Base):
    """The delivery log: every attempt, successful or not, and every reminder SMS."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_shop_at", "shop_id", "at"),)

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    outbox_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("alert_outbox.id", ondelete="CASCADE"), index=True
    )
    channel_kind: Mapped[str] = mapped_column(String(16))  # a channel kind, or "sms"
    target: Mapped[str] = mapped_column(String(128), default="")  # channel name or phone
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class AlertCursor(Base):
    """How far the collector has read each append-only source (warnings, audit, appeal events)."""

    __tablename__ = "alert_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId, default=0)


class Assignment(Base):
    """A piece of follow-up work given to a colleague, with a due date; history is audited."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_assignee_state", "assignee_id", "state", "due_at"),
        Index("ix_assignments_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    # shipment | violation | appeal | complaint_task
    entity_type: Mapped[str] = mapped_column(String(24))
    entity_id: Mapped[int] = mapped_column(BigId)
    assignee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(8))  # open | done
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
