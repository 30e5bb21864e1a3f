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
from fractions import Fraction
from math import floor

from lanshou.domain.rules.profile import Compensation, Consequences, Profile

__all__ = [
    "CENT",
    "Allocation",
    "CapAllocator",
    "FineCandidate",
    "allocate",
    "allocate_fines",
    "allocate_points",
    "compensation_for",
    "round_money",
    "unit_price",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal | Fraction) -> Decimal:
    """Round to 0.01, half up (¥0.005 -> ¥0.01; -¥0.005 -> -¥0.01), exactly for a fraction."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    cents = floor(abs(value) * 100 + Fraction(1, 2))
    return (Decimal(cents if value >= 0 else -cents) / 100).quantize(CENT)


def unit_price(amount: Decimal, quantity: int, max_unit_price: Decimal | None) -> Fraction:
    """Highest item unit price; without item data, amount ÷ quantity exactly.

    Not rounded: the tier is chosen on the exact price (9.01 ÷ 3 = 3.0033… is above 3.00), and
    only the money that results is rounded to the fen.
    """
    if max_unit_price is not None:
        return Fraction(max_unit_price)
    return Fraction(amount) / max(quantity, 1)


def compensation_for(comp: Compensation, base: Decimal | Fraction) -> Decimal:
    """Apply the first tier whose bound admits `base` (`up_to` inclusive, `below` exclusive)."""
    exact = Fraction(base)
    for tier in comp.tiers:
        if tier.up_to is not None and exact > Fraction(tier.up_to):
            continue
        if tier.below is not None and exact >= Fraction(tier.below):
            continue
        if tier.fixed is not None:
            return round_money(tier.fixed)
        assert tier.percent is not None
        value = round_money(exact * Fraction(tier.percent) / 100)
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


@dataclass(frozen=True)
class Allocation:
    """A violation's fine and points after the caps."""

    fine: Decimal
    points: Decimal


@dataclass
class _ShopCaps:
    """What a shop has used of its caps on its current local day and ISO week."""

    day: dt.date
    week: tuple[int, int]
    fined_today: Decimal = ZERO
    points_today: Decimal = Decimal(0)
    points_this_week: Decimal = Decimal(0)


class CapAllocator:
    """Fines and points of violations taken one by one in (deadline, shipment_key, rule_id)
    order, the state of the caps carried from one to the next.

    The first ``max_per_order`` fined violations of an order are eligible (a violation zeroed
    by the shop-day cap still uses its order slot); eligible fines fill the shop's local-day
    budget, the last one partially. Points fill the shop's local-day and ISO-week budgets.

    Only the current day and week of each shop are kept, so a stream of any length holds the
    state of a few shops, plus the per-order counts, which a caller streaming in batches
    replaces per batch with :meth:`count_orders` (an order's violations may be far apart).
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._max_per_order, self._day_cap = profile.fine_caps()
        self._per_order: dict[str, int] = defaultdict(int)
        self._shops: dict[str, _ShopCaps] = {}
        self._last: dict[str, tuple[dt.datetime, str, str]] = {}

    def count_orders(self, counts: dict[str, int]) -> None:
        """Start from these per-order counts: how many violations of each order with a fine
        were taken before (orders not named: none)."""
        self._per_order = defaultdict(int, counts)

    def take(self, v: FineCandidate) -> Allocation:
        """The fine and points of ``v``; no violation of its shop may sort before the last."""
        order = v.sort_key()
        if order < self._last.get(v.shop_id, order):
            raise ValueError(f"{v.key} sorts before the last violation of shop {v.shop_id}")
        self._last[v.shop_id] = order
        caps = self._caps(v)
        consequences = self.profile.rule(v.rule_id).consequences
        return Allocation(
            ZERO if consequences.fine is None else self._fine(v, consequences.fine.amount, caps),
            Decimal(0) if consequences.points is None else self._points(consequences, caps),
        )

    def _caps(self, v: FineCandidate) -> _ShopCaps:
        local = v.deadline.astimezone(self.profile.tz).date()
        caps = self._shops.get(v.shop_id)
        if caps is not None and caps.day == local:
            return caps
        iso = local.isocalendar()
        fresh = _ShopCaps(local, (iso.year, iso.week))
        if caps is not None and caps.week == fresh.week:
            fresh.points_this_week = caps.points_this_week
        self._shops[v.shop_id] = fresh
        return fresh

    def _fine(self, v: FineCandidate, fine: Decimal, caps: _ShopCaps) -> Decimal:
        self._per_order[v.order_id] += 1
        if self._max_per_order is not None and self._per_order[v.order_id] > self._max_per_order:
            return ZERO
        amount = fine
        if self._day_cap is not None:
            amount = max(ZERO, min(amount, self._day_cap - caps.fined_today))
        caps.fined_today += fine
        return round_money(amount)

    def _points(self, consequences: Consequences, caps: _ShopCaps) -> Decimal:
        points = consequences.points
        assert points is not None
        p = points.per_event
        if points.max_per_day is not None:
            p = min(p, points.max_per_day - caps.points_today)
        if points.max_per_week is not None:
            p = min(p, points.max_per_week - caps.points_this_week)
        p = max(p, Decimal(0))
        caps.points_today += p
        caps.points_this_week += p
        return p


def allocate(
    violations: Iterable[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Allocation]:
    """Fine and points per (shipment_key, rule_id) of a whole set of violations (sorted here)."""
    allocator = CapAllocator(profile)
    return {v.key: allocator.take(v) for v in sorted(violations, key=FineCandidate.sort_key)}


def allocate_fines(
    violations: Iterable[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Decimal]:
    """Fine per (shipment_key, rule_id) after the per-order and per-shop-day caps."""
    return {key: a.fine for key, a in allocate(violations, profile).items()}


def allocate_points(
    violations: Iterable[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Decimal]:
    """Points per (shipment_key, rule_id), capped per shop per local day and ISO week."""
    return {key: a.points for key, a in allocate(violations, profile).items()}
