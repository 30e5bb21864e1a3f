"""Fines and points re-allocated a batch of violations at a time book what one pass over all of
them books: the same entries and audit records as a batch holding everything, and the nets the
domain's all-at-once allocation gives."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    AuditEvent,
    LedgerEntry,
    Order,
    Platform,
    Shipment,
    Shop,
    Violation,
)
from lanshou.domain.money import to_fen
from lanshou.domain.rules.consequences import FineCandidate, allocate
from lanshou.enforcement import fines, ledger
from tests.caps import MONDAY, NOW, RULES, STATES, TIGHT, Spec

_names = itertools.count(1)


def build(s: Session, specs: list[Spec]) -> tuple[list[int], list[int]]:
    """Shops, orders, shipments and violations of the specs: (shop ids, violation ids)."""
    if s.get(Platform, 1) is None:
        s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
        s.flush()
    n = next(_names)
    shops: dict[int, Shop] = {}
    orders: dict[int, Order] = {}
    shipments: dict[tuple[int, int], Shipment] = {}
    violations = []
    for shop_no, order_no, shipment_no, rule, deadline, state in specs:
        if shop_no not in shops:
            shops[shop_no] = Shop(platform_id=1, code=f"f{n}-{shop_no}", name=f"f{n}-{shop_no}")
            s.add(shops[shop_no])
            s.flush()
        if order_no not in orders:
            orders[order_no] = Order(
                shop_id=shops[shop_no].id,
                external_id=f"o{order_no}",
                status="shipped",
                paid_at=MONDAY,
                amount_fen=100,
                quantity=1,
                created_at=MONDAY,
                updated_at=MONDAY,
            )
            s.add(orders[order_no])
            s.flush()
        key = (order_no, shipment_no)
        if key not in shipments:
            shipments[key] = Shipment(
                order_id=orders[order_no].id,
                key=f"k{order_no}-{shipment_no}",
                status="created",
                amount_fen=100,
            )
            s.add(shipments[key])
            s.flush()
        v = Violation(
            shipment_id=shipments[key].id,
            order_id=orders[order_no].id,
            shop_id=shops[shop_no].id,
            profile="douyin",
            rule_id=rule,
            started_at=deadline - timedelta(hours=24),
            deadline=deadline,
            state=state,
            explanation="",
            detected_at=deadline,
            updated_at=deadline,
        )
        s.add(v)
        violations.append(v)
    s.flush()
    return sorted(shop.id for shop in shops.values()), [v.id for v in violations]


def reallocate(s: Session, shop_ids: list[int], since: datetime) -> int:
    bookings = ledger.Bookings()
    moves = fines.reallocate_fines(
        s, {shop_id: (since, TIGHT) for shop_id in shop_ids}, NOW, "system", bookings=bookings
    )
    bookings.flush(s)
    ledger.audit_pending(s)
    return moves


def nets(s: Session, violation_ids: list[int]) -> list[tuple[int, Decimal]]:
    """(fine fen, points) per violation: the sums of its entries."""
    sums = {
        (vid, kind): (int(fen), Decimal(pts))
        for vid, kind, fen, pts in s.execute(
            select(
                LedgerEntry.violation_id,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount_fen),
                func.sum(LedgerEntry.points),
            ).group_by(LedgerEntry.violation_id, LedgerEntry.kind)
        )
    }
    return [
        (sums.get((vid, "fine"), (0, Decimal(0)))[0], sums.get((vid, "points"), (0, Decimal(0)))[1])
        for vid in violation_ids
    ]


def marks(s: Session) -> tuple[int, int]:
    """The last ledger entry and audit record ids."""
    return (
        s.execute(select(func.coalesce(func.max(LedgerEntry.id), 0))).scalar_one(),
        s.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one(),
    )


def booked_since(s: Session, mark: tuple[int, int]) -> tuple[list[Any], list[Any]]:
    """The entries and ledger audit records after ``mark``, new entries named by position (a
    rolled-back run leaves a gap in PostgreSQL's ids)."""
    entries = list(
        s.execute(
            select(LedgerEntry).where(LedgerEntry.id > mark[0]).order_by(LedgerEntry.id)
        ).scalars()
    )
    position = {e.id: ("new", n) for n, e in enumerate(entries)}
    records = s.execute(
        select(AuditEvent)
        .where(AuditEvent.id > mark[1], AuditEvent.entity_type == "ledger_entry")
        .order_by(AuditEvent.id)
    ).scalars()
    return (
        [
            (
                e.shop_id,
                e.violation_id,
                e.kind,
                e.amount_fen,
                Decimal(e.points),
                e.memo,
                position.get(e.reverses_id, e.reverses_id),
            )
            for e in entries
        ],
        [
            (
                position[r.entity_id],
                r.action,
                r.actor,
                r.reason,
                {
                    **r.data,
                    "reverses_id": position.get(r.data["reverses_id"], r.data["reverses_id"]),
                },
            )
            for r in records
        ],
    )


@st.composite
def worlds(draw: st.DrawFn) -> list[Spec]:
    """Up to 30 violations of 2–3 shops and 8 orders, up to 3 shipments an order and both rules
    a shipment, deadlines on a 3-hour grid over 9 days from a Monday, any state."""
    shops = draw(st.integers(2, 3))
    slots = draw(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 2), st.sampled_from(RULES)),
            min_size=1,
            max_size=30,
            unique=True,
        )
    )
    return [
        (
            order % shops,
            order,
            shipment,
            rule,
            MONDAY + timedelta(hours=3 * draw(st.integers(0, 72))),
            draw(st.sampled_from(STATES)),
        )
        for order, shipment, rule in slots
    ]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    world=worlds(),
    since=st.integers(0, 9 * 8 - 1),
    batch=st.integers(1, 4),
    group=st.sampled_from((1, 2, 100)),
)
def test_batches_of_violations_book_what_one_pass_over_all_books(
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    world: list[Spec],
    since: int,
    batch: int,
    group: int,
) -> None:
    """Allocated first with every violation confirmed, then the drawn states set and the
    shops re-allocated from a drawn time on: in batches of 1–4 violations (days and orders cut
    anywhere, earlier weeks before the window), and in one batch holding everything."""
    since_at = MONDAY + timedelta(hours=3 * since)
    with sessions() as s:
        shop_ids, ids = build(s, [(*spec[:5], "confirmed") for spec in world])
        reallocate(s, shop_ids, MONDAY)
        for vid, spec in zip(ids, world, strict=True):
            s.get_one(Violation, vid).state = spec[5]
        s.commit()
        before = nets(s, ids)
        mark = marks(s)
    runs = []
    for size, shops_per_group in ((batch, group), (10**6, 100)):
        monkeypatch.setattr(fines, "VIOLATIONS_PER_BATCH", size)
        monkeypatch.setattr(fines, "SHOPS_PER_GROUP", shops_per_group)
        with sessions() as s:
            reallocate(s, shop_ids, since_at)
            runs.append((booked_since(s, mark), nets(s, ids)))
            s.rollback()
    assert runs[0] == runs[1]

    slotted = [
        (vid, FineCandidate(f"k{o}-{sh}", rule, f"o{o}", f"s{shop}", at))
        for vid, (shop, o, sh, rule, at, state) in zip(ids, world, strict=True)
        if state in fines.SLOT_STATES
    ]
    allocation = allocate([c for _, c in slotted], TIGHT)
    day_start = fines.local_day_start(since_at, TIGHT)
    expected = []
    for vid, was, (_, _, _, _, at, state) in zip(ids, before, world, strict=True):
        if at < day_start or state == "reversed":
            expected.append(was)  # left alone
        elif state in fines.FINED_STATES:
            a = allocation[next(c.key for v, c in slotted if v == vid)]
            expected.append((to_fen(a.fine), a.points))
        else:
            expected.append((0, Decimal(0)))
    assert runs[0][1] == expected


def test_batch_boundaries_in_a_day_and_in_an_order_keep_the_caps(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two violations (a shared deadline stays in one batch). Sunday: A's and B's
    08:00 violations, C's at 09:00 (the day's third fine, cut to 5 yuan), A's second at 10:00
    (nothing left of the day); Monday, a new ISO week: A's third (no fine: the order's count
    carries over the batch) and D's two."""
    monkeypatch.setattr(fines, "VIOLATIONS_PER_BATCH", 2)
    sunday = MONDAY - timedelta(days=1)
    world: list[Spec] = [
        (0, 0, 1, "ship_timeout", sunday.replace(hour=8), "confirmed"),
        (0, 1, 1, "ship_timeout", sunday.replace(hour=8), "confirmed"),
        (0, 2, 1, "ship_timeout", sunday.replace(hour=9), "confirmed"),
        (0, 0, 1, "pickup_timeout", sunday.replace(hour=10), "confirmed"),
        (0, 0, 2, "pickup_timeout", MONDAY.replace(hour=8), "confirmed"),
        (0, 3, 1, "ship_timeout", MONDAY.replace(hour=8), "confirmed"),
        (0, 3, 1, "pickup_timeout", MONDAY.replace(hour=9), "confirmed"),
    ]
    tenth = Decimal("0.1")
    with sessions() as s:
        shop_ids, ids = build(s, world)
        assert reallocate(s, shop_ids, sunday) == 11
        s.commit()
        assert nets(s, ids) == [
            (1000, tenth),
            (1000, tenth),
            (500, tenth),
            (0, Decimal(0)),
            (0, tenth),
            (1000, tenth),
            (1000, tenth),
        ]
        # From Monday on, Sunday is outside the window: A's count comes from before it.
        assert reallocate(s, shop_ids, MONDAY) == 0

        # B's violation exempted: C gets a whole fine, A's second the 5 left of Sunday.
        s.get_one(Violation, ids[1]).state = "exempt"
        mark = marks(s)
        assert reallocate(s, shop_ids, sunday) == 5
        s.commit()
        assert nets(s, ids) == [
            (1000, tenth),
            (0, Decimal(0)),
            (1000, tenth),
            (500, tenth),
            (0, tenth),
            (1000, tenth),
            (1000, tenth),
        ]
        entries, records = booked_since(s, mark)
    assert [e[1:6] for e in entries] == [
        (ids[1], "fine", -1000, Decimal(0), "reversal: ship_timeout fine"),
        (ids[1], "points", 0, -tenth, "reversal: ship_timeout points"),
        (ids[2], "fine", -500, Decimal(0), "reversal: ship_timeout fine"),
        (ids[2], "fine", 1000, Decimal(0), "ship_timeout fine"),
        (ids[3], "fine", 500, Decimal(0), "pickup_timeout fine"),
        (ids[3], "points", 0, tenth, "pickup_timeout points"),
    ]
    assert [e[6] is None for e in entries] == [False, False, False, True, True, True]
    assert [(r[0], r[1], r[2], r[3]) for r in records] == [
        (("new", n), "booked", "system", e[5]) for n, e in enumerate(entries)
    ]
