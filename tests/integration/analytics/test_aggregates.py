"""The analytics aggregates equal a recomputation from the raw tables, after a full refresh and
after incremental ones (appeals approved, a later sweep), on both backends; histogram
percentiles stay within one bucket of the exact nearest-rank ones."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    AnalyticsState,
    LossDaily,
    PickupDaily,
    PickupLatency,
    Violation,
)
from lanshou.services.analytics.aggregates import is_fresh, refresh_aggregates
from lanshou.services.analytics.losses import raw_loss_cells
from lanshou.services.analytics.period import Period, percentile
from lanshou.services.analytics.scorecards import (
    pickup_samples,
    raw_pickup_cells,
    raw_samples,
    scorecards,
)
from lanshou.services.demo import seed_demo
from lanshou.services.orders import Scope
from lanshou.services.sweep import evaluate_all
from tests.integration.analytics.test_report_reconciles import _approve
from tests.integration.analytics.world import SETTINGS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, tzinfo=CST)
EVERYTHING = Period(date(2026, 9, 1), date(2026, 12, 31))
LOSS_COLS = ("day", "shop_id", "platform_id", "rule_id", "carrier_id", "outlet_id", "kind",
             "charged_fen", "recovered_fen")
PICKUP_KEY = ("day", "shop_id", "carrier_id", "outlet_id", "courier_id")
PICKUP_COUNTS = ("shipments", "with_deadline", "timeouts", "reversed", "feed_stalls",
                 "penalty_fen")


def _stored(s: Session, model: Any, cols: tuple[str, ...]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(getattr(r, c) for c in cols) for r in s.execute(select(model)).scalars())


def _assert_equal_to_recomputation(s: Session) -> None:
    loss = Counter(tuple(getattr(c, k) for k in LOSS_COLS)
                   for c in raw_loss_cells(s, Scope(None), EVERYTHING))
    assert _stored(s, LossDaily, LOSS_COLS) == loss
    daily, latency = raw_pickup_cells(s, Scope(None), EVERYTHING)
    assert _stored(s, PickupDaily, PICKUP_KEY + PICKUP_COUNTS) == Counter(
        tuple(r[k] for k in PICKUP_KEY + PICKUP_COUNTS) for r in daily)
    assert _stored(s, PickupLatency, (*PICKUP_KEY, "bucket", "n")) == Counter(
        tuple(r[k] for k in (*PICKUP_KEY, "bucket", "n")) for r in latency)


def test_aggregates_equal_a_recomputation_full_and_incremental(
        sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW - timedelta(days=1), orders=400, days=20, create_users=False)
    evaluate_all(sessions, NOW - timedelta(days=1), SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW - timedelta(days=1))
        s.commit()
    with sessions() as s:
        assert is_fresh(s)
        assert s.execute(select(LossDaily)).first() is not None
        _assert_equal_to_recomputation(s)
    # A later sweep books new violations; appeals reverse old ones (outside the recent window).
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        old = list(s.execute(select(Violation).where(Violation.state == "confirmed")
                             .order_by(Violation.deadline).limit(3)).scalars())
        assert old
        for v in old:
            _approve(s, v, NOW - timedelta(hours=1))
        s.commit()
    with sessions() as s:
        assert not is_fresh(s)
        refresh_aggregates(s, NOW)
        s.commit()
    with sessions() as s:
        assert is_fresh(s)
        state = s.get(AnalyticsState, "loss")
        assert state is not None and state.refreshed_at == NOW
        _assert_equal_to_recomputation(s)


def test_histogram_percentiles_are_within_one_bucket_of_the_exact_ones(
        sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=300, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    period = Period(NOW.date() - timedelta(days=12), NOW.date())
    with sessions() as s:
        exact: dict[int | None, list[float]] = defaultdict(list)
        counts: Counter[int | None] = Counter()
        for sample in raw_samples(s, Scope(None), period):
            counts[sample.carrier_id] += 1
            if sample.latency_h is not None:
                exact[sample.carrier_id].append(sample.latency_h)
        cards = scorecards(s, pickup_samples(s, Scope(None), period), "carrier")
    assert {c.entity_id: c.shipments for c in cards} == dict(counts)
    for card in cards:
        values = sorted(exact[card.entity_id])
        for q in (50, 90, 99):
            true, got = percentile(values, q), card.p(q)
            assert true is not None and got is not None
            width = 5 / 60 if got < 6 else 0.25 if got < 24 else 1.0
            assert got <= true + 1e-9 < got + width
