"""Money and points that follow a violation: compensation, fines (with caps), points.

Compensation is per shipment and rule. Fines and points are capped per order, per shop and
local day (the profile's zone, on the deadline) and per week, so they are allocated over the
full set of a shop's violations in one pure function — the DB layer can recompute a shop-day
after a change (an appeal won, a late pickup scan) and post the difference as a correction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from lanshou.domain.rules.profile import Compensation, Profile

__all__ = [
    "CENT",
    "FineCandidate",
    "allocate_fines",
    "allocate_points",
    "compensation_for",
    "round_money",
    "unit_price",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal) -> Decimal:
    """Round to 0.01, half up (¥0.005 -> ¥0.01)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price(amount: Decimal, quantity: int, max_unit_price: Decimal | None) -> Decimal:
    """Highest item unit price; without item data, amount ÷ quantity rounded to 0.01."""
    if max_unit_price is not None:
        return max_unit_price
    return round_money(amount / max(quantity, 1))


def compensation_for(comp: Compensation, base: Decimal) -> Decimal:
    """Apply the first tier whose bound admits `base` (`up_to` inclusive, `below` exclusive)."""
    for tier in comp.tiers:
        if tier.up_to is not None and base > tier.up_to:
            continue
        if tier.below is not None and base >= tier.below:
            continue
        if tier.fixed is not None:
            return round_money(tier.fixed)
        assert tier.percent is not None
        value = round_money(base * tier.percent / 100)
        if tier.min is not None:
            value = max(value, tier.min)
        if tier.max is not None:
            value = min(value, tier.max)
        return round_money(value)
    raise AssertionError("the last tier is open-ended by validation")


@dataclass(frozen=True)
class FineCandidate:
    """A late, non-exempt rule outcome that may carry a fine or points."""

    shipment_key: str
    rule_id: str
    order_id: str
    shop_id: str
    deadline: dt.datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.shipment_key, self.rule_id)

    def sort_key(self) -> tuple[dt.datetime, str, str]:
        return (self.deadline, self.shipment_key, self.rule_id)


def allocate_fines(
    violations: Iterable[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Decimal]:
    """Fine per (shipment_key, rule_id) after the per-order and per-shop-day caps.

    Violations are taken in (deadline, shipment_key, rule_id) order. The first `max_per_order`
    violations of an order are eligible (a violation zeroed by the shop-day cap still uses its
    order slot); eligible fines then fill the shop's local-day budget, the last one partially.
    """
    max_per_order, day_cap = profile.fine_caps()
    tz = profile.tz
    per_order: dict[str, int] = defaultdict(int)
    per_day: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    out: dict[tuple[str, str], Decimal] = {}
    for v in sorted(violations, key=FineCandidate.sort_key):
        fine = profile.rule(v.rule_id).consequences.fine
        if fine is None:
            out[v.key] = ZERO
            continue
        per_order[v.order_id] += 1
        if max_per_order is not None and per_order[v.order_id] > max_per_order:
            out[v.key] = ZERO
            continue
        day = (v.shop_id, v.deadline.astimezone(tz).date())
        amount = fine.amount
        if day_cap is not None:
            amount = max(ZERO, min(amount, day_cap - per_day[day]))
        per_day[day] += fine.amount
        out[v.key] = round_money(amount)
    return out


def allocate_points(
    violations: Iterable[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Decimal]:
    """Points per (shipment_key, rule_id), capped per shop per local day and ISO week."""
    tz = profile.tz
    used_day: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    used_week: dict[tuple[str, int, int], Decimal] = defaultdict(Decimal)
    out: dict[tuple[str, str], Decimal] = {}
    for v in sorted(violations, key=FineCandidate.sort_key):
        points = profile.rule(v.rule_id).consequences.points
        if points is None:
            out[v.key] = Decimal(0)
            continue
        local = v.deadline.astimezone(tz).date()
        iso = local.isocalendar()
        dkey, wkey = (v.shop_id, local), (v.shop_id, iso.year, iso.week)
        p = points.per_event
        if points.max_per_day is not None:
            p = min(p, points.max_per_day - used_day[dkey])
        if points.max_per_week is not None:
            p = min(p, points.max_per_week - used_week[wkey])
        p = max(p, Decimal(0))
        used_day[dkey] += p
        used_week[wkey] += p
        out[v.key] = p
    return out
