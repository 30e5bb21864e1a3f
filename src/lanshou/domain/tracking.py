"""The normalised tracking vocabulary every carrier feed maps onto, and how to order it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

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
        return dedup_key(
            normalise_waybill(self.waybill_no),
            self.status,
            self.event_time.astimezone(UTC),
            self.description,
        )


def dedup_key(waybill_no: str, status: str, utc_time: datetime, description: str | None) -> str:
    """The content hash of a scan (its waybill already normalised, its time in UTC).

    Stored with every event (``tracking_events`` is unique on it), so its text must never
    change: a scan resent after an upgrade must still meet the copy stored before it."""
    body = f"{waybill_no}|{status}|{utc_time.isoformat()}|{(description or '').strip()}"
    return hashlib.sha256(body.encode()).hexdigest()


class InboxScan(NamedTuple):
    """One validated scan as the tracking inbox takes it, every field final: the carrier
    resolved, the waybill normalised, the time in UTC, the dedup key computed and the raw record
    as JSON text (the feed's own text where it has one). A plain tuple, so a feed of thousands
    of scans builds them at the cost of a tuple each (see :func:`inbox_scan`)."""

    carrier_code: str | None
    waybill_no: str
    status: str
    event_time: datetime
    location: str | None
    description: str | None
    source: str
    dedup_key: str
    raw_json: str | None


def inbox_scan(
    *,
    carrier_code: str | None,
    waybill_no: str,
    status: str,
    event_time: datetime,
    source: str,
    location: str | None,
    description: str | None,
    raw_json: str | None,
) -> InboxScan:
    """A scan for the inbox, checked as :class:`TrackingUpdate` checks one (known status,
    timezone-aware time); empty location and description are stored as none."""
    if status not in STATUS_RANK:
        raise ValueError(f"unknown tracking status {status!r}; known: {sorted(STATUSES)}")
    if event_time.utcoffset() is None:
        raise ValueError("tracking event_time must be timezone-aware")
    waybill = waybill_no.strip().upper()
    at = event_time.astimezone(UTC)
    return InboxScan(
        carrier_code,
        waybill,
        status,
        at,
        location or None,
        description or None,
        source,
        dedup_key(waybill, status, at, description),
        raw_json,
    )


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
    # ``raw`` as the feed's own JSON text, where it has one (the JSON batch: each event object
    # as the request spelled it), stored as it is instead of encoded again.
    raw_json: str | None = None


def latest_status(events: list[tuple[datetime, str]]) -> str:
    """The status of the latest event; ties go to the further-along status."""
    return max(events, key=lambda e: (e[0], STATUS_RANK[e[1]]))[1]
