"""Scans as read (a file row, a JSON batch event) → normalised tracking updates.

The one place a scan's carrier name is resolved (through :class:`CarrierResolver`: 顺丰, SF,
shunfeng and 顺丰速运 are one carrier) and its waybill normalised, for ``import tracking`` and
the generic feed endpoint alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from lanshou.domain.tracking import (
    InboxScan,
    PlainEvent,
    TrackingUpdate,
    inbox_scan,
    normalise_waybill,
)
from lanshou.orders.carriers import CarrierResolver

__all__ = ["inbox_scans", "tracking_updates"]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def tracking_updates(
    events: Iterable[PlainEvent], carriers: CarrierResolver, source: str, unknown: Counter[str]
) -> list[TrackingUpdate]:
    """The events as updates; a carrier nobody knows is counted in `unknown` and left empty."""
    out = []
    codes: dict[str, str | None] = {}  # a batch names a handful of carriers many times over
    for e in events:
        if e.carrier in codes:
            code = codes[e.carrier]
        else:
            code = codes[e.carrier] = carriers.code(e.carrier)
        if code is None:
            unknown[e.carrier.strip()] += 1
        out.append(
            TrackingUpdate(
                waybill_no=normalise_waybill(e.waybill),
                status=e.status,
                event_time=e.time,
                source=source,
                carrier_code=code,
                location=e.location or None,
                description=e.description or None,
                raw=e.raw,
            )
        )
    return out


def inbox_scans(
    events: Iterable[PlainEvent], carriers: CarrierResolver, source: str, unknown: Counter[str]
) -> list[InboxScan]:
    """The events as the inbox takes them (what :func:`tracking_updates` makes of them, with
    their dedup keys and raw records as JSON text): the accepting path of the JSON batch and
    of ``import tracking``, a tuple per scan instead of an object and a dict."""
    out = []
    codes: dict[str, str | None] = {}
    for e in events:
        if e.carrier in codes:
            code = codes[e.carrier]
        else:
            code = codes[e.carrier] = carriers.code(e.carrier)
        if code is None:
            unknown[e.carrier.strip()] += 1
        raw = e.raw_json
        if raw is None and e.raw is not None:
            raw = _encode(e.raw)
        out.append(
            inbox_scan(
                carrier_code=code,
                waybill_no=e.waybill,
                status=e.status,
                event_time=e.time,
                source=source,
                location=e.location,
                description=e.description,
                raw_json=raw,
            )
        )
    return out
