"""The normalised tracking vocabulary every carrier feed maps onto, and how to order it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Rank breaks ties between events with the same time: a shipment never moves backwards.
STATUS_RANK: dict[str, int] = {
    "created": 0,
    "awaiting_pickup": 1,
    "picked_up": 2,
    "in_transit": 3,
    "exception": 4,
    "out_for_delivery": 5,
    "delivered": 6,
    "returned": 7,
}
# The vocabulary as pages and filters list it: the journey in rank order, the exception last.
STATUSES: tuple[str, ...] = tuple(
    sorted(STATUS_RANK, key=lambda status: (status == "exception", STATUS_RANK[status]))
)
PICKUP_PROVING = frozenset({"picked_up", "in_transit", "out_for_delivery", "delivered", "returned"})


def normalise_waybill(waybill: str) -> str:
    """The one spelling of a waybill number, on orders and scans alike: trimmed, upper case.

    Carriers print waybills in either case and sellers type them in any; ``wblc1`` and
    ``WBLC1`` are one parcel.
    """
    return waybill.strip().upper()


@dataclass(frozen=True)
class TrackingUpdate:
    """One carrier scan as it arrives from any feed, already normalised."""

    waybill_no: str
    status: str
    event_time: datetime
    source: str
    carrier_code: str | None = None
    location: str | None = None
    description: str | None = None
    raw: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown tracking status {self.status!r}; known: {sorted(STATUSES)}")
        if self.event_time.tzinfo is None:
            raise ValueError("tracking event_time must be timezone-aware")

    @property
    def dedup_key(self) -> str:
        """Same waybill, status, time and text is the same scan, whichever feed resent it."""
        body = "|".join(
            [
                normalise_waybill(self.waybill_no),
                self.status,
                self.event_time.astimezone(UTC).isoformat(),
                (self.description or "").strip(),
            ]
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class PlainEvent:
    """One scan as a file row or the generic JSON batch gives it, type-checked but not yet
    resolved: the carrier as written (an alias such as 顺丰 or shunfeng), the waybill as read."""

    carrier: str
    waybill: str
    time: datetime
    status: str
    location: str | None = None
    description: str | None = None
    raw: dict[str, Any] | None = None


def latest_status(events: list[tuple[datetime, str]]) -> str:
    """The status of the latest event; ties go to the further-along status."""
    return max(events, key=lambda e: (e[0], STATUS_RANK[e[1]]))[1]
