"""Breach probabilities for shipments awaiting pickup, from the scope's own pickup history.

History: shipments of the scope's shops marked shipped in the last ``HISTORY_DAYS`` days.
Picked-up ones are events at ``picked_up_at − shipped_at``; the rest are censored at ``now``.
The fitted model is cached per (database, scope, hour) so the board does not refit per request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, Shipment
from lanshou.analytics.survival import BreachModel, Observation, Prediction, segment_of
from lanshou.identity import Scope

HISTORY_DAYS = 60
_CACHE: dict[tuple[str, frozenset[int] | None, datetime], BreachModel] = {}
_LOCK = threading.Lock()


def observations(
    session: Session, scope: Scope, now: datetime, days: int = HISTORY_DAYS
) -> list[Observation]:
    q = (
        select(Shipment.carrier_id, Shipment.outlet_id, Shipment.shipped_at, Shipment.picked_up_at)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Shipment.shipped_at.is_not(None),
            Shipment.shipped_at <= now,
            Shipment.shipped_at >= now - timedelta(days=days),
        )
    )
    if scope.shop_ids is not None:
        q = q.where(Order.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    out = []
    for carrier, outlet, shipped, picked in session.execute(q):
        assert shipped is not None
        if picked is not None and picked <= now:
            out.append(
                Observation(
                    carrier,
                    outlet,
                    segment_of(shipped),
                    max(0.0, (picked - shipped).total_seconds() / 3600),
                    True,
                )
            )
        else:
            out.append(
                Observation(
                    carrier,
                    outlet,
                    segment_of(shipped),
                    (now - shipped).total_seconds() / 3600,
                    False,
                )
            )
    return out


def model_for(session: Session, scope: Scope, now: datetime) -> BreachModel:
    """The fitted model for the scope, refitted at most once an hour per process."""
    bind = session.get_bind()
    key = (str(bind.engine.url), scope.shop_ids, now.replace(minute=0, second=0, microsecond=0))
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    model = BreachModel(observations(session, scope, now))
    with _LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = model
    return model


@dataclass(frozen=True)
class OpenShipment:
    key: int  # deadline or shipment id: whatever the caller wants back
    carrier_id: int | None
    outlet_id: int | None
    shipped_at: datetime | None
    due_at: datetime


def predict_many(
    model: BreachModel, rows: Iterable[OpenShipment], now: datetime
) -> dict[int, Prediction]:
    out = {}
    for r in rows:
        if r.shipped_at is None:
            continue
        p = model.predict(r.carrier_id, r.outlet_id, r.shipped_at, now, r.due_at)
        if p is not None:
            out[r.key] = p
    return out
