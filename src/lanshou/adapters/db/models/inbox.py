"""The tracking inbox: what the feeds accepted, waiting to be folded into shipments and judged.

A feed answers once its records are here (one bulk write, committed); workers claim pending
rows (``done_at`` empty) and fold them through the event path. A receipt names one accepted
delivery and counts what became of it; the violations its events produced are linked to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.types import JSONDocument


class TrackingReceipt(Base):
    """One accepted delivery (a request, a push, a CSV chunk) and what judging made of it."""

    __tablename__ = "tracking_receipts"

    id: Mapped[int] = id_column()
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]
    accepted: Mapped[int] = mapped_column(Integer)  # records appended to the inbox
    unknown_carriers: Mapped[int] = mapped_column(Integer, default=0)
    judged: Mapped[int] = mapped_column(Integer, default=0)  # records folded so far
    stored: Mapped[int] = mapped_column(Integer, default=0)  # new events among them
    unmatched: Mapped[int] = mapped_column(Integer, default=0)  # stored without a shipment yet
    judged_at: Mapped[datetime | None]  # when the last record was folded


class InboxRecord(Base):
    """One validated tracking record as a feed accepted it, normalised, with its dedup key."""

    __tablename__ = "tracking_inbox"
    __table_args__ = (
        # The claim's question: the oldest pending records. Folded rows leave the index.
        Index(
            "ix_tracking_inbox_pending",
            "id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        # The dead letters an administrator lists: few, so the index is small.
        Index(
            "ix_tracking_inbox_dead",
            "id",
            postgresql_where=text("dead_at IS NOT NULL"),
            sqlite_where=text("dead_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    receipt_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tracking_receipts.id", ondelete="CASCADE"), index=True
    )
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    waybill_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    event_time: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    # Failures of the record folded alone (see enforcement.dead_letters); ``dead_at`` set: a
    # dead letter, claimed no more until an administrator retries it.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    first_failed_at: Mapped[datetime | None]
    last_failed_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    # When a dead letter is next folded on its own, after a delay that doubles with each
    # failure up to a cap; empty once its automatic attempts ran out.
    next_attempt_at: Mapped[datetime | None]


class ReceiptViolation(Base):
    """A violation the events of a receipt produced (new when its records were folded)."""

    __tablename__ = "tracking_receipt_violations"

    receipt_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tracking_receipts.id", ondelete="CASCADE"), primary_key=True
    )
    violation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("violations.id", ondelete="CASCADE"), primary_key=True
    )
