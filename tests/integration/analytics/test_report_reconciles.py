"""`lanshou report` money reconciles with the ledger to the fen: on the demo world with some
appeals approved, and on random histories of corrections and reversals (hypothesis)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Appeal,
    LedgerEntry,
    Order,
    Platform,
    Shipment,
    Shop,
    User,
    Violation,
)
from lanshou.analytics.losses import fen_str
from lanshou.analytics.period import Period
from lanshou.analytics.report import REPORT_KEYS, build_report
from lanshou.demo import seed_demo
from lanshou.enforcement import ledger
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.identity.scope import Scope
from tests.integration.analytics.world import SETTINGS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, tzinfo=CST)
MONEY = ("compensation", "fine", "refund")


def _user(s: Session) -> int:
    user = s.execute(select(User).where(User.username == "analyst")).scalar_one_or_none()
    if user is None:
        user = User(
            username="analyst", display_name="A", password_hash="x", role="admin", created_at=NOW
        )
        s.add(user)
        s.flush()
    return user.id


def _approve(s: Session, v: Violation, at: datetime) -> None:
    """What the appeal approval does (services.appeals.review._reverse), plus the appeal row."""
    s.add(
        Appeal(
            violation_id=v.id,
            shop_id=v.shop_id,
            state="approved",
            channel="online",
            venue="internal",
            created_by=_user(s),
            created_at=at - timedelta(hours=30),
            submitted_at=at - timedelta(hours=30),
            decided_at=at,
        )
    )
    ledger.reverse_all(
        s, shop_id=v.shop_id, violation_id=v.id, at=at, memo="appeal approved", actor="reviewer"
    )
    v.state, v.updated_at = "reversed", at
    s.flush()


def _ledger_truth(
    s: Session,
    period: Period,
    shop_ids: set[int] | None,
    before_reversal: dict[int, dict[str, int]],
) -> dict[str, int]:
    """Sums straight from the ledger, independent of the analytics code."""
    truth: defaultdict[str, int] = defaultdict(int)
    rows = s.execute(
        select(LedgerEntry.amount_fen, Violation.id, Violation.shop_id)
        .join(Violation, Violation.id == LedgerEntry.violation_id)
        .where(
            Violation.deadline >= period.start,
            Violation.deadline < period.end,
            LedgerEntry.kind != "points",
        )
    )
    in_period = set()
    for fen, vid, shop in rows:
        if shop_ids is None or shop in shop_ids:
            truth["net"] += fen
            in_period.add(vid)
    for vid, kinds in before_reversal.items():
        if vid in in_period:
            truth["recovered"] += sum(kinds.values())
    return truth


def _check(report: dict[str, object], truth: dict[str, int]) -> None:
    assert tuple(report) == REPORT_KEYS
    as_fen = {
        k: int(str(report[k]).replace(".", "").replace("-", ""))
        * (-1 if str(report[k]).startswith("-") else 1)
        for k in ("compensation", "fines", "refunds", "recovered", "net_loss")
    }
    assert as_fen["net_loss"] == truth["net"]
    assert as_fen["recovered"] == truth["recovered"]
    assert (
        as_fen["compensation"] + as_fen["fines"] + as_fen["refunds"] - as_fen["recovered"]
        == as_fen["net_loss"]
    )


def test_the_demo_world_report_reconciles_with_the_ledger(sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=400, days=20, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    before: dict[int, dict[str, int]] = {}
    with sessions() as s:
        violations = list(
            s.execute(
                select(Violation)
                .where(Violation.state == "confirmed")
                .order_by(Violation.id)
                .limit(6)
            ).scalars()
        )
        assert len(violations) == 6
        for v in violations:
            entries = ledger.open_entries(s, [v.id])
            before[v.id] = {
                k: sum(e.amount_fen for e in es) for (_, k), es in entries.items() if k in MONEY
            }
            _approve(s, v, NOW - timedelta(hours=1))
        s.commit()
    period = Period(date(2026, 10, 1), date(2026, 11, 30))
    with sessions() as s:
        report = build_report(s, Scope(None), period, RulesContext(), now=NOW)
        truth = _ledger_truth(s, period, None, before)
        assert report["appeals"] == {"filed": 6, "approved": 6, "rejected": 0, "pending": 0}
        assert (
            sum(report["violations"].values())
            == s.query(Violation)
            .filter(Violation.state.in_(("open", "confirmed", "reversed")))
            .count()
        )
        shop_code = s.execute(select(Shop.code).order_by(Shop.id)).scalars().first()
        one = build_report(s, Scope(None), period, RulesContext(), shop_code, now=NOW)
    assert truth["recovered"] > 0
    _check(report, truth)
    assert one["shops"] == [shop_code]


_counter = itertools.count(1)
OPS = st.lists(st.tuples(st.sampled_from(MONEY), st.integers(0, 5000)), min_size=1, max_size=4)
HISTORY = st.lists(st.tuples(st.integers(-3, 12), OPS, st.booleans()), min_size=1, max_size=6)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=HISTORY)
def test_random_histories_of_corrections_and_appeals_reconcile(
    sessions: sessionmaker[Session], history: list[tuple[int, list[tuple[str, int]], bool]]
) -> None:
    """Each violation: deadline `day` days into November, a series of re-settlements to new
    targets (each a reversal plus a booking), then maybe an approved appeal."""
    n = next(_counter)
    before: dict[int, dict[str, int]] = {}
    with sessions() as s:
        if s.get(Platform, 1) is None:
            s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
            s.flush()
        shop = Shop(platform_id=1, code=f"h{n}", name=f"h{n}")
        s.add(shop)
        s.flush()
        for i, (day, ops, appealed) in enumerate(history):
            deadline = datetime(2026, 11, 1, 10, tzinfo=CST) + timedelta(days=day)
            order = Order(
                shop_id=shop.id,
                external_id=f"{n}-{i}",
                status="shipped",
                paid_at=deadline,
                amount_fen=1,
                quantity=1,
                created_at=deadline,
                updated_at=deadline,
            )
            s.add(order)
            s.flush()
            sh = Shipment(order_id=order.id, key="k", status="picked_up", amount_fen=1)
            s.add(sh)
            s.flush()
            v = Violation(
                shipment_id=sh.id,
                order_id=order.id,
                shop_id=shop.id,
                profile="douyin",
                rule_id="pickup_timeout",
                started_at=deadline,
                deadline=deadline,
                state="confirmed",
                explanation="",
                detected_at=deadline,
                updated_at=deadline,
            )
            s.add(v)
            s.flush()
            for step, (kind, target) in enumerate(ops):
                current = ledger.open_entries(s, [v.id]).get((v.id, kind), [])
                ledger.settle(
                    s,
                    shop_id=shop.id,
                    violation_id=v.id,
                    kind=kind,
                    target_fen=target,
                    target_points=Decimal(0),
                    current=current,
                    at=deadline + timedelta(minutes=step),
                    memo="re-evaluated",
                    actor="system",
                )
            if appealed:
                entries = ledger.open_entries(s, [v.id])
                before[v.id] = {k: sum(e.amount_fen for e in es) for (_, k), es in entries.items()}
                _approve(s, v, deadline + timedelta(days=2))
        s.commit()
        period = Period(date(2026, 11, 1), date(2026, 11, 10))
        report = build_report(s, Scope(frozenset({shop.id})), period, RulesContext(), now=NOW)
        _check(report, _ledger_truth(s, period, {shop.id}, before))
        assert report["net_loss"] == fen_str(_ledger_truth(s, period, {shop.id}, {})["net"])
