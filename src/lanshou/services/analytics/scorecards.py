"""Carrier, outlet and courier scorecards, and which carrier to use from each origin province.

A scorecard covers the shipments marked shipped in the period:

* latency p50/p90/p99 — hours from ``shipped_at`` to ``picked_up_at`` of the picked-up ones:
  nearest-rank percentiles read from the latency histogram (``analytics_pickup_latency``,
  5-minute buckets below 6 h, 15-minute below 24 h, hourly above; see ``BUCKET_BANDS``) and
  reported as the lower edge of the bucket holding the exact nearest-rank value, so
  ``reported ≤ exact < reported + bucket width``;
* timeout rate — pickup-timeout violations that happened (open, confirmed or reversed) ÷
  shipments with a pickup deadline;
* appeal share — of those violations, the share reversed on appeal;
* feed stalls — shipments whose tracking feed is flagged stalled;
* trend — the timeout rate per ISO week.

Everything is read from the daily aggregates (:mod:`lanshou.services.analytics.aggregates`);
:func:`raw_samples` and :func:`raw_pickup_cells` recompute them from the raw tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
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
    PickupDaily,
    PickupLatency,
    Shipment,
    Shop,
    Violation,
)
from lanshou.services.analytics.losses import COUNTED_STATES, scoped
from lanshou.services.analytics.period import Period, iso_week, local_day
from lanshou.services.orders import Scope

PICKUP_RULE = "pickup_timeout"
LEVELS = ("carrier", "outlet", "courier")


# Latency histogram buckets: (upper bound in hours, bucket width in seconds) — 5 minutes below
# 6 h, 15 minutes below 24 h, 1 hour above. A percentile is reported as the lower edge of its
# bucket: reported ≤ exact < reported + width (at most 5 min, 15 min, 1 h; under ~4 % of the
# value beyond 6 h). Latencies on that grid (whole hours, half hours …) come out exact.
BUCKET_BANDS = ((6, 300), (24, 900), (None, 3600))
PERCENTILES = (50, 90, 99)


def _band_starts() -> list[tuple[int, int, int]]:
    """(first bucket, start second, width) of each band."""
    out, bucket, start = [], 0, 0
    for upper, width in BUCKET_BANDS:
        out.append((bucket, start, width))
        if upper is not None:
            bucket += (upper * 3600 - start) // width
            start = upper * 3600
    return out


_BANDS = _band_starts()


def bucket_of(seconds: float) -> int:
    s = max(0.0, seconds)
    for first, start, width in reversed(_BANDS):
        if s >= start:
            return first + int((s - start) // width)
    return 0


def bucket_hours(bucket: int) -> float:
    """The lower edge of a bucket in hours: what a percentile in that bucket is reported as."""
    for first, start, width in reversed(_BANDS):
        if bucket >= first:
            return (start + (bucket - first) * width) / 3600
    return 0.0


class Sample(NamedTuple):
    shipment_id: int
    shop_id: int
    province: str | None
    carrier_id: int | None
    outlet_id: int | None
    courier_id: int | None
    day: date
    latency_h: float | None
    stalled: bool
    has_deadline: bool
    timeout: bool
    reversed: bool


def raw_samples(session: Session, scope: Scope, period: Period,
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
        out.append(Sample(sid, shop, prov, carrier, outlet, courier, local_day(shipped),
                          latency, bool(stalled), dl_id is not None,
                          vstate in COUNTED_STATES, vstate == "reversed"))
    return out


def raw_pickup_cells(session: Session, scope: Scope, period: Period
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``analytics_pickup_daily`` and ``analytics_pickup_latency`` for the period,
    recomputed from shipments, deadlines, violations and the ledger."""
    q = (select(Violation.shipment_id, func.sum(LedgerEntry.amount_fen))
         .join(Violation, Violation.id == LedgerEntry.violation_id)
         .join(Shipment, Shipment.id == Violation.shipment_id)
         .where(Violation.rule_id == PICKUP_RULE, Shipment.shipped_at >= period.start,
                Shipment.shipped_at < period.end, LedgerEntry.kind != "points")
         .group_by(Violation.shipment_id))
    q = scoped(q, Violation.shop_id, scope)
    money = {sid: int(v or 0) for sid, v in session.execute(q)}
    daily: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    hist: dict[tuple[Any, ...], int] = defaultdict(int)
    for s in raw_samples(session, scope, period):
        key = (s.day, s.shop_id, s.carrier_id, s.outlet_id, s.courier_id)
        row = daily[key]
        row[0] += 1
        row[1] += s.has_deadline
        row[2] += s.has_deadline and s.timeout
        row[3] += s.has_deadline and s.timeout and s.reversed
        row[4] += s.stalled
        row[5] += money.get(s.shipment_id, 0)
        if s.latency_h is not None:
            hist[(*key, bucket_of(s.latency_h * 3600))] += 1
    names = ("day", "shop_id", "carrier_id", "outlet_id", "courier_id")
    counts = ("shipments", "with_deadline", "timeouts", "reversed", "feed_stalls",
              "penalty_fen")
    return ([dict(zip(names + counts, (*k, *v), strict=True)) for k, v in daily.items()],
            [dict(zip((*names, "bucket", "n"), (*k, n), strict=True))
             for k, n in hist.items()])


@dataclass
class PickupSamples:
    """The period's pickup counts per (day, shop, province, carrier, outlet, courier), read
    from the aggregates; the latency histogram is read once, on first use."""

    scope: Scope
    period: Period
    shop_id: int | None
    cells: list[tuple[Any, ...]]
    _hist: dict[str, dict[Any, Counter[int]]] = field(default_factory=dict, repr=False)

    def load(self, session: Session, levels: tuple[str, ...]) -> None:
        """Read the latency histograms (summed over the period's days and shops) of the
        levels not read yet, one grouped query per level."""
        t = PickupLatency
        cols = {"carrier": (t.carrier_id,), "outlet": (t.outlet_id,),
                "courier": (t.courier_id,), "province": (Shop.origin_province, t.carrier_id)}
        wanted = [lv for lv in levels if lv not in self._hist]
        if not wanted:
            return
        for lv in wanted:
            q = _filtered(select(*cols[lv], t.bucket, func.sum(t.n))
                          .join(Shop, Shop.id == t.shop_id).group_by(*cols[lv], t.bucket),
                          t, self.scope, self.period, self.shop_id)
            hist: dict[Any, Counter[int]] = defaultdict(Counter)
            k = len(cols[lv])
            for row in session.execute(q):
                key = tuple(row[:k]) if lv == "province" else row[0]
                hist[key][int(row[k])] += int(row[k + 1])
            self._hist[lv] = hist

    def histogram(self, session: Session, level: str) -> dict[Any, Counter[int]]:
        self.load(session, (level,))
        return self._hist[level]


def _filtered(q: Any, table: Any, scope: Scope, period: Period, shop_id: int | None) -> Any:
    q = q.where(table.day >= period.first, table.day <= period.last)
    q = scoped(q, table.shop_id, scope)
    if shop_id is not None:
        q = q.where(table.shop_id == shop_id)
    return q


def pickup_samples(session: Session, scope: Scope, period: Period,
                   shop_id: int | None = None) -> PickupSamples:
    """Pickup counts of the shipments marked shipped in the period (aggregated per day)."""
    from lanshou.services.analytics.aggregates import ensure_fresh

    ensure_fresh(session)
    t = PickupDaily
    q = (select(t.day, t.shop_id, Shop.origin_province, t.carrier_id, t.outlet_id,
                t.courier_id, func.sum(t.shipments), func.sum(t.with_deadline),
                func.sum(t.timeouts), func.sum(t.reversed), func.sum(t.feed_stalls),
                func.sum(t.penalty_fen))
         .join(Shop, Shop.id == t.shop_id)
         .group_by(t.day, t.shop_id, Shop.origin_province, t.carrier_id, t.outlet_id,
                   t.courier_id))
    q = _filtered(q, t, scope, period, shop_id)
    return PickupSamples(scope, period, shop_id, [tuple(r) for r in session.execute(q)])


def latency_percentiles(session: Session, samples: PickupSamples, level: str
                        ) -> dict[Any, dict[int, float]]:
    """Nearest-rank p50/p90/p99 (bucket lower edges, hours) per entity of a level."""
    out = {}
    for k, hist in samples.histogram(session, level).items():
        total = sum(hist.values())
        found: dict[int, float] = {}
        cum, wanted = 0, list(PERCENTILES)
        for bucket in sorted(hist):
            cum += hist[bucket]
            while wanted and cum * 100 >= wanted[0] * total:
                found[wanted.pop(0)] = bucket_hours(bucket)
        out[k] = found
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
    percentiles: dict[int, float] = field(default_factory=dict, repr=False)
    weeks: dict[str, list[int]] = field(default_factory=dict)  # week → [timeouts, with_deadline]

    def add(self, cell: tuple[Any, ...]) -> None:
        day, _, _, _, _, _, n, with_dl, timeouts, rev, stalls, _ = cell
        self.shipments += int(n)
        self.feed_stalls += int(stalls)
        if with_dl:
            self.with_deadline += int(with_dl)
            self.timeouts += int(timeouts)
            self.reversed += int(rev)
            week = self.weeks.setdefault(iso_week(day), [0, 0])
            week[1] += int(with_dl)
            week[0] += int(timeouts)

    def p(self, q: float) -> float | None:
        """Pickup latency percentile in hours: the lower edge of the histogram bucket holding
        the exact nearest-rank percentile (see ``BUCKET_BANDS``)."""
        return self.percentiles.get(int(q))

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


LEVEL_INDEX = {"carrier": 3, "outlet": 4, "courier": 5}


def scorecards(session: Session, samples: PickupSamples, level: str) -> list[Scorecard]:
    """Scorecards of one level (carrier, outlet or courier), most shipments first."""
    if level not in LEVELS:
        raise ValueError(level)
    index = LEVEL_INDEX[level]
    names = _names(session, level)
    cards: dict[int | None, Scorecard] = {}
    for cell in samples.cells:
        key = cell[index]
        card = cards.get(key)
        if card is None:
            name, carrier = names.get(key, ("—", "")) if key is not None else ("—", "")
            card = cards[key] = Scorecard(level, key, name, carrier)
        card.add(cell)
    for key, pcts in latency_percentiles(session, samples, level).items():
        if key in cards:
            cards[key].percentiles = pcts
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
              samples: PickupSamples) -> dict[str, list[Recommendation]]:
    """Per origin province: carriers ranked by expected timeouts, then expected penalty."""
    names = _names(session, "carrier")
    cards: dict[tuple[str, int], Scorecard] = {}
    money: dict[tuple[str, int], int] = defaultdict(int)
    for cell in samples.cells:
        province, carrier_id = cell[2], cell[3]
        if carrier_id is None or province is None:
            continue
        key = (province, carrier_id)
        if key not in cards:
            cards[key] = Scorecard("carrier", carrier_id, names.get(carrier_id, ("—", ""))[0])
        cards[key].add(cell)
        money[key] += int(cell[11])
    pcts = latency_percentiles(session, samples, "province")
    out: dict[str, list[Recommendation]] = defaultdict(list)
    for (prov, carrier_id), card in cards.items():
        card.percentiles = pcts.get((prov, carrier_id), {})
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
