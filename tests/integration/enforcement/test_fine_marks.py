"""A bulk run that marks shops per chunk and re-allocates their fines once at its end books what
one re-allocation of everything books: the same ledger entries and audit records, in the same
order, and the nets a re-allocation after every chunk (the behaviour before marks) reaches. A
run killed between chunks, or half-way through its drain, leaves marks that a later drain (the
sweep's) or a live re-allocation of the shop honours, to the same end state."""

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
    FineMark,
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


class Copy:
    """One copy of a world: its own shops (so copies side by side in one database never share
    caps), built a chunk of violations at a time."""

    def __init__(self, s: Session) -> None:
        if s.get(Platform, 1) is None:
            s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
            s.flush()
        self.name = f"m{next(_names)}"
        self.shops: dict[int, int] = {}
        self.orders: dict[int, int] = {}
        self.shipments: dict[tuple[int, int], int] = {}
        self.violations: dict[int, int] = {}  # violation id -> index of its spec

    def add(self, s: Session, specs: list[tuple[int, Spec]]) -> dict[int, tuple[datetime, Any]]:
        """Insert the violations of ``specs`` ((index, spec) pairs); each shop's earliest
        deadline among them, as the evaluation notes it (a shop whose slots moved)."""
        touched: dict[int, tuple[datetime, Any]] = {}
        for index, (shop_no, order_no, shipment_no, rule, deadline, state) in specs:
            self.add_shops(s, [shop_no])
            shop_id = self.shops[shop_no]
            if order_no not in self.orders:
                order = Order(
                    shop_id=shop_id,
                    external_id=f"o{order_no}",
                    status="shipped",
                    paid_at=MONDAY,
                    amount_fen=100,
                    quantity=1,
                    created_at=MONDAY,
                    updated_at=MONDAY,
                )
                s.add(order)
                s.flush()
                self.orders[order_no] = order.id
            key = (order_no, shipment_no)
            if key not in self.shipments:
                shipment = Shipment(
                    order_id=self.orders[order_no],
                    key=f"k{order_no}-{shipment_no}",
                    status="created",
                    amount_fen=100,
                )
                s.add(shipment)
                s.flush()
                self.shipments[key] = shipment.id
            v = Violation(
                shipment_id=self.shipments[key],
                order_id=self.orders[order_no],
                shop_id=shop_id,
                profile="douyin",
                rule_id=rule,
                started_at=deadline - timedelta(hours=24),
                deadline=deadline,
                state=state,
                explanation="",
                detected_at=NOW,
                updated_at=NOW,
            )
            s.add(v)
            s.flush()
            self.violations[v.id] = index
            first = touched.get(shop_id)
            if first is None or deadline < first[0]:
                touched[shop_id] = (deadline, TIGHT)
        return touched

    def add_shops(self, s: Session, numbers: list[int]) -> None:
        """Shops by number (ids in that order if new: re-allocation goes by shop id)."""
        for shop_no in numbers:
            if shop_no not in self.shops:
                shop = Shop(platform_id=1, code=f"{self.name}-{shop_no}", name=self.name)
                s.add(shop)
                s.flush()
                self.shops[shop_no] = shop.id

    def entries(self, s: Session, mark: int) -> tuple[list[Any], list[Any]]:
        """This copy's entries after ``mark`` (shops by number, violations by spec, reversed
        entries by position) and their audit records."""
        shop_no = {shop_id: no for no, shop_id in self.shops.items()}
        rows = list(
            s.execute(
                select(LedgerEntry)
                .where(LedgerEntry.id > mark, LedgerEntry.shop_id.in_(list(shop_no)))
                .order_by(LedgerEntry.id)
            ).scalars()
        )
        position = {e.id: n for n, e in enumerate(rows)}
        records = {
            r.entity_id: r
            for r in s.execute(
                select(AuditEvent).where(
                    AuditEvent.entity_type == "ledger_entry",
                    AuditEvent.entity_id.in_(list(position)),
                )
            ).scalars()
        }
        entries = [
            (
                shop_no[e.shop_id],
                self.violations[e.violation_id or 0],
                e.kind,
                e.amount_fen,
                Decimal(e.points),
                e.memo,
                position.get(e.reverses_id) if e.reverses_id else None,
            )
            for e in rows
        ]
        audits = []
        for e in rows:
            r = records[e.id]
            data = dict(r.data)
            data["violation_id"] = self.violations[data["violation_id"]]
            data["reverses_id"] = position.get(data["reverses_id"]) if data["reverses_id"] else None
            audits.append((position[e.id], r.action, r.actor, r.reason, data))
        return entries, audits

    def nets(self, s: Session, count: int) -> list[tuple[int, Decimal]]:
        """(fine fen, points) per spec: the sums of its violation's entries."""
        sums = {
            (self.violations[vid], kind): (int(fen), Decimal(pts))
            for vid, kind, fen, pts in s.execute(
                select(
                    LedgerEntry.violation_id,
                    LedgerEntry.kind,
                    func.sum(LedgerEntry.amount_fen),
                    func.sum(LedgerEntry.points),
                )
                .where(LedgerEntry.violation_id.in_(list(self.violations)))
                .group_by(LedgerEntry.violation_id, LedgerEntry.kind)
            )
        }
        zero = (0, Decimal(0))
        return [
            (sums.get((i, "fine"), zero)[0], sums.get((i, "points"), zero)[1]) for i in range(count)
        ]


def reallocate(s: Session, touched: dict[int, tuple[datetime, Any]]) -> None:
    bookings = ledger.Bookings()
    fines.reallocate_fines(s, touched, NOW, "system", bookings=bookings)
    bookings.flush(s)
    ledger.audit_pending(s)


def last_entry(s: Session) -> int:
    return s.execute(select(func.coalesce(func.max(LedgerEntry.id), 0))).scalar_one()


def marks_left(s: Session | sessionmaker[Session]) -> int:
    if isinstance(s, sessionmaker):
        with s() as session:
            return marks_left(session)
    return s.execute(select(func.count()).select_from(FineMark)).scalar_one()


def tight(_: str) -> Any:
    return TIGHT


@st.composite
def imports(draw: st.DrawFn) -> tuple[list[Spec], int, list[list[int]]]:
    """Up to 30 violations of 2–3 shops and 8 orders on a 3-hour grid over 9 days from a Monday
    (days, weeks and orders where the caps bind), any state; the first ``history`` of them in
    the database before the run, the others arriving in chunks in any order."""
    shops = draw(st.integers(2, 3))
    slots = draw(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 2), st.sampled_from(RULES)),
            min_size=1,
            max_size=30,
            unique=True,
        )
    )
    world = [
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
    history = draw(st.integers(0, len(world) - 1))
    arriving = draw(st.permutations(range(history, len(world))))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(arriving) - 1, 1)), max_size=5)))
    chunks = [list(arriving[a:b]) for a, b in itertools.pairwise([0, *cuts, len(arriving)])]
    return world, history, [c for c in chunks if c]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    run=imports(),
    batch=st.sampled_from((1, 3, 10**6)),
    group=st.sampled_from((1, 100)),
    crash=st.sampled_from(("none", "between chunks", "in the drain", "live")),
)
def test_marked_chunks_drained_book_what_one_reallocation_of_everything_books(
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    run: tuple[list[Spec], int, list[list[int]]],
    batch: int,
    group: int,
    crash: str,
) -> None:
    """Three copies of the world, each with the same history re-allocated. Whole: the arriving
    violations inserted at once, the shops re-allocated from the first Monday in one pass.
    Marked: chunk by chunk, each marking its shops, then the drain; killed ``between chunks``
    (no drain: the next drain, the sweep's, honours every mark), ``in the drain`` (one group
    of shops honoured and committed, then a new drain) or taken over by a ``live``
    re-allocation of one shop from its last day. Per chunk: re-allocated after each chunk
    from its earliest deadline (the behaviour before marks)."""
    world, history, chunks = run
    monkeypatch.setattr(fines, "VIOLATIONS_PER_BATCH", batch)
    monkeypatch.setattr(fines, "SHOPS_PER_GROUP", group)
    specs = list(enumerate(world))
    copies = {}
    with sessions() as s:
        for name in ("whole", "marked", "per chunk"):
            copy = copies[name] = Copy(s)
            copy.add_shops(s, sorted({spec[0] for spec in world}))
            reallocate(s, copy.add(s, specs[:history]))
        s.commit()
        mark = last_entry(s)

        whole = copies["whole"]
        whole.add(s, specs[history:])
        reallocate(s, {shop_id: (MONDAY, TIGHT) for shop_id in whole.shops.values()})
        s.commit()

        for chunk in chunks:
            fines.mark_fines(s, copies["marked"].add(s, [specs[i] for i in chunk]))
            s.commit()
            reallocate(s, copies["per chunk"].add(s, [specs[i] for i in chunk]))
            s.commit()
        marked_shops = marks_left(s)

    if crash == "in the drain":
        with sessions() as s:
            last, _ = fines.drain_marks(s, tight, NOW, "system", limit=1)
            s.commit()
        assert last is not None and marks_left(sessions) == marked_shops - 1
    elif crash == "live":
        # A later event of one shop: re-allocated from its last day, it takes the mark over.
        shop_id = min(copies["marked"].shops.values())
        with sessions() as s:
            if s.get(FineMark, shop_id) is not None:
                bookings = ledger.Bookings()
                late = {shop_id: (MONDAY + timedelta(days=8), TIGHT)}
                fines.reallocate_touched(s, late, NOW, "system", bookings=bookings)
                bookings.flush(s)
                ledger.audit_pending(s)
                s.commit()
                assert s.get(FineMark, shop_id) is None
    if crash != "between chunks":
        fines.drain_fine_marks(sessions, tight, NOW, "system")
    else:
        assert marks_left(sessions) == marked_shops  # nothing honoured: the run was killed
        fines.drain_fine_marks(sessions, tight, NOW)  # the sweep's drain

    with sessions() as s:
        assert marks_left(s) == 0
        nets = {name: c.nets(s, len(world)) for name, c in copies.items()}
        booked = {name: c.entries(s, mark) for name, c in copies.items()}
    assert nets["marked"] == nets["whole"] == nets["per chunk"]
    if crash in ("none", "between chunks", "in the drain"):
        # The same entries and audit records in the same order (but the actor of the sweep's).
        assert booked["marked"][0] == booked["whole"][0]
        assert [a[:2] + a[3:] for a in booked["marked"][1]] == [
            a[:2] + a[3:] for a in booked["whole"][1]
        ]
    else:  # the live re-allocation booked its shop first
        assert sorted(booked["marked"][0]) == sorted(booked["whole"][0])

    # And the nets are the domain's allocation of the whole world in deadline order; a reversed
    # violation holds its slot and keeps what it had (nothing: it arrived reversed).
    slotted = [
        (i, FineCandidate(f"k{o}-{sh}", rule, f"o{o}", f"s{shop}", at))
        for i, (shop, o, sh, rule, at, state) in enumerate(world)
        if state in fines.SLOT_STATES
    ]
    allocation = allocate([c for _, c in slotted], TIGHT)
    candidate = dict(slotted)
    expected = [
        (to_fen(allocation[candidate[i].key].fine), allocation[candidate[i].key].points)
        if state in fines.FINED_STATES
        else (0, Decimal(0))
        for i, (*_, state) in enumerate(world)
    ]
    assert nets["whole"] == expected


def test_a_mark_keeps_the_earliest_time_and_counts_every_marking(
    sessions: sessionmaker[Session],
) -> None:
    """Marking a shop again keeps the earlier of the two times and raises its count, so a
    re-allocation that read the mark before does not remove it (see _clear_marks)."""
    with sessions() as s:
        copy = Copy(s)
        touched = copy.add(s, [(0, (0, 0, 0, "ship_timeout", MONDAY + timedelta(days=3), "open"))])
        (shop_id,) = touched
        fines.mark_fines(s, touched)
        fines.mark_fines(s, {shop_id: (MONDAY + timedelta(days=5), TIGHT)})
        fines.mark_fines(s, {shop_id: (MONDAY + timedelta(days=1), TIGHT)})
        s.commit()
        row = s.get_one(FineMark, shop_id)
        assert (row.profile, row.since, row.seq) == ("douyin", MONDAY + timedelta(days=1), 3)
        stale = fines._Mark(shop_id, "douyin", row.since, 2)
        fines._clear_marks(s, [stale])
        s.commit()
        assert marks_left(s) == 1
        fines._clear_marks(s, [stale._replace(seq=3)])
        s.commit()
        assert marks_left(s) == 0
