"""Carrier, outlet and courier scorecards, and which carrier to use from each origin province.

A scorecard covers the shipments marked shipped in the period:

* latency p50/p90/p99 — hours from ``shipped_at`` to ``picked_up_at`` of the picked-up ones
  (nearest-rank percentiles, :func:`~lanshou.services.analytics.period.percentile`);
* timeout rate — pickup-timeout violations that happened (open, confirmed or reversed) ÷
  shipments with a pickup deadline;
* appeal share — of those violations, the share reversed on appeal;
* feed stalls — shipments whose tracking feed is flagged stalled;
* trend — the timeout rate per ISO week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from lanshou.adapters.db.models import (
    Carrier,
    Courier,
    Deadline,
    LedgerEntry,
    Order,
    Outlet,
    Shipment,
    Shop,
    Violation,
)
from lanshou.services.analytics.losses import COUNTED_STATES, scoped
from lanshou.services.analytics.period import Period, iso_week, local_day, percentile
from lanshou.services.orders import Scope

PICKUP_RULE = "pickup_timeout"
LEVELS = ("carrier", "outlet", "courier")


class Sample(NamedTuple):
    shipment_id: int
    shop_id: int
    province: str | None
    carrier_id: int | None
    outlet_id: int | None
    courier_id: int | None
    week: str
    latency_h: float | None
    stalled: bool
    has_deadline: bool
    timeout: bool
    reversed: bool


def pickup_samples(session: Session, scope: Scope, period: Period,
                   shop_id: int | None = None) -> list[Sample]:
    """One row per shipment marked shipped in the period, with its pickup outcome."""
    dl = aliased(Deadline)
    v = aliased(Violation)
    q = (
        select(Shipment.id, Shop.id, Shop.origin_province, Shipment.carrier_id,
               Shipment.outlet_id, Shipment.courier_id, Shipment.shipped_at,
               Shipment.picked_up_at, Shipment.feed_stalled, dl.id, v.state)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(dl, and_(dl.shipment_id == Shipment.id, dl.rule_id == PICKUP_RULE))
        .outerjoin(v, and_(v.shipment_id == Shipment.id, v.rule_id == PICKUP_RULE))
        .where(Shipment.shipped_at >= period.start, Shipment.shipped_at < period.end)
    )
    q = scoped(q, Shop.id, scope)
    if shop_id is not None:
        q = q.where(Shop.id == shop_id)
    out = []
    for sid, shop, prov, carrier, outlet, courier, shipped, picked, stalled, dl_id, vstate in (
        session.execute(q)
    ):
        latency = (picked - shipped).total_seconds() / 3600 if picked is not None else None
        out.append(Sample(sid, shop, prov, carrier, outlet, courier, iso_week(local_day(shipped)),
                          latency, bool(stalled), dl_id is not None,
                          vstate in COUNTED_STATES, vstate == "reversed"))
    return out


@dataclass
class Scorecard:
    level: str
    entity_id: int | None
    name: str
    carrier_name: str = ""
    shipments: int = 0
    with_deadline: int = 0
    timeouts: int = 0
    reversed: int = 0
    feed_stalls: int = 0
    latencies: list[float] = field(default_factory=list, repr=False)
    weeks: dict[str, list[int]] = field(default_factory=dict)  # week → [timeouts, with_deadline]

    def add(self, s: Sample) -> None:
        self.shipments += 1
        self.feed_stalls += s.stalled
        if s.latency_h is not None:
            self.latencies.append(s.latency_h)
        if s.has_deadline:
            self.with_deadline += 1
            week = self.weeks.setdefault(s.week, [0, 0])
            week[1] += 1
            if s.timeout:
                self.timeouts += 1
                self.reversed += s.reversed
                week[0] += 1

    def p(self, q: float) -> float | None:
        return percentile(self.latencies, q)

    @property
    def timeout_rate(self) -> float | None:
        return self.timeouts / self.with_deadline if self.with_deadline else None

    @property
    def appeal_share(self) -> float | None:
        return self.reversed / self.timeouts if self.timeouts else None

    def trend(self) -> list[tuple[str, float]]:
        return [(w, t / n) for w, (t, n) in sorted(self.weeks.items()) if n]

    def row(self) -> dict[str, Any]:
        def h(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        rate, share = self.timeout_rate, self.appeal_share
        return {"name": self.name, "carrier": self.carrier_name, "shipments": self.shipments,
                "p50_h": h(self.p(50)), "p90_h": h(self.p(90)), "p99_h": h(self.p(99)),
                "timeout_rate": None if rate is None else round(rate, 4),
                "timeouts": self.timeouts,
                "appeal_share": None if share is None else round(share, 4),
                "feed_stalls": self.feed_stalls}


def _names(session: Session, level: str) -> dict[int, tuple[str, str]]:
    if level == "carrier":
        return {i: (n, n) for i, n in session.execute(select(Carrier.id, Carrier.name_zh))}
    if level == "outlet":
        return {i: (n, c) for i, n, c in session.execute(
            select(Outlet.id, Outlet.name, Carrier.name_zh).join(Carrier,
                                                                Carrier.id == Outlet.carrier_id))}
    return {i: (n, c) for i, n, c in session.execute(
        select(Courier.id, Courier.name, Carrier.name_zh)
        .join(Outlet, Outlet.id == Courier.outlet_id)
        .join(Carrier, Carrier.id == Outlet.carrier_id))}


def scorecards(session: Session, samples: Iterable[Sample], level: str) -> list[Scorecard]:
    """Scorecards of one level (carrier, outlet or courier), most shipments first."""
    if level not in LEVELS:
        raise ValueError(level)
    attr = f"{level}_id"
    names = _names(session, level)
    cards: dict[int | None, Scorecard] = {}
    for s in samples:
        key = getattr(s, attr)
        card = cards.get(key)
        if card is None:
            name, carrier = names.get(key, ("—", "")) if key is not None else ("—", "")
            card = cards[key] = Scorecard(level, key, name, carrier)
        card.add(s)
    for card in cards.values():
        card.latencies.sort()
    return sorted(cards.values(), key=lambda c: (-c.shipments, c.name))


@dataclass(frozen=True)
class Recommendation:
    province: str
    carrier: str
    rank: int
    shipments: int
    p90_h: float | None
    timeout_rate: float
    penalty_per_1000_fen: int  # expected net penalty per 1,000 shipments


def recommend(session: Session, scope: Scope, period: Period,
              samples: list[Sample]) -> dict[str, list[Recommendation]]:
    """Per origin province: carriers ranked by expected timeouts, then expected penalty."""
    names = _names(session, "carrier")
    cards: dict[tuple[str, int], Scorecard] = {}
    for s in samples:
        if s.carrier_id is None or s.province is None:
            continue
        key = (s.province, s.carrier_id)
        if key not in cards:
            cards[key] = Scorecard("carrier", s.carrier_id, names.get(s.carrier_id, ("—", ""))[0])
        cards[key].add(s)
    money = _penalty_by_region(session, scope, period)
    out: dict[str, list[Recommendation]] = defaultdict(list)
    for (prov, carrier_id), card in cards.items():
        card.latencies.sort()
        per_k = money.get((prov, carrier_id), 0) * 1000 // max(card.shipments, 1)
        out[prov].append(Recommendation(prov, card.name, 0, card.shipments, card.p(90),
                                        card.timeout_rate or 0.0, per_k))
    ranked: dict[str, list[Recommendation]] = {}
    for prov in sorted(out):
        rows = sorted(out[prov], key=lambda r: (r.timeout_rate, r.penalty_per_1000_fen,
                                                -r.shipments, r.carrier))
        ranked[prov] = [Recommendation(r.province, r.carrier, i + 1, r.shipments, r.p90_h,
                                       r.timeout_rate, r.penalty_per_1000_fen)
                        for i, r in enumerate(rows)]
    return ranked


def _penalty_by_region(session: Session, scope: Scope,
                       period: Period) -> dict[tuple[str, int], int]:
    """Net money of pickup timeouts of shipments marked shipped in the period."""
    q = (select(Shop.origin_province, Shipment.carrier_id, func.sum(LedgerEntry.amount_fen))
         .join(Violation, Violation.id == LedgerEntry.violation_id)
         .join(Shipment, Shipment.id == Violation.shipment_id)
         .join(Shop, Shop.id == Violation.shop_id)
         .where(Violation.rule_id == PICKUP_RULE, Shipment.shipped_at >= period.start,
                Shipment.shipped_at < period.end, LedgerEntry.kind != "points")
         .group_by(Shop.origin_province, Shipment.carrier_id))
    q = scoped(q, Violation.shop_id, scope)
    return {(p, c): int(v or 0) for p, c, v in session.execute(q) if p and c}
