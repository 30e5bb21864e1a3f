"""The pickup aggregates recomputed from the raw tables: what ``analytics_pickup_daily`` and
``analytics_pickup_latency`` hold, day by day (definitions in :mod:`lanshou.analytics.scorecards`).

The refresh (:mod:`lanshou.analytics.aggregates`) stores these cells and the scorecards read
them back, so they live below both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from lanshou.adapters.db.models import Deadline, LedgerEntry, Order, Shipment, Shop, Violation
from lanshou.analytics.latency import bucket_of
from lanshou.analytics.loss_cells import COUNTED_STATES
from lanshou.analytics.period import Period, local_day
from lanshou.analytics.pickup_rules import (
    PickupRules,
    among_pickup_rules,
    one_pickup_rule_per_profile,
)
from lanshou.analytics.scoping import scoped
from lanshou.identity import Scope

PICKUP_KEY = ("day", "shop_id", "carrier_id", "outlet_id", "courier_id")
PICKUP_VALUES = ("shipments", "with_deadline", "timeouts", "reversed", "feed_stalls", "penalty_fen")


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


class Shipped(NamedTuple):
    """A shipment marked shipped in the period, with its pickup deadline and violation."""

    shipment_id: int
    shop_id: int
    province: str | None
    carrier_id: int | None
    outlet_id: int | None
    courier_id: int | None
    day: date  # local day of shipped_at
    shipped_at: datetime
    picked_up_at: datetime | None
    stalled: bool | None
    deadline_id: int | None  # the pickup deadline
    violation_state: str | None  # of the pickup violation

    @property
    def latency_h(self) -> float | None:
        if self.picked_up_at is None:
            return None
        return (self.picked_up_at - self.shipped_at).total_seconds() / 3600


def shipped_rows(
    session: Session,
    scope: Scope,
    period: Period,
    pickup_rules: PickupRules,
    shop_id: int | None = None,
) -> Iterator[Shipped]:
    """Each shipment marked shipped in the period with its pickup deadline and violation (of
    ``pickup_rules``, at most one per profile)."""
    one_pickup_rule_per_profile(pickup_rules)
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
        .outerjoin(
            dl,
            and_(
                dl.shipment_id == Shipment.id,
                among_pickup_rules(dl.profile, dl.rule_id, pickup_rules),
            ),
        )
        .outerjoin(
            v,
            and_(
                v.shipment_id == Shipment.id,
                among_pickup_rules(v.profile, v.rule_id, pickup_rules),
            ),
        )
        .where(Shipment.shipped_at >= period.start, Shipment.shipped_at < period.end)
    )
    q = scoped(q, Shop.id, scope, shop_id)
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
        assert shipped is not None  # the period's bounds leave out unshipped rows
        hour = int(shipped.timestamp()) // 3600
        day = days.get(hour)
        if day is None:
            day = days[hour] = local_day(shipped)
        yield Shipped(
            sid, shop, prov, carrier, outlet, courier, day, shipped, picked, stalled, dl_id, vstate
        )


def raw_samples(
    session: Session,
    scope: Scope,
    period: Period,
    pickup_rules: PickupRules,
    shop_id: int | None = None,
) -> list[Sample]:
    """One row per shipment marked shipped in the period, with its pickup outcome."""
    return [
        Sample(
            r.shipment_id,
            r.shop_id,
            r.province,
            r.carrier_id,
            r.outlet_id,
            r.courier_id,
            r.day,
            r.latency_h,
            bool(r.stalled),
            r.deadline_id is not None,
            r.violation_state in COUNTED_STATES,
            r.violation_state == "reversed",
        )
        for r in shipped_rows(session, scope, period, pickup_rules, shop_id)
    ]


def raw_pickup_cells(
    session: Session, scope: Scope, period: Period, pickup_rules: PickupRules
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``analytics_pickup_daily`` and ``analytics_pickup_latency`` for the period,
    recomputed from shipments, deadlines, violations and the ledger (what :func:`raw_samples`
    gives, counted)."""
    q = (
        select(Violation.shipment_id, func.sum(LedgerEntry.amount_fen))
        .join(Violation, Violation.id == LedgerEntry.violation_id)
        .join(Shipment, Shipment.id == Violation.shipment_id)
        .where(
            among_pickup_rules(Violation.profile, Violation.rule_id, pickup_rules),
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
    # unpacked, not read by attribute: this loop runs once per shipment of the rebuilt days
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
    ) in shipped_rows(session, scope, period, pickup_rules):
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
            # as Shipped.latency_h: hours, then back to seconds
            hist[(*key, bucket_of((picked - shipped).total_seconds() / 3600 * 3600))] += 1
    return (
        [dict(zip(PICKUP_KEY + PICKUP_VALUES, (*k, *v), strict=True)) for k, v in daily.items()],
        [dict(zip((*PICKUP_KEY, "bucket", "n"), (*k, n), strict=True)) for k, n in hist.items()],
    )
