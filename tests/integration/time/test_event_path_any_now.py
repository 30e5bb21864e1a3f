"""The event path at any ``now``: a shipment's verdict after its tracking events are ingested.

For any instant ``now`` (2020–2030) and any timing of one douyin order (paid, marked shipped,
picked up — each only if it happened by ``now``), the order is evaluated when marked shipped, its
pickup scan goes through ``record_events`` at ``now`` (or, without one, the sweep runs at
``now``), and what the database then holds must be the verdict written out from the rules by
hand here — and equal to the domain's :func:`evaluate_shipment` of the same facts:

* ship by paid + 48 h, except paid on Beijing 2/16–2/20/2026 (by 2/25 00:00) and 2/21–2/24
  (72 h); pick up by shipped + 24 h; late = done after the deadline, or not done with ``now``
  past it (done exactly at the deadline is in time; ``now`` exactly at it is not late yet);
* per violation: compensation by the unit price (≤ ¥3.00: none; < ¥300: ¥3.00; else 1 %, at most
  ¥30.00), a ¥10.00 fine (two per order at most, never near the ¥500 shop-day cap here), and for
  a pickup still missing 72 h after its deadline, an automatic refund of the order amount.

Then a sweep at the same ``now`` changes nothing: the event path left nothing undone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory, unit_of_work
from lanshou.adapters.db.models import Deadline, LedgerEntry, Violation
from lanshou.domain.rules import ShipmentFacts, evaluate_shipment
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.enforcement.tracking import record_events
from lanshou.settings import load_settings
from tests.integration.enforcement.world import World
from tests.integration.time.instants import BEIJING, bj

CTX = RulesContext()
SETTINGS = load_settings(env="test", secret_key="x" * 32)
HOUR = timedelta(hours=1)
# price -> compensation in fen, by the douyin tiers
COMPENSATION_FEN = {"2.00": 0, "50.00": 300, "1200.00": 1200, "5000.00": 3000}


@dataclass(frozen=True)
class Timing:
    now: datetime
    paid: datetime
    shipped: datetime | None  # None: not marked shipped by now
    pickup: datetime | None  # None: no pickup scan by now
    price: str


@st.composite
def timings(draw: st.DrawFn) -> Timing:
    now = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)))
    paid = now - timedelta(seconds=draw(st.integers(0, 8 * 24 * 3600)))
    shipped: datetime | None = paid + timedelta(seconds=draw(st.integers(0, 80 * 3600)))
    pickup = None
    if shipped is not None and shipped > now:
        shipped = None
    if shipped is not None and draw(st.booleans()):
        pickup = shipped + timedelta(seconds=draw(st.integers(0, 110 * 3600)))
        pickup = pickup if pickup <= now else None
    return Timing(now, paid, shipped, pickup, draw(st.sampled_from(sorted(COMPENSATION_FEN))))


def ship_deadline(paid: datetime) -> datetime:
    day = paid.astimezone(BEIJING).date()
    if date(2026, 2, 16) <= day <= date(2026, 2, 20):
        return bj(2026, 2, 25)
    if date(2026, 2, 21) <= day <= date(2026, 2, 24):
        return paid + 72 * HOUR
    return paid + 48 * HOUR


def late(done: datetime | None, deadline: datetime, now: datetime) -> bool:
    return done > deadline if done is not None else now > deadline


@dataclass(frozen=True)
class Verdict:
    deadlines: dict[str, datetime]
    violations: dict[str, datetime]
    money: dict[tuple[str, str], int]  # (rule, kind) -> fen


def by_hand(t: Timing) -> Verdict:
    deadlines = {"ship_timeout": ship_deadline(t.paid)}
    done = {"ship_timeout": t.shipped}
    if t.shipped is not None:
        deadlines["pickup_timeout"] = t.shipped + 24 * HOUR
        done["pickup_timeout"] = t.pickup
    violations = {r: d for r, d in deadlines.items() if late(done[r], d, t.now)}
    money: dict[tuple[str, str], int] = {}
    for rule in violations:
        money[rule, "compensation"] = COMPENSATION_FEN[t.price]
        money[rule, "fine"] = 1000
    pickup_due = deadlines.get("pickup_timeout")
    if "pickup_timeout" in violations and pickup_due is not None:
        refund_at = pickup_due + 72 * HOUR
        if t.now >= refund_at and (t.pickup is None or t.pickup > refund_at):
            money["pickup_timeout", "refund"] = int(Decimal(t.price) * 100)
    return Verdict(deadlines, violations, {k: v for k, v in money.items() if v})


def by_the_domain(t: Timing) -> dict[str, tuple[datetime, bool]]:
    profile = CTX.profile("douyin")
    amount = Decimal(t.price)
    facts = ShipmentFacts(
        "E1",
        "E1",
        "1",
        t.paid,
        amount,
        shipped_at=t.shipped,
        first_pickup_at=t.pickup,
        max_unit_price=amount,
    )
    return {
        o.rule_id: (o.deadline, o.is_violation)
        for o in evaluate_shipment(facts, profile, CTX.calendar(profile), [], t.now)
        if o.deadline is not None
    }  # a rule not started yet has no deadline


def stored(sessions: sessionmaker[Session]) -> Verdict:
    with sessions() as s:
        deadlines = dict(s.execute(select(Deadline.rule_id, Deadline.due_at)).all())
        violations = dict(
            s.execute(
                select(Violation.rule_id, Violation.deadline).where(
                    Violation.state.in_(("open", "confirmed"))
                )
            ).all()
        )
        money: dict[tuple[str, str], int] = {}
        for rule, kind, fen in s.execute(
            select(Violation.rule_id, LedgerEntry.kind, LedgerEntry.amount_fen)
            .join(Violation, Violation.id == LedgerEntry.violation_id)
            .where(LedgerEntry.kind != "points")
        ):
            money[rule, kind] = money.get((rule, kind), 0) + fen
    return Verdict(deadlines, violations, {k: v for k, v in money.items() if v})


def run_event_path(t: Timing, sessions: sessionmaker[Session]) -> None:
    w = World(sessions).setup("douyin")
    sid = w.order("E1", t.paid, price=t.price, shipped=t.shipped)
    with unit_of_work(sessions) as s:  # judged when marked shipped (or when paid)
        evaluate_shipments(s, [sid], t.shipped or t.paid, CTX)
    if t.pickup is not None:
        with unit_of_work(sessions) as s:
            result = record_events(
                s, [TrackingUpdate("75E1", "picked_up", t.pickup, "test")], t.now, CTX
            )
        assert (result.stored, result.shipments) == (1, 1)
    else:
        run_sweep(sessions, t.now, SETTINGS, ctx=CTX)


BOUNDARY_EXAMPLES = [
    # pickup exactly at its deadline, seen at Beijing midnight
    Timing(
        datetime(2026, 12, 3, 16, tzinfo=UTC),
        datetime(2026, 12, 2, 10, tzinfo=UTC),
        datetime(2026, 12, 2, 12, tzinfo=UTC),
        datetime(2026, 12, 3, 12, tzinfo=UTC),
        "50.00",
    ),
    # now exactly at the pickup deadline, no scan: not late yet
    Timing(
        datetime(2026, 12, 3, 16, tzinfo=UTC),
        datetime(2026, 12, 2, 15, tzinfo=UTC),
        datetime(2026, 12, 2, 16, tzinfo=UTC),
        None,
        "1200.00",
    ),
    # paid one second either side of Beijing midnight starting the Spring Festival table
    Timing(
        datetime(2026, 2, 19, 16, tzinfo=UTC),
        datetime(2026, 2, 15, 15, 59, 59, tzinfo=UTC),
        None,
        None,
        "5000.00",
    ),
    Timing(
        datetime(2026, 2, 19, 16, tzinfo=UTC),
        datetime(2026, 2, 15, 16, tzinfo=UTC),
        None,
        None,
        "5000.00",
    ),
    # a pickup scan 72 h after a missed deadline, arriving long after: refunded
    Timing(
        datetime(2027, 2, 12, 15, 59, 59, tzinfo=UTC),
        datetime(2027, 2, 5, 1, tzinfo=UTC),
        datetime(2027, 2, 5, 2, tzinfo=UTC),
        datetime(2027, 2, 9, 2, 0, 1, tzinfo=UTC),
        "2.00",
    ),
]


def _with_examples(test):  # type: ignore[no-untyped-def]
    for t in BOUNDARY_EXAMPLES:
        test = example(t=t)(test)
    return test


@_with_examples
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(t=timings())
def test_any_now_and_timing_gives_the_verdict_of_the_rules(
    t: Timing, _sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "event-path.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        sessions = session_factory(engine)
        run_event_path(t, sessions)
        expected, got = by_hand(t), stored(sessions)
        assert got == expected
        assert {
            r: (d, r in expected.violations) for r, d in expected.deadlines.items()
        } == by_the_domain(t)
        for rule, deadline in got.violations.items():
            assert deadline < t.now  # a deadline not yet passed is never a violation
            if rule == "pickup_timeout" and t.pickup is not None:
                assert t.pickup > deadline  # no violation for a pickup made in time
        sweep = run_sweep(sessions, t.now, SETTINGS, ctx=CTX)
        assert not sweep.evaluation.violations_new and not sweep.evaluation.ledger_moves
        assert stored(sessions) == got
    finally:
        engine.dispose()
