"""The cap allocator: one violation at a time, the caps' state carried along.

`allocate` (all at once) must give what the allocation before the allocator gave (kept below as
the reference), and a stream cut into batches, with each batch's per-order counts given from
outside as the fines service reads them, must give what `allocate` gives.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.caps import MONDAY, RULES, TIGHT

from lanshou.domain.rules import load_profile
from lanshou.domain.rules.consequences import (
    ZERO,
    Allocation,
    CapAllocator,
    FineCandidate,
    allocate,
    round_money,
)
from lanshou.domain.rules.profile import Profile

DOUYIN = load_profile("douyin")


def reference(
    violations: list[FineCandidate], profile: Profile
) -> dict[tuple[str, str], Allocation]:
    """allocate_fines and allocate_points as they were before the allocator (commit 936ee9c)."""
    max_per_order, day_cap = profile.fine_caps()
    tz = profile.tz
    per_order: dict[str, int] = defaultdict(int)
    per_day: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    fines: dict[tuple[str, str], Decimal] = {}
    for v in sorted(violations, key=FineCandidate.sort_key):
        fine = profile.rule(v.rule_id).consequences.fine
        if fine is None:
            fines[v.key] = ZERO
            continue
        per_order[v.order_id] += 1
        if max_per_order is not None and per_order[v.order_id] > max_per_order:
            fines[v.key] = ZERO
            continue
        day = (v.shop_id, v.deadline.astimezone(tz).date())
        amount = fine.amount
        if day_cap is not None:
            amount = max(ZERO, min(amount, day_cap - per_day[day]))
        per_day[day] += fine.amount
        fines[v.key] = round_money(amount)
    used_day: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    used_week: dict[tuple[str, int, int], Decimal] = defaultdict(Decimal)
    points: dict[tuple[str, str], Decimal] = {}
    for v in sorted(violations, key=FineCandidate.sort_key):
        rule_points = profile.rule(v.rule_id).consequences.points
        if rule_points is None:
            points[v.key] = Decimal(0)
            continue
        local = v.deadline.astimezone(tz).date()
        iso = local.isocalendar()
        dkey, wkey = (v.shop_id, local), (v.shop_id, iso.year, iso.week)
        p = rule_points.per_event
        if rule_points.max_per_day is not None:
            p = min(p, rule_points.max_per_day - used_day[dkey])
        if rule_points.max_per_week is not None:
            p = min(p, rule_points.max_per_week - used_week[wkey])
        p = max(p, Decimal(0))
        used_day[dkey] += p
        used_week[wkey] += p
        points[v.key] = p
    return {key: Allocation(fines[key], points[key]) for key in fines}


@st.composite
def violation_sets(draw: st.DrawFn) -> list[FineCandidate]:
    """Up to 40 violations of 3 shops and 8 orders (order o belongs to shop o % 3), up to 3
    shipments an order and both rules a shipment, deadlines on a 3-hour grid over 9 days from a
    Monday (ties, several days and two ISO weeks)."""
    slots = draw(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 2), st.sampled_from(RULES)),
            max_size=40,
            unique=True,
        )
    )
    return [
        FineCandidate(
            f"k{order}-{shipment}",
            rule,
            f"o{order}",
            f"s{order % 3}",
            MONDAY + dt.timedelta(hours=3 * draw(st.integers(0, 72))),
        )
        for order, shipment, rule in slots
    ]


@settings(max_examples=300, deadline=None)
@given(violations=violation_sets(), tight=st.booleans())
def test_allocating_all_at_once_gives_what_the_allocation_before_the_allocator_gave(
    violations: list[FineCandidate], tight: bool
) -> None:
    profile = TIGHT if tight else DOUYIN
    assert allocate(violations, profile) == reference(violations, profile)


@settings(max_examples=300, deadline=None)
@given(violations=violation_sets(), size=st.integers(1, 5), tight=st.booleans())
def test_a_stream_in_batches_with_the_order_counts_given_per_batch_gives_the_same(
    violations: list[FineCandidate], size: int, tight: bool
) -> None:
    """Batches of `size` in sort order, cut anywhere (in a day, between an order's violations),
    each starting from the count of every earlier fined violation of its orders."""
    profile = TIGHT if tight else DOUYIN
    stream = sorted(violations, key=FineCandidate.sort_key)
    allocator = CapAllocator(profile)
    got: dict[tuple[str, str], Allocation] = {}
    for start in range(0, len(stream), size):
        batch = stream[start : start + size]
        earlier = stream[:start]
        allocator.count_orders(
            {
                v.order_id: sum(
                    1
                    for e in earlier
                    if e.order_id == v.order_id and profile.rule(e.rule_id).consequences.fine
                )
                for v in batch
            }
        )
        got.update((v.key, allocator.take(v)) for v in batch)
    assert got == allocate(violations, profile)


def candidate(key: str, rule: str, order: str, at: dt.datetime) -> FineCandidate:
    return FineCandidate(key, rule, order, "shop", at)


def test_a_day_cut_between_batches_keeps_its_budget_and_an_order_its_count() -> None:
    """Sunday 15th and Monday 16th November: the 15th's third fine is cut to 5 yuan, its fourth
    is nothing, and order A's third violation, in a later batch, takes no fine."""
    sunday = MONDAY - dt.timedelta(days=1)
    allocator = CapAllocator(TIGHT)
    first = [
        candidate("A1", "ship_timeout", "A", sunday.replace(hour=8)),
        candidate("B1", "ship_timeout", "B", sunday.replace(hour=8)),
        candidate("C1", "ship_timeout", "C", sunday.replace(hour=9)),
    ]
    assert [allocator.take(v) for v in first] == [
        Allocation(Decimal("10.00"), Decimal("0.1")),
        Allocation(Decimal("10.00"), Decimal("0.1")),
        Allocation(Decimal("5.00"), Decimal("0.1")),
    ]
    allocator.count_orders({"A": 1})
    assert allocator.take(candidate("A1", "pickup_timeout", "A", sunday.replace(hour=10))) == (
        Allocation(Decimal("0.00"), Decimal("0.0"))
    )
    allocator.count_orders({"A": 2, "D": 0})
    monday = [
        candidate("A2", "pickup_timeout", "A", MONDAY.replace(hour=8)),
        candidate("D1", "ship_timeout", "D", MONDAY.replace(hour=8)),
    ]
    assert [allocator.take(v) for v in monday] == [
        Allocation(Decimal("0.00"), Decimal("0.1")),
        Allocation(Decimal("10.00"), Decimal("0.1")),
    ]


def test_the_week_budget_of_points_carries_over_days_but_not_over_weeks() -> None:
    allocator = CapAllocator(TIGHT)
    week = [
        candidate(f"K{i}", "ship_timeout", f"O{i}", MONDAY + dt.timedelta(days=i // 3, hours=i))
        for i in range(7)
    ]
    assert [allocator.take(v).points for v in week] == [
        Decimal("0.1"),
        Decimal("0.1"),
        Decimal("0.1"),
        Decimal("0.1"),
        Decimal("0.1"),
        Decimal("0.0"),
        Decimal("0.0"),
    ]
    next_monday = candidate("N", "ship_timeout", "N", MONDAY + dt.timedelta(days=7))
    assert allocator.take(next_monday).points == Decimal("0.1")


def test_a_violation_sorting_before_the_last_of_its_shop_is_refused() -> None:
    allocator = CapAllocator(DOUYIN)
    allocator.take(candidate("B", "ship_timeout", "O1", MONDAY))
    allocator.take(FineCandidate("A", "ship_timeout", "O2", "other shop", MONDAY))
    with pytest.raises(ValueError, match="sorts before the last violation of shop shop"):
        allocator.take(candidate("A", "ship_timeout", "O2", MONDAY))
