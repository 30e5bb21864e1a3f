"""Appeal history and the merchant tasks that follow an upheld buyer complaint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class AppealEvent(Base):
    """One transition of an appeal: who moved it, when, from where to where, and why."""

    __tablename__ = "appeal_events"
    __table_args__ = (Index("ix_appeal_events_appeal", "appeal_id", "id"),)

    id: Mapped[int] = id_column()
    appeal_id: Mapped[int] = mapped_column(BigId, ForeignKey("appeals.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))  # username or "system"
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


class ComplaintTask(Base):
    """What the merchant must do for an upheld complaint (compensate, re-ship, refund) by when."""

    __tablename__ = "complaint_tasks"
    __table_args__ = (
        Index("ix_complaint_tasks_state_due", "state", "due_at"),
        # One task per complaint; shop_id (the complaint's) lets the key hold on a table
        # distributed by shop (0020).
        UniqueConstraint("complaint_id", "shop_id"),
    )

    id: Mapped[int] = id_column()
    complaint_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("complaints.id", ondelete="CASCADE")
    )
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # compensate | reship | refund
    state: Mapped[str] = mapped_column(String(16))  # open | done
    due_at: Mapped[datetime]
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
