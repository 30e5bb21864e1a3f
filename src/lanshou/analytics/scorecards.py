"""Carrier, outlet and courier scorecards, and which carrier to use from each origin province.

A scorecard covers the shipments marked shipped in the period:

* latency p50/p90/p99 — hours from ``shipped_at`` to ``picked_up_at`` of the picked-up ones:
  nearest-rank percentiles read from the latency histogram (``analytics_pickup_latency``,
  5-minute buckets below 6 h, 15-minute below 24 h, hourly above; see
  ``lanshou.analytics.latency.BUCKET_BANDS``) and
  reported as the lower edge of the bucket holding the exact nearest-rank value, so
  ``reported ≤ exact < reported + bucket width``;
* timeout rate — pickup-timeout violations that happened (open, confirmed or reversed) ÷
  shipments with a pickup deadline;
* appeal share — of those violations, the share reversed on appeal;
* feed stalls — shipments whose tracking feed is flagged stalled;
* trend — the timeout rate per ISO week.

Counts are read from the daily aggregates (:mod:`lanshou.analytics.aggregates`),
summed per ISO week in the database. Percentiles of the dashboards' periods (the last 7, 30 or
90 days) come from ``analytics_pickup_percentile`` for all shops or one shop, else they are
computed in the database from the window histograms (other sets of shops) or the daily ones
(other periods) — the same nearest-rank rule everywhere. :mod:`lanshou.analytics.pickup_cells`
recomputes the aggregates from the raw tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.dialect import week_start
from lanshou.adapters.db.models import (
    AnalyticsState,
    Carrier,
    Courier,
    Outlet,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    Shop,
)
from lanshou.analytics.aggregates import PICKUP_STATE, WINDOWS, ensure_pickups
from lanshou.analytics.latency import PERCENTILES, bucket_hours, percentile_select, window_histogram
from lanshou.analytics.period import Period, iso_week
from lanshou.analytics.scoping import scoped
from lanshou.enforcement import RulesContext
from lanshou.identity import Scope

LEVELS = ("carrier", "outlet", "courier")


@dataclass
class PickupSamples:
    """The period's pickup counts per (ISO week, shop, province, carrier, outlet, courier),
    read from the daily aggregates; ``cells[i][0]`` is the Monday of the week. Latency
    percentiles come from the window histograms when the period is one of them (``window``:
    its length in days), else from the daily histograms."""

    scope: Scope
    period: Period
    shop_id: int | None
    cells: list[tuple[Any, ...]]
    window: int | None = None
    _percentiles: dict[str, dict[Any, dict[int, float]]] = field(default_factory=dict, repr=False)


def _filtered(q: Any, table: Any, scope: Scope, period: Period | None, shop_id: int | None) -> Any:
    if period is not None:
        q = q.where(table.day >= period.first, table.day <= period.last)
    return scoped(q, table.shop_id, scope, shop_id)


def pickup_samples(
    session: Session,
    scope: Scope,
    period: Period,
    ctx: RulesContext,
    shop_id: int | None = None,
    *,
    now: datetime,
) -> PickupSamples:
    """Pickup counts of the shipments marked shipped in the period (aggregated per week); the
    rules (``ctx``) build the aggregates at ``now`` if they were never built."""
    ensure_pickups(session, ctx, now)
    t = PickupDaily
    week = week_start(session, t.day)
    q = (
        select(
            week,
            t.shop_id,
            Shop.origin_province,
            t.carrier_id,
            t.outlet_id,
            t.courier_id,
            func.sum(t.shipments),
            func.sum(t.with_deadline),
            func.sum(t.timeouts),
            func.sum(t.reversed),
            func.sum(t.feed_stalls),
            func.sum(t.penalty_fen),
        )
        .join(Shop, Shop.id == t.shop_id)
        .group_by(week, t.shop_id, Shop.origin_province, t.carrier_id, t.outlet_id, t.courier_id)
    )
    q = _filtered(q, t, scope, period, shop_id)
    days = (period.last - period.first).days + 1
    state = session.get(AnalyticsState, PICKUP_STATE)
    window = (
        days
        if days in WINDOWS and state is not None and (state.window_day == period.last)
        else None
    )
    return PickupSamples(scope, period, shop_id, [tuple(r) for r in session.execute(q)], window)


def _daily_histogram(samples: PickupSamples, level: str) -> tuple[Any, list[Any]]:
    t = PickupLatency
    columns: dict[str, list[Any]] = {
        "carrier": [t.carrier_id],
        "outlet": [t.outlet_id],
        "courier": [t.courier_id],
        "province": [Shop.origin_province, t.carrier_id],
    }
    keys = columns[level]
    q = select(
        *(k.label(f"k{i}") for i, k in enumerate(keys)),
        t.bucket.label("bucket"),
        func.sum(t.n).label("n"),
    )
    q = _filtered(q, t, samples.scope, samples.period, samples.shop_id)
    if level == "province":
        q = q.join(Shop, Shop.id == t.shop_id).where(Shop.origin_province.is_not(None))
    h = q.group_by(*keys, "bucket").subquery()
    return h, [h.c[f"k{i}"] for i in range(len(keys))]


def _shops_of(session: Session, samples: PickupSamples) -> frozenset[int] | None:
    """The shops the samples cover; None for every shop."""
    shops = samples.scope.shop_ids
    if samples.shop_id is not None:
        shops = (
            frozenset({samples.shop_id}) & shops
            if shops is not None
            else frozenset({samples.shop_id})
        )
    if (
        shops is not None
        and len(shops) > 1
        and shops >= set(session.execute(select(Shop.id)).scalars())
    ):
        return None
    return shops


def latency_percentiles(
    session: Session, samples: PickupSamples, level: str
) -> dict[Any, dict[int, float]]:
    """Nearest-rank p50/p90/p99 (bucket lower edges, hours) per entity of a level (or per
    (province, carrier) for ``"province"``, provinces known only): for a window over all shops
    or one shop, the stored percentiles; otherwise computed in the database from the window
    (other sets of shops) or daily (other periods) histograms."""
    if level in samples._percentiles:
        return samples._percentiles[level]
    out: dict[Any, dict[int, float]] = {}
    province = level == "province"
    if samples.window is not None:
        shops = _shops_of(session, samples)
        if shops is None or len(shops) == 1:
            t = PickupPercentile
            q = select(t.province, t.entity_id, t.p50, t.p90, t.p99).where(
                t.window_days == samples.window,
                t.level == level,
                t.shop_id == (0 if shops is None else next(iter(shops))),
            )
            for prov, entity, *buckets in session.execute(q):
                pcts = {p: bucket_hours(int(b)) for p, b in zip(PERCENTILES, buckets, strict=True)}
                out[(prov, entity or None) if province else entity or None] = pcts
            samples._percentiles[level] = out
            return out
        h, keys = window_histogram(samples.window, level, shops=sorted(shops))
    else:
        h, keys = _daily_histogram(samples, level)
    for row in session.execute(percentile_select(h, keys)):
        k = len(keys)
        key = tuple(row[:k])
        if samples.window is not None:  # entity 0 back to None
            key = (*key[:-1], key[-1] or None)
        out[key if k > 1 else key[0]] = {
            p: bucket_hours(int(b))
            for p, b in zip(PERCENTILES, row[k:], strict=True)
            if b is not None
        }
    samples._percentiles[level] = out
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
        return {
            "name": self.name,
            "carrier": self.carrier_name,
            "shipments": self.shipments,
            "p50_h": h(self.p(50)),
            "p90_h": h(self.p(90)),
            "p99_h": h(self.p(99)),
            "timeout_rate": None if rate is None else round(rate, 4),
            "timeouts": self.timeouts,
            "appeal_share": None if share is None else round(share, 4),
            "feed_stalls": self.feed_stalls,
        }


def _names(session: Session, level: str, locale: str | None) -> dict[int, tuple[str, str]]:
    carrier = Carrier.name_in(locale)
    if level == "carrier":
        return {i: (n, n) for i, n in session.execute(select(Carrier.id, carrier))}
    if level == "outlet":
        return {
            i: (n, c)
            for i, n, c in session.execute(
                select(Outlet.id, Outlet.name, carrier).join(
                    Carrier, Carrier.id == Outlet.carrier_id
                )
            )
        }
    return {
        i: (n, c)
        for i, n, c in session.execute(
            select(Courier.id, Courier.name, carrier)
            .join(Outlet, Outlet.id == Courier.outlet_id)
            .join(Carrier, Carrier.id == Outlet.carrier_id)
        )
    }


LEVEL_INDEX = {"carrier": 3, "outlet": 4, "courier": 5}


def scorecards(
    session: Session, samples: PickupSamples, level: str, locale: str | None = None
) -> list[Scorecard]:
    """Scorecards of one level (carrier, outlet or courier), most shipments first; carriers
    named in ``locale``."""
    if level not in LEVELS:
        raise ValueError(level)
    index = LEVEL_INDEX[level]
    names = _names(session, level, locale)
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


def recommend(
    session: Session,
    scope: Scope,
    period: Period,
    samples: PickupSamples,
    locale: str | None = None,
) -> dict[str, list[Recommendation]]:
    """Per origin province: carriers ranked by expected timeouts, then expected penalty."""
    names = _names(session, "carrier", locale)
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
        out[prov].append(
            Recommendation(
                prov, card.name, 0, card.shipments, card.p(90), card.timeout_rate or 0.0, per_k
            )
        )
    ranked: dict[str, list[Recommendation]] = {}
    for prov in sorted(out):
        rows = sorted(
            out[prov],
            key=lambda r: (r.timeout_rate, r.penalty_per_1000_fen, -r.shipments, r.carrier),
        )
        ranked[prov] = [
            Recommendation(
                r.province,
                r.carrier,
                i + 1,
                r.shipments,
                r.p90_h,
                r.timeout_rate,
                r.penalty_per_1000_fen,
            )
            for i, r in enumerate(rows)
        ]
    return ranked
