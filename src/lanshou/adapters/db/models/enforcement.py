"""Deadlines, violations, exemptions and the money ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class Deadline(Base):
    """One rule's deadline for one shipment, stored so the sweep finds due ones by index."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "rule_id"),
        # The sweep asks "pending and due before T": cost grows with what is due, not what is open.
        Index("ix_deadlines_state_due", "state", "due_at"),
        Index("ix_deadlines_next_check", "next_check_at"),
    )

    id: Mapped[int] = id_column()
    shipment_id: Mapped[int] = mapped_column(BigId, ForeignKey("shipments.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), index=True)
    profile: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    satisfied_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))  # pending, met, breached, exempt, waiting
    # The next moment the sweep must look at this row: a warning, the deadline, an auto refund.
    next_check_at: Mapped[datetime | None]
    evaluated_at: Mapped[datetime]


class Exemption(Base):
    """Platform-declared events (region × carrier × window) and merchants' force-majeure reports."""

    __tablename__ = "exemptions"

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(16))  # event | report
    shop_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shops.id"))
    provinces: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    carrier_codes: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    effect: Mapped[str] = mapped_column(String(16))  # exempt | extend
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, rejected
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Violation(Base):
    __tablename__ = "violations"
    __table_args__ = (
        UniqueConstraint("shipment_id", "rule_id"),
        Index("ix_violations_shop_state", "shop_id", "state"),
        Index("ix_violations_shop_deadline", "shop_id", "deadline"),
    )

    id: Mapped[int] = id_column()
    shipment_id: Mapped[int] = mapped_column(BigId, ForeignKey("shipments.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"))
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    profile: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    satisfied_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))  # open, confirmed, exempt, reversed
    exemption_ref: Mapped[str | None] = mapped_column(String(64))
    exemption_reason: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FineMark(Base):
    """A shop whose fines and points must be re-allocated from ``since`` on: written by a bulk
    run (an import, a backfill) in the transaction of the violations it changed, and removed
    by the re-allocation that honours it. One left behind (a run killed before its end) is
    honoured by the next sweep or the shop's next evaluation."""

    __tablename__ = "fine_marks"

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"), primary_key=True)
    profile: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime]
    # Raised by every mark: a re-allocation removes the mark only if nobody marked the shop
    # again after it read the mark (its re-allocation may not have seen their violations).
    seq: Mapped[int] = mapped_column(Integer, default=1)


class LedgerEntry(Base):
    """Money moves only through entries; corrections are new reversing entries, never edits."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_shop_at", "shop_id", "booked_at"),)

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shops.id"))
    violation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("violations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # compensation, fine, refund, points
    # Charge to the merchant in fen: positive is a loss, negative a reversal or recovery.
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[Any] = mapped_column(Numeric(8, 2), default=0)
    reverses_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    booked_at: Mapped[datetime]
    memo: Mapped[str] = mapped_column(Text, default="")


class Warning_(Base):
    """A warning fired before a deadline, once per lead time (unique), never twice."""

    __tablename__ = "deadline_warnings"
    __table_args__ = (UniqueConstraint("deadline_id", "lead_minutes"),)

    id: Mapped[int] = id_column()
    deadline_id: Mapped[int] = mapped_column(BigId, ForeignKey("deadlines.id", ondelete="CASCADE"))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    fired_at: Mapped[datetime]
    # A lead time that had already passed when a more urgent one fired is recorded, not sent.
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
