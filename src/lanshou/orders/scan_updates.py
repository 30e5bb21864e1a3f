"""Scans as read (a file row, a JSON batch event) → normalised inbox scans.

The one place a scan's carrier name is resolved (through :class:`CarrierResolver`: 顺丰, SF,
shunfeng and 顺丰速运 are one carrier) and its waybill normalised, for ``import tracking`` and
the generic feed endpoint alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from lanshou.domain.tracking import (
    STATUS_RANK,
    InboxScan,
    PlainEvent,
    dedup_key,
    inbox_scan,
)
from lanshou.orders.carriers import CarrierResolver

__all__ = ["ScanRecord", "inbox_scans", "record_scans"]

ScanRecord = tuple[str, str, datetime, str, str | None, str | None, str | None]
"""A scan as read, in a tuple: carrier as written, waybill as read, time, status, location,
description, and the raw record's JSON text (or None)."""

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def inbox_scans(
    events: Iterable[PlainEvent], carriers: CarrierResolver, source: str, unknown: Counter[str]
) -> list[InboxScan]:
    """The events as the inbox takes them (carrier resolved, with their dedup keys and raw
    records as JSON text; a carrier nobody knows is counted in ``unknown`` and left empty):
    the accepting path of the JSON batch and of ``import tracking``, a tuple per scan instead
    of an object and a dict."""
    return record_scans(
        (
            (
                e.carrier,
                e.waybill,
                e.time,
                e.status,
                e.location,
                e.description,
                _encode(e.raw) if e.raw_json is None and e.raw is not None else e.raw_json,
            )
            for e in events
        ),
        carriers,
        source,
        unknown,
    )


def record_scans(
    records: Iterable[ScanRecord], carriers: CarrierResolver, source: str, unknown: Counter[str]
) -> list[InboxScan]:
    """:func:`inbox_scans` of scans in tuples (the JSON batch's one pass builds no objects):
    each made as :func:`~lanshou.domain.tracking.inbox_scan` makes it, written out here
    because it runs once per event of every batch (tests/unit/feeds/test_inbox_scans.py
    holds the two to the same result)."""
    out = []
    codes: dict[str, str | None] = {}
    for carrier, waybill_no, event_time, status, location, description, raw in records:
        if carrier in codes:
            code = codes[carrier]
        else:
            code = codes[carrier] = carriers.code(carrier)
        if code is None:
            unknown[carrier.strip()] += 1
        if status not in STATUS_RANK or event_time.utcoffset() is None:
            # Refused in inbox_scan's words (an unknown status, a naive time).
            inbox_scan(
                carrier_code=code,
                waybill_no=waybill_no,
                status=status,
                event_time=event_time,
                source=source,
                location=location,
                description=description,
                raw_json=raw,
            )
        waybill = waybill_no.strip().upper()
        at = event_time.astimezone(UTC)
        out.append(
            InboxScan(
                code,
                waybill,
                status,
                at,
                location or None,
                description or None,
                source,
                dedup_key(waybill, status, at, description),
                raw,
            )
        )
    return out
