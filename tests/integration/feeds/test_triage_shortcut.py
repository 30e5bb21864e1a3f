"""The event path's triage of shipments whose first pickup the new events leave unchanged.

`record_events` judges such a shipment (a transit scan after the pickup, a status scan before
any) from one aggregate per shipment: whether it has deadline rows, and their earliest
`next_check_at`. It is evaluated in full only when it has no deadline rows yet or a look is due
(`next_check_at <= now`); otherwise it is judged as stored.

Each scenario is built twice, identically, in two databases of the same backend: once the
events go through `record_events` (the triage), once they are stored with `evaluate=False` and
the touched shipments are judged by a full `evaluate_shipments` at the same `now`. Every row the
two leave behind (shipments, events, deadlines, warnings, violations, ledger, audit) must be
identical, and the exact values are checked too.

Douyin, one order paid 2026-11-02 10:00 (+08:00) for ¥50.00, marked shipped at 12:00: shipping
due 11-04 10:00 (met at once), pickup due 11-03 12:00 with warnings at 06:00 (6 h) and 10:00
(2 h), an auto refund 72 h after the deadline (11-06 12:00).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory, unit_of_work
from lanshou.adapters.db.models import (
    AuditEvent,
    Base,
    Deadline,
    LedgerEntry,
    Shipment,
    TrackingEvent,
    Violation,
    Warning_,
)
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.evaluation import EvaluationResult, evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.tracking import RecordResult, record_events
from tests.integration.enforcement.world import World, deadline_rows, rows, t

CTX = RulesContext()
US = timedelta(microseconds=1)
PAID, SHIPPED = t(2, 10), t(2, 12)
SHIP_DUE, PICKUP_DUE = t(4, 10), t(3, 12)
WARN_6H, WARN_2H, REFUND_AT = t(3, 6), t(3, 10), t(6, 12)
MARKED = t(2, 13)  # the evaluation that runs when the shipment is marked shipped


# ---------------------------------------------------------------- a twin database


@pytest.fixture
def twin(
    request: pytest.FixtureRequest, db_engine: Engine, tmp_path: Path, _sqlite_template: Path
) -> Iterator[sessionmaker[Session]]:
    """An empty migrated database of the same backend as `db_engine`, for the full evaluation."""
    if db_engine.dialect.name == "sqlite":
        path = tmp_path / "twin.db"
        shutil.copy(_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield session_factory(engine)
        engine.dispose()
        return
    engine = request.getfixturevalue("_pg_twin_engine")
    names = ", ".join(f'"{tb.name}"' for tb in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield session_factory(engine)


# ---------------------------------------------------------------- building and comparing


@dataclass
class Step:
    events: list[tuple[str, str, datetime]]  # (order ext, status, event time)
    now: datetime


Prepare = Callable[[World], dict[str, int]]
TABLES: list[type[Base]] = [
    Shipment,
    TrackingEvent,
    Deadline,
    Warning_,
    Violation,
    LedgerEntry,
    AuditEvent,
]


def counters(ev: EvaluationResult | None) -> tuple[Any, ...]:
    """What evaluation did, but for how many shipments it counts (see `evaluated`)."""
    assert ev is not None
    return (
        ev.violations_new,
        ev.violations_changed,
        ev.warnings_fired,
        ev.ledger_moves,
        dict(ev.touched_shop_days),
    )


def evaluated(result: RecordResult) -> int:
    """How many shipments the event path reports as evaluated."""
    assert result.evaluation is not None
    return result.evaluation.shipments


def waybill(ext: str) -> str:
    return f"75{ext}"  # as World.order marks it shipped


def updates(step: Step) -> list[TrackingUpdate]:
    return [TrackingUpdate(waybill(ext), status, at, "test") for ext, status, at in step.events]


def snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables evaluation and the event path write, by id."""
    out = {}
    with sessions() as s:
        for model in TABLES:
            table = model.__table__
            rows = s.execute(select(table).order_by(table.c.id))
            out[table.name] = [tuple(r) for r in rows]  # type: ignore[attr-defined]
    return out


def shop_world(sessions: sessionmaker[Session], prepare: Prepare) -> dict[str, int]:
    return prepare(World(sessions).setup())


@dataclass
class Twins:
    """One scenario run through the event path (`fast`) and through a full evaluation."""

    fast: sessionmaker[Session]
    full: sessionmaker[Session]
    ids: dict[str, int]
    results: list[RecordResult] = field(default_factory=list)
    full_results: list[EvaluationResult] = field(default_factory=list)

    def step(self, step: Step) -> RecordResult:
        with unit_of_work(self.fast) as s:
            result = record_events(s, updates(step), step.now, CTX)
        with unit_of_work(self.full) as s:
            stored = record_events(s, updates(step), step.now, CTX, evaluate=False)
            assert (stored.stored, stored.shipments) == (result.stored, result.shipments)
            touched = sorted({self.ids[ext] for ext, _, _ in step.events if ext in self.ids})
            full = evaluate_shipments(s, touched, step.now, CTX)
        self.results.append(result)
        self.full_results.append(full)
        assert counters(result.evaluation) == counters(full)
        assert snapshot(self.fast) == snapshot(self.full)
        return result


def twins(sessions: sessionmaker[Session], twin: sessionmaker[Session], prepare: Prepare) -> Twins:
    ids = shop_world(sessions, prepare)
    assert shop_world(twin, prepare) == ids
    assert snapshot(sessions) == snapshot(twin)
    return Twins(sessions, twin, ids)


def evaluate(w: World, ids: Sequence[int], now: datetime) -> None:
    with unit_of_work(w.sessions) as s:
        evaluate_shipments(s, list(ids), now, CTX)


def store_only(w: World, ext: str, status: str, at: datetime, now: datetime) -> None:
    """Events stored (and folded into the shipment) with no evaluation at all."""
    with unit_of_work(w.sessions) as s:
        record_events(
            s, [TrackingUpdate(waybill(ext), status, at, "test")], now, CTX, evaluate=False
        )


def deadlines(sessions: sessionmaker[Session], sid: int) -> dict[str, tuple[Any, ...]]:
    return {r[0]: r[1:] for r in deadline_rows(sessions, sid)}


def violations(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    return rows(
        sessions,
        select(
            Violation.shipment_id,
            Violation.rule_id,
            Violation.state,
            Violation.deadline,
            Violation.satisfied_at,
            Violation.detected_at,
            Violation.updated_at,
        ).order_by(Violation.id),
    )


def ledger(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    return rows(
        sessions,
        select(
            LedgerEntry.kind,
            LedgerEntry.amount_fen,
            LedgerEntry.points,
            LedgerEntry.reverses_id,
            LedgerEntry.booked_at,
        ).order_by(LedgerEntry.id),
    )


def warnings(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    return rows(
        sessions,
        select(Deadline.rule_id, Warning_.lead_minutes, Warning_.fired_at, Warning_.suppressed)
        .join(Deadline, Deadline.id == Warning_.deadline_id)
        .order_by(Warning_.id),
    )


def shipment(sessions: sessionmaker[Session], sid: int) -> tuple[Any, ...]:
    with sessions() as s:
        sh = s.get(Shipment, sid)
        assert sh is not None
        return (sh.status, sh.picked_up_at, sh.last_event_at)


SHIP_MET = (PAID, SHIP_DUE, SHIPPED, "met", None)
BREACH_MONEY = [  # ¥50.00: ¥3.00 compensation, ¥10.00 fine, 0.1 points
    ("compensation", 300, Decimal("0.00")),
    ("fine", 1000, Decimal("0.00")),
    ("points", 0, Decimal("0.10")),
]


def money(sessions: sessionmaker[Session]) -> list[tuple[str, int, Decimal]]:
    return sorted((kind, fen, Decimal(points)) for kind, fen, points, _, _ in ledger(sessions))


def one_order_marked(w: World) -> dict[str, int]:
    """The order, shipped and evaluated as marking it shipped does."""
    sid = w.order("A1", PAID, shipped=SHIPPED)
    evaluate(w, [sid], MARKED)
    return {"A1": sid}


# ---------------------------------------------------------------- (a) judged as stored


def test_transit_scan_after_an_on_time_pickup_changes_nothing(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    run = twins(sessions, twin, one_order_marked)
    sid = run.ids["A1"]
    assert deadlines(sessions, sid) == {
        "ship_timeout": (*SHIP_MET, MARKED),
        "pickup_timeout": (SHIPPED, PICKUP_DUE, None, "pending", WARN_6H, MARKED),
    }

    picked = run.step(Step([("A1", "picked_up", t(3, 9))], t(3, 9, 5)))
    assert (picked.stored, picked.shipments, picked.duplicates) == (1, 1, 0)
    assert counters(picked.evaluation) == (0, 0, 0, 0, {})
    assert evaluated(picked) == 1
    assert deadlines(sessions, sid)["pickup_timeout"] == (
        SHIPPED,
        PICKUP_DUE,
        t(3, 9),
        "met",
        None,
        t(3, 9, 5),
    )

    transit = run.step(Step([("A1", "in_transit", t(3, 20))], t(3, 21)))
    assert (transit.received, transit.stored, transit.shipments, transit.unmatched) == (1, 1, 1, 0)
    # Judged as stored: no violation, no warning, no money (and counted).
    assert counters(transit.evaluation) == (0, 0, 0, 0, {})
    assert deadlines(sessions, sid) == {
        "ship_timeout": (*SHIP_MET, MARKED),
        "pickup_timeout": (SHIPPED, PICKUP_DUE, t(3, 9), "met", None, t(3, 9, 5)),
    }
    assert shipment(sessions, sid) == ("in_transit", t(3, 9), t(3, 20))
    assert violations(sessions) == []
    assert ledger(sessions) == []
    assert warnings(sessions) == []

    # The same scan again is a duplicate: nothing stored, nothing evaluated.
    again = run.step(
        Step([("A1", "in_transit", t(3, 20)), ("A1", "delivered", t(4, 15))], t(4, 16))
    )
    assert (again.stored, again.duplicates) == (1, 1)
    assert counters(again.evaluation) == (0, 0, 0, 0, {})
    assert shipment(sessions, sid) == ("delivered", t(3, 9), t(4, 15))


def test_transit_scan_after_a_late_pickup_leaves_the_confirmed_violation(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    run = twins(sessions, twin, one_order_marked)
    sid = run.ids["A1"]
    late = run.step(Step([("A1", "picked_up", t(3, 13))], t(3, 14)))
    assert counters(late.evaluation) == (1, 0, 0, 3, {1: PICKUP_DUE})
    assert evaluated(late) == 1
    breached = (SHIPPED, PICKUP_DUE, t(3, 13), "breached", None, t(3, 14))
    assert deadlines(sessions, sid)["pickup_timeout"] == breached
    confirmed = [(sid, "pickup_timeout", "confirmed", PICKUP_DUE, t(3, 13), t(3, 14), t(3, 14))]
    assert violations(sessions) == confirmed
    assert money(sessions) == BREACH_MONEY

    transit = run.step(Step([("A1", "in_transit", t(3, 18))], t(4, 9)))
    assert counters(transit.evaluation) == (0, 0, 0, 0, {})
    assert deadlines(sessions, sid)["pickup_timeout"] == breached
    assert violations(sessions) == confirmed
    assert money(sessions) == BREACH_MONEY
    assert len(ledger(sessions)) == 3


def test_a_shipment_judged_as_stored_is_counted_as_evaluated(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    run = twins(sessions, twin, one_order_marked)
    run.step(Step([("A1", "picked_up", t(3, 9))], t(3, 9, 5)))
    transit = run.step(Step([("A1", "in_transit", t(3, 20))], t(3, 21)))
    assert run.full_results[-1].shipments == 1
    assert evaluated(transit) == 1


# ---------------------------------------------------------------- (b) a look is due


def test_status_scan_after_the_deadline_passed_books_the_breach(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    run = twins(sessions, twin, one_order_marked)
    sid = run.ids["A1"]
    # No pickup yet; the carrier only reports the parcel waiting. The deadline is due.
    result = run.step(Step([("A1", "awaiting_pickup", t(3, 12, 30))], t(3, 13)))
    assert counters(result.evaluation) == (1, 0, 0, 3, {1: PICKUP_DUE})
    assert evaluated(result) == 1
    assert deadlines(sessions, sid) == {
        "ship_timeout": (*SHIP_MET, MARKED),
        "pickup_timeout": (SHIPPED, PICKUP_DUE, None, "breached", REFUND_AT, t(3, 13)),
    }
    assert violations(sessions) == [
        (sid, "pickup_timeout", "open", PICKUP_DUE, None, t(3, 13), t(3, 13))
    ]
    assert money(sessions) == BREACH_MONEY
    assert {at for *_, at in ledger(sessions)} == {t(3, 13)}
    assert warnings(sessions) == []  # too late for either
    assert shipment(sessions, sid) == ("awaiting_pickup", None, t(3, 12, 30))

    # The next scan before the refund is due: judged as stored.
    quiet = run.step(Step([("A1", "awaiting_pickup", t(4, 8))], t(4, 9)))
    assert counters(quiet.evaluation) == (0, 0, 0, 0, {})
    assert deadlines(sessions, sid)["pickup_timeout"][-2:] == (REFUND_AT, t(3, 13))

    # A scan when the auto refund is due: evaluated, the refund booked, confirmed.
    refund = run.step(Step([("A1", "awaiting_pickup", t(6, 11))], REFUND_AT))
    assert counters(refund.evaluation) == (0, 1, 0, 1, {1: PICKUP_DUE})
    assert evaluated(refund) == 1
    assert deadlines(sessions, sid)["pickup_timeout"] == (
        SHIPPED,
        PICKUP_DUE,
        None,
        "breached",
        None,
        REFUND_AT,
    )
    assert [v[2] for v in violations(sessions)] == ["confirmed"]
    assert money(sessions) == sorted([*BREACH_MONEY, ("refund", 5000, Decimal("0.00"))])


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # A microsecond before the 6-h warning: nothing is due, the rows stay as stored.
        (WARN_6H - US, None),
        # Exactly at it (`next_check_at <= now`), and an hour after it: the warning fires.
        (WARN_6H, ([("pickup_timeout", 360, WARN_6H, False)], WARN_2H)),
        (WARN_6H + timedelta(hours=1), ([("pickup_timeout", 360, t(3, 7), False)], WARN_2H)),
        # Both warnings' times passed unseen: the urgent one is sent, the other recorded.
        (
            t(3, 11),
            (
                [("pickup_timeout", 360, t(3, 11), True), ("pickup_timeout", 120, t(3, 11), False)],
                PICKUP_DUE,
            ),
        ),
    ],
    ids=["before-warning", "at-warning", "after-warning", "both-warnings"],
)
def test_status_scan_when_a_warning_is_due_fires_it(
    sessions: sessionmaker[Session],
    twin: sessionmaker[Session],
    now: datetime,
    expected: tuple[list[tuple[Any, ...]], datetime] | None,
) -> None:
    run = twins(sessions, twin, one_order_marked)
    sid = run.ids["A1"]
    result = run.step(Step([("A1", "awaiting_pickup", now - timedelta(minutes=1))], now))
    if expected is None:
        assert counters(result.evaluation) == (0, 0, 0, 0, {})
        assert warnings(sessions) == []
        assert deadlines(sessions, sid)["pickup_timeout"] == (
            SHIPPED,
            PICKUP_DUE,
            None,
            "pending",
            WARN_6H,
            MARKED,
        )
        return
    fired, next_check = expected
    sent = sum(1 for *_, suppressed in fired if not suppressed)
    assert counters(result.evaluation) == (0, 0, sent, 0, {})
    assert evaluated(result) == 1
    assert sorted(warnings(sessions), key=lambda w: -w[1]) == fired
    assert deadlines(sessions, sid)["pickup_timeout"] == (
        SHIPPED,
        PICKUP_DUE,
        None,
        "pending",
        next_check,
        now,
    )
    assert violations(sessions) == []
    assert ledger(sessions) == []


def test_status_scans_at_the_deadline_and_just_after_it(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    """Warnings already sent: the next look is the deadline itself, then a microsecond on."""

    def warned(w: World) -> dict[str, int]:
        ids = one_order_marked(w)
        evaluate(w, list(ids.values()), t(3, 11))
        return ids

    run = twins(sessions, twin, warned)
    sid = run.ids["A1"]
    assert deadlines(sessions, sid)["pickup_timeout"][-2:] == (PICKUP_DUE, t(3, 11))
    at_deadline = run.step(Step([("A1", "created", t(3, 11, 30))], PICKUP_DUE))
    # Unsatisfied exactly at the deadline is not late yet: look again a microsecond after it.
    assert counters(at_deadline.evaluation) == (0, 0, 0, 0, {})
    assert evaluated(at_deadline) == 1
    assert deadlines(sessions, sid)["pickup_timeout"] == (
        SHIPPED,
        PICKUP_DUE,
        None,
        "pending",
        PICKUP_DUE + US,
        PICKUP_DUE,
    )
    assert violations(sessions) == []
    just_after = run.step(Step([("A1", "awaiting_pickup", t(3, 11, 45))], PICKUP_DUE + US))
    assert counters(just_after.evaluation) == (1, 0, 0, 3, {1: PICKUP_DUE})
    assert evaluated(just_after) == 1
    assert deadlines(sessions, sid)["pickup_timeout"] == (
        SHIPPED,
        PICKUP_DUE,
        None,
        "breached",
        REFUND_AT,
        PICKUP_DUE + US,
    )
    assert violations(sessions) == [
        (sid, "pickup_timeout", "open", PICKUP_DUE, None, PICKUP_DUE + US, PICKUP_DUE + US)
    ]
    assert money(sessions) == BREACH_MONEY
    assert len(warnings(sessions)) == 2


# ---------------------------------------------------------------- (c) no deadline rows yet


@pytest.mark.parametrize(
    ("earlier", "scan", "pickup", "state", "next_check"),
    [
        # A pickup stored without evaluation, then a transit scan: the pickup is unchanged.
        (("picked_up", t(3, 9)), ("in_transit", t(3, 20)), t(3, 9), "met", None),
        # Late, and before the refund instant: nothing left to look at.
        (("picked_up", t(3, 13)), ("in_transit", t(3, 20)), t(3, 13), "breached", None),
        # No pickup at all, a waiting scan: unchanged (none), still no rows.
        (None, ("awaiting_pickup", t(3, 1)), None, "pending", WARN_6H),
        # The transit scan is itself the first pickup.
        (None, ("in_transit", t(3, 2)), t(3, 2), "met", None),
    ],
    ids=["on-time-pickup-stored", "late-pickup-stored", "no-pickup", "transit-is-pickup"],
)
def test_a_shipment_without_deadline_rows_gets_them(
    sessions: sessionmaker[Session],
    twin: sessionmaker[Session],
    earlier: tuple[str, datetime] | None,
    scan: tuple[str, datetime],
    pickup: datetime | None,
    state: str,
    next_check: datetime | None,
) -> None:
    def unevaluated(w: World) -> dict[str, int]:
        sid = w.order("C1", PAID, shipped=SHIPPED)  # never evaluated: no deadline rows
        if earlier is not None:
            store_only(w, "C1", *earlier, earlier[1] + timedelta(minutes=1))
        return {"C1": sid}

    run = twins(sessions, twin, unevaluated)
    sid = run.ids["C1"]
    assert deadlines(sessions, sid) == {}
    now = t(3, 21) if earlier is not None else t(3, 3)
    result = run.step(Step([("C1", *scan)], now))
    assert result.shipments == 1
    assert deadlines(sessions, sid) == {
        "ship_timeout": (*SHIP_MET, now),
        "pickup_timeout": (SHIPPED, PICKUP_DUE, pickup, state, next_check, now),
    }
    assert result.evaluation is not None and result.evaluation.shipments == 1
    if state == "breached":
        assert counters(result.evaluation) == (1, 0, 0, 3, {1: PICKUP_DUE})
        assert violations(sessions) == [
            (sid, "pickup_timeout", "confirmed", PICKUP_DUE, pickup, now, now)
        ]
        assert money(sessions) == BREACH_MONEY
    else:
        assert counters(result.evaluation) == (0, 0, 0, 0, {})
        assert violations(sessions) == []
        assert ledger(sessions) == []


# ---------------------------------------------------------------- all kinds in one batch


def test_one_batch_with_every_kind_of_shipment(
    sessions: sessionmaker[Session], twin: sessionmaker[Session]
) -> None:
    """Unchanged, due, without rows, a pickup that moves, and an unknown waybill at once."""

    def many(w: World) -> dict[str, int]:
        ids = {ext: w.order(ext, PAID, shipped=SHIPPED, price="120.00") for ext in "UDNMQ"}
        ids["X"] = w.order("X", PAID, price="120.00")  # not shipped: no waybill
        evaluate(w, [ids["U"], ids["D"], ids["M"], ids["Q"]], MARKED)
        store_only(w, "U", "picked_up", t(2, 20), t(2, 21))
        evaluate(w, [ids["U"]], t(2, 21))  # met, nothing left to check
        store_only(w, "N", "picked_up", t(3, 1), t(3, 2))  # no rows yet
        return ids

    run = twins(sessions, twin, many)
    ids = run.ids
    now = t(3, 12, 30)  # after the pickup deadline of them all
    result = run.step(
        Step(
            [
                ("U", "in_transit", t(3, 4)),  # pickup unchanged, nothing due
                ("D", "awaiting_pickup", t(3, 5)),  # no pickup, deadline passed: due
                ("N", "in_transit", t(3, 6)),  # pickup unchanged, no rows
                ("M", "picked_up", t(3, 11)),  # first pickup, on time: settled
                ("Q", "in_transit", t(3, 12, 10)),  # first pickup, late
                ("Z9", "picked_up", t(3, 3)),  # unknown waybill
            ],
            now,
        )
    )
    assert (result.received, result.stored, result.unmatched, result.shipments) == (6, 6, 1, 5)
    assert counters(result.evaluation) == (2, 0, 0, 6, {1: PICKUP_DUE})
    pickup = {ext: deadlines(sessions, ids[ext])["pickup_timeout"] for ext in "UDNMQ"}
    assert pickup == {
        "U": (SHIPPED, PICKUP_DUE, t(2, 20), "met", None, t(2, 21)),
        "D": (SHIPPED, PICKUP_DUE, None, "breached", REFUND_AT, now),
        "N": (SHIPPED, PICKUP_DUE, t(3, 1), "met", None, now),
        "M": (SHIPPED, PICKUP_DUE, t(3, 11), "met", None, now),
        "Q": (SHIPPED, PICKUP_DUE, t(3, 12, 10), "breached", None, now),
    }
    assert deadlines(sessions, ids["X"]) == {}
    assert violations(sessions) == [
        (ids["D"], "pickup_timeout", "open", PICKUP_DUE, None, now, now),
        (ids["Q"], "pickup_timeout", "confirmed", PICKUP_DUE, t(3, 12, 10), now, now),
    ]
    # ¥120.00: ¥3.00 compensation each; the ¥10.00 fines and 0.1 points per violation.
    assert money(sessions) == [
        ("compensation", 300, Decimal("0.00")),
        ("compensation", 300, Decimal("0.00")),
        ("fine", 1000, Decimal("0.00")),
        ("fine", 1000, Decimal("0.00")),
        ("points", 0, Decimal("0.10")),
        ("points", 0, Decimal("0.10")),
    ]
    assert warnings(sessions) == []
    with sessions() as s:
        orphan = s.execute(
            select(TrackingEvent.shipment_id).where(TrackingEvent.waybill_no == "75Z9")
        ).scalar_one()
    assert orphan is None
