"""Turn one aggregator trace (oldest → newest scans) into normalised tracking updates.

How a scan gets its status, in this order:

1. the status the feed gives for that scan (快递100 ``data[].status``/``statusCode``, 快递鸟
   ``Action``), through the aggregator's mapping table;
2. otherwise the scan's text, by the keywords in :data:`KEYWORDS` (``已揽收`` → picked_up …);
3. otherwise, for the newest scan only, the trace's overall state (快递100 ``state``, 快递鸟
   ``StateEx``/``State``): the feed vouches for where the parcel is *now*;
4. otherwise ``in_transit`` if an older scan of the trace already proves pickup, else
   ``awaiting_pickup``.

Rule 4 is deliberately conservative. Pickup time is what pickup deadlines are judged on, and a
trace that is in transit today does not say *when* it was collected: calling its oldest scan
``picked_up`` would date the pickup at, say, the moment the seller printed the label and hide a
real breach. So a scan only proves pickup if the feed or its text says so, or if it is the newest
scan of a trace the feed itself reports as collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lanshou.domain.tracking import PICKUP_PROVING, TrackingUpdate
from lanshou.feeds.errors import MalformedFeed

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Checked in order; the first keyword found in a scan's text decides. Longer, more specific
# phrases come first (``待揽收`` before ``揽收``, ``退回`` before ``派送``).
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("已下单", "created"),
    ("订单已提交", "created"),
    ("待揽", "awaiting_pickup"),
    ("等待揽收", "awaiting_pickup"),
    ("拒绝", "exception"),
    ("拒收", "exception"),
    ("派件异常", "exception"),
    ("派送异常", "exception"),
    ("拒签", "exception"),
    ("退回", "returned"),
    ("退件", "returned"),
    ("退签", "returned"),
    ("签收", "delivered"),
    ("已妥投", "delivered"),
    ("派件", "out_for_delivery"),
    ("派送", "out_for_delivery"),
    ("揽收", "picked_up"),
    ("揽件", "picked_up"),
    ("已收件", "picked_up"),
    ("已收取", "picked_up"),
    ("已发出", "in_transit"),
    ("发往", "in_transit"),
    ("到达", "in_transit"),
    ("离开", "in_transit"),
    ("转运", "in_transit"),
)


def status_from_text(text: str | None) -> str | None:
    if not text:
        return None
    return next((status for word, status in KEYWORDS if word in text), None)


def parse_local_time(value: object, path: str) -> datetime:
    """Aggregator times are ``yyyy-MM-dd HH:mm:ss`` in Beijing time (an offset is honoured)."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedFeed(path, "a time like 2026-11-01 14:05:00 is required")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise MalformedFeed(path, f"{value!r} is not a time like 2026-11-01 14:05:00") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Scan:
    """One scan as the aggregator sent it, before a status is decided."""

    time: datetime
    text: str | None
    location: str | None
    feed_status: str | None  # already mapped through the aggregator's per-scan table
    raw: dict[str, Any]


def label_trace(
    scans: Sequence[Scan],
    trace_status: str | None,
    *,
    waybill: str,
    carrier_code: str | None,
    source: str,
    extra_raw: dict[str, Any] | None = None,
) -> list[TrackingUpdate]:
    """Decide each scan's status by the rules in the module docstring."""
    ordered = sorted(scans, key=lambda s: s.time)
    out: list[TrackingUpdate] = []
    proven = False
    for i, scan in enumerate(ordered):
        status = scan.feed_status or status_from_text(scan.text)
        if status is None and i == len(ordered) - 1:
            status = trace_status
        if status is None:
            status = "in_transit" if proven else "awaiting_pickup"
        proven = proven or status in PICKUP_PROVING
        raw = dict(scan.raw)
        if extra_raw:
            raw["_trace"] = extra_raw
        out.append(
            TrackingUpdate(
                waybill_no=waybill,
                status=status,
                event_time=scan.time,
                source=source,
                carrier_code=carrier_code,
                location=(scan.location or None) and scan.location[:128],
                description=scan.text,
                raw=raw,
            )
        )
    return out
