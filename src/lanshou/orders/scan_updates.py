"""Scans as read (a file row, a JSON batch event) → normalised tracking updates.

The one place a scan's carrier name is resolved (through :class:`CarrierResolver`: 顺丰, SF,
shunfeng and 顺丰速运 are one carrier) and its waybill normalised, for ``import tracking`` and
the generic feed endpoint alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lanshou.domain.tracking import PlainEvent, TrackingUpdate, normalise_waybill
from lanshou.orders.carriers import CarrierResolver

__all__ = ["tracking_updates"]


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
