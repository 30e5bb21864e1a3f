"""Scans as read (a file row, a JSON batch event) → normalised inbox scans.

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
    inbox_scan,
)
from lanshou.orders.carriers import CarrierResolver

__all__ = ["inbox_scans"]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def inbox_scans(
    events: Iterable[PlainEvent], carriers: CarrierResolver, source: str, unknown: Counter[str]
) -> list[InboxScan]:
    """The events as the inbox takes them (carrier resolved, with their dedup keys and raw
    records as JSON text; a carrier nobody knows is counted in ``unknown`` and left empty): the
    accepting path of the JSON batch and of ``import tracking``, a tuple per scan instead of
    an object and a dict."""
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
