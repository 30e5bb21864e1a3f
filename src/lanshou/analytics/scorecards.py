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

Counts are read from the daily aggregates (:mod:`lanshou.analytics.aggregates`),
summed per ISO week in the database. Percentiles of the dashboards' periods (the last 7, 30 or
90 days) come from ``analytics_pickup_percentile`` for all shops or one shop, else they are
computed in the database from the window histograms (other sets of shops) or the daily ones
(other periods) — the same nearest-rank rule everywhere. :func:`raw_samples` and
:func:`raw_pickup_cells` recompute the aggregates from the raw tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from lanshou.adapters.db.dialect import week_start
from lanshou.adapters.db.models import (
    AnalyticsState,
    Carrier,
    Courier,
    Deadline,
    LedgerEntry,
    Order,
    Outlet,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    PickupWindow,
    Shipment,
    Shop,
    Violation,
)
from lanshou.analytics.losses import COUNTED_STATES, scoped
from lanshou.analytics.period import Period, iso_week, local_day
from lanshou.identity.scope import Scope

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


def _sample_rows(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """(shipment, shop, province, carrier, outlet, courier, local day, shipped_at,
    picked_up_at, stalled, pickup deadline id, pickup violation state) per shipment marked
    shipped in the period."""
    dl = aliased(Deadline)
    v = aliased(Violation)
    q = (
        select(
            Shipment.id,
            Shop.id,
            Shop.origin_province,
            Shipment.carrier_id,
            Shipment.outlet_id,
            Shipment.courier_id,
            Shipment.shipped_at,
            Shipment.picked_up_at,
            Shipment.feed_stalled,
            dl.id,
            v.state,
        )
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(dl, and_(dl.shipment_id == Shipment.id, dl.rule_id == PICKUP_RULE))
        .outerjoin(v, and_(v.shipment_id == Shipment.id, v.rule_id == PICKUP_RULE))
        .where(Shipment.shipped_at >= period.start, Shipment.shipped_at < period.end)
    )
    q = scoped(q, Shop.id, scope)
    if shop_id is not None:
        q = q.where(Shop.id == shop_id)
    days: dict[int, date] = {}  # UTC hour → local day (China's offset is whole hours)
    for (
        sid,
        shop,
        prov,
        carrier,
        outlet,
        courier,
        shipped,
        picked,
        stalled,
        dl_id,
        vstate,
    ) in session.execute(q):
        hour = int(shipped.timestamp()) // 3600
        day = days.get(hour)
        if day is None:
            day = days[hour] = local_day(shipped)
        yield (
            sid,
            shop,
            prov,
            carrier,
            outlet,
            courier,
            day,
            shipped,
            picked,
            stalled,
            dl_id,
            vstate,
        )


def raw_samples(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None
) -> list[Sample]:
    """One row per shipment marked shipped in the period, with its pickup outcome."""
    out = []
    for (
        sid,
        shop,
        prov,
        carrier,
        outlet,
        courier,
        day,
        shipped,
        picked,
        stalled,
        dl_id,
        vstate,
    ) in _sample_rows(session, scope, period, shop_id):
        latency = (picked - shipped).total_seconds() / 3600 if picked is not None else None
        out.append(
            Sample(
                sid,
                shop,
                prov,
                carrier,
                outlet,
                courier,
                day,
                latency,
                bool(stalled),
                dl_id is not None,
                vstate in COUNTED_STATES,
                vstate == "reversed",
            )
        )
    return out


def raw_pickup_cells(
    session: Session, scope: Scope, period: Period
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``analytics_pickup_daily`` and ``analytics_pickup_latency`` for the period,
    recomputed from shipments, deadlines, violations and the ledger (what :func:`raw_samples`
    gives, counted)."""
    q = (
        select(Violation.shipment_id, func.sum(LedgerEntry.amount_fen))
        .join(Violation, Violation.id == LedgerEntry.violation_id)
        .join(Shipment, Shipment.id == Violation.shipment_id)
        .where(
            Violation.rule_id == PICKUP_RULE,
            Shipment.shipped_at >= period.start,
            Shipment.shipped_at < period.end,
            LedgerEntry.kind != "points",
        )
        .group_by(Violation.shipment_id)
    )
    q = scoped(q, Violation.shop_id, scope)
    money = {sid: int(v or 0) for sid, v in session.execute(q)}
    daily: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    hist: dict[tuple[Any, ...], int] = defaultdict(int)
    for (
        sid,
        shop,
        _prov,
        carrier,
        outlet,
        courier,
        day,
        shipped,
        picked,
        stalled,
        dl_id,
        vstate,
    ) in _sample_rows(session, scope, period):
        key = (day, shop, carrier, outlet, courier)
        row = daily[key]
        row[0] += 1
        if dl_id is not None:
            row[1] += 1
            if vstate in COUNTED_STATES:
                row[2] += 1
                row[3] += vstate == "reversed"
        row[4] += bool(stalled)
        row[5] += money.get(sid, 0)
        if picked is not None:
            # as raw_samples: hours, then back to seconds
            hist[(*key, bucket_of((picked - shipped).total_seconds() / 3600 * 3600))] += 1
    names = ("day", "shop_id", "carrier_id", "outlet_id", "courier_id")
    counts = ("shipments", "with_deadline", "timeouts", "reversed", "feed_stalls", "penalty_fen")
    return (
        [dict(zip(names + counts, (*k, *v), strict=True)) for k, v in daily.items()],
        [dict(zip((*names, "bucket", "n"), (*k, n), strict=True)) for k, n in hist.items()],
    )


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
    q = scoped(q, table.shop_id, scope)
    if shop_id is not None:
        q = q.where(table.shop_id == shop_id)
    return q


def pickup_samples(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None
) -> PickupSamples:
    """Pickup counts of the shipments marked shipped in the period (aggregated per week)."""
    from lanshou.analytics.aggregates import PICKUP_STATE, WINDOWS, ensure_fresh

    ensure_fresh(session, PICKUP_STATE)
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


def window_histogram(
    window: int, level: str, *, per_shop: bool = False, shops: Sequence[int] | None = None
) -> tuple[Any, list[Any]]:
    """The window's latency histogram of a level as a grouped subquery (k0[, k1], bucket, n;
    with ``per_shop`` the shop first) over all shops or ``shops``; entity 0 means none."""
    w = PickupWindow
    keys: list[Any] = [w.shop_id] if per_shop else []
    keys += [Shop.origin_province, w.entity_id] if level == "province" else [w.entity_id]
    q = select(
        *(k.label(f"k{i}") for i, k in enumerate(keys)),
        w.bucket.label("bucket"),
        func.sum(w.n).label("n"),
    ).where(w.window_days == window, w.level == ("carrier" if level == "province" else level))
    if shops is not None:
        q = q.where(w.shop_id.in_(sorted(shops) or [-1]))
    if level == "province":
        q = q.join(Shop, Shop.id == w.shop_id).where(Shop.origin_province.is_not(None))
    h = q.group_by(*keys, "bucket").subquery()
    return h, [h.c[f"k{i}"] for i in range(len(keys))]


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


def percentile_select(h: Any, keys: list[Any]) -> Any:
    """keys…, then the p50/p90/p99 buckets of the histogram subquery ``h`` per key: the first
    bucket whose cumulative count reaches p % of the key's total (nearest rank)."""
    c = select(
        *keys,
        h.c.bucket,
        func.sum(h.c.n).over(partition_by=keys, order_by=h.c.bucket).label("cum"),
        func.sum(h.c.n).over(partition_by=keys).label("total"),
    ).subquery()
    ck = [c.c[k.name] for k in keys]
    return select(
        *ck,
        *(
            func.min(case((c.c.cum * 100 >= p * c.c.total, c.c.bucket))).label(f"p{p}")
            for p in PERCENTILES
        ),
    ).group_by(*ck)


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


def _names(session: Session, level: str) -> dict[int, tuple[str, str]]:
    if level == "carrier":
        return {i: (n, n) for i, n in session.execute(select(Carrier.id, Carrier.name_zh))}
    if level == "outlet":
        return {
            i: (n, c)
            for i, n, c in session.execute(
                select(Outlet.id, Outlet.name, Carrier.name_zh).join(
                    Carrier, Carrier.id == Outlet.carrier_id
                )
            )
        }
    return {
        i: (n, c)
        for i, n, c in session.execute(
            select(Courier.id, Courier.name, Carrier.name_zh)
            .join(Outlet, Outlet.id == Courier.outlet_id)
            .join(Carrier, Carrier.id == Outlet.carrier_id)
        )
    }


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


def recommend(
    session: Session, scope: Scope, period: Period, samples: PickupSamples
) -> dict[str, list[Recommendation]]:
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
