"""The analytics aggregates equal a recomputation from the raw tables, after a full refresh and
after incremental ones (appeals approved, a later sweep, a late pickup scan of an old parcel,
the next day), on both backends — the daily tables and the 7/30/90-day latency windows; the
pages' figures read through the windows and grouped in the database equal those computed from
the daily rows; histogram percentiles stay within one bucket of the exact nearest-rank ones;
the board's exposure equals the at-risk board's."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.migrate import downgrade, upgrade
from lanshou.adapters.db.models import (
    AnalyticsState,
    ExposureSnapshot,
    LossDaily,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    PickupWindow,
    Shipment,
    Shop,
    ShopMembership,
    User,
    Violation,
    ViolationDaily,
)
from lanshou.analytics.aggregates import (
    LEVEL_COLUMNS,
    NO_ENTITY,
    PICKUP_STATE,
    RECENT_DAYS,
    STATE,
    WINDOWS,
    ensure_pickups,
    is_fresh,
    refresh_aggregates,
    window_sums,
)
from lanshou.analytics.at_risk import live_at_risk
from lanshou.analytics.dashboard import loss_board
from lanshou.analytics.exposure import MAX_AGE, board_exposure, exposure, scope_key
from lanshou.analytics.loss_cells import raw_loss_cells, raw_violation_cells
from lanshou.analytics.losses import (
    DIMENSIONS,
    LossTotals,
    breakdown,
    loss_breakdowns,
    loss_cells,
    raw_violation_counts,
    totals,
    violation_counts,
)
from lanshou.analytics.period import Period, local_day, percentile
from lanshou.analytics.pickup_cells import raw_pickup_cells, raw_samples
from lanshou.analytics.pickup_rules import pickup_rule_keys
from lanshou.analytics.scorecards import (
    LEVELS,
    PickupSamples,
    latency_percentiles,
    pickup_samples,
    recommend,
    scorecards,
)
from lanshou.demo import seed_demo
from lanshou.domain.money import from_fen
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.enforcement.tracking import record_events
from lanshou.identity.scope import Scope
from tests.integration.analytics.test_report_reconciles import _approve
from tests.integration.analytics.world import SETTINGS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, tzinfo=CST)
RULES = RulesContext()
EVERYTHING = Period(date(2026, 9, 1), date(2026, 12, 31))
LOSS_COLS = (
    "day",
    "shop_id",
    "platform_id",
    "rule_id",
    "carrier_id",
    "outlet_id",
    "kind",
    "charged_fen",
    "recovered_fen",
)
PICKUP_KEY = ("day", "shop_id", "carrier_id", "outlet_id", "courier_id")
PICKUP_COUNTS = ("shipments", "with_deadline", "timeouts", "reversed", "feed_stalls", "penalty_fen")


def _stored(s: Session, model: Any, cols: tuple[str, ...]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(getattr(r, c) for c in cols) for r in s.execute(select(model)).scalars())


def _assert_equal_to_recomputation(s: Session) -> None:
    loss = Counter(
        tuple(getattr(c, k) for k in LOSS_COLS) for c in raw_loss_cells(s, Scope(None), EVERYTHING)
    )
    assert _stored(s, LossDaily, LOSS_COLS) == loss
    assert _stored(s, ViolationDaily, ("day", "shop_id", "rule_id", "n")) == Counter(
        (c["day"], c["shop_id"], c["rule_id"], c["n"]) for c in raw_violation_cells(s, EVERYTHING)
    )
    daily, latency = raw_pickup_cells(s, Scope(None), EVERYTHING, pickup_rule_keys(s, RULES))
    assert _stored(s, PickupDaily, PICKUP_KEY + PICKUP_COUNTS) == Counter(
        tuple(r[k] for k in PICKUP_KEY + PICKUP_COUNTS) for r in daily
    )
    assert _stored(s, PickupLatency, (*PICKUP_KEY, "bucket", "n")) == Counter(
        tuple(r[k] for k in (*PICKUP_KEY, "bucket", "n")) for r in latency
    )
    state = s.get(AnalyticsState, PICKUP_STATE)
    if state is not None and state.window_day is not None:
        _assert_windows_equal_a_recomputation(s, state.window_day)


def _assert_windows_equal_a_recomputation(s: Session, day: date) -> None:
    """Each window holds the histogram of the shipments marked shipped in its days, from the
    raw tables, per level, shop and entity — and nothing else (no zero rows)."""
    assert s.execute(select(PickupWindow).where(PickupWindow.n <= 0)).first() is None
    for w in WINDOWS:
        window = Period(day - timedelta(days=w - 1), day)
        _, latency = raw_pickup_cells(s, Scope(None), window, pickup_rule_keys(s, RULES))
        want: Counter[tuple[Any, ...]] = Counter()
        for r in latency:
            for level, column in LEVEL_COLUMNS.items():
                entity = r[column] if r[column] is not None else NO_ENTITY
                want[(level, r["shop_id"], entity, r["bucket"])] += r["n"]
        stored = {
            (r.level, r.shop_id, r.entity_id, r.bucket): r.n
            for r in s.execute(select(PickupWindow).where(PickupWindow.window_days == w)).scalars()
        }
        assert stored == dict(want)
        assert stored == window_sums(s, w, day)
        _assert_percentiles_equal_a_recomputation(s, w, want)


def _nearest_rank(hist: Counter[int]) -> tuple[int, ...]:
    total, cum, out = sum(hist.values()), 0, []
    wanted = [50, 90, 99]
    for bucket in sorted(hist):
        cum += hist[bucket]
        while wanted and cum * 100 >= wanted[0] * total:
            out.append(bucket)
            wanted.pop(0)
    return tuple(out)


def _assert_percentiles_equal_a_recomputation(
    s: Session, w: int, hist: Counter[tuple[Any, ...]]
) -> None:
    provinces = dict(s.execute(select(Shop.id, Shop.origin_province)).all())
    grouped: dict[tuple[Any, ...], Counter[int]] = defaultdict(Counter)
    for (level, shop, entity, bucket), n in hist.items():
        keys = [(level, "", entity)]
        if level == "carrier" and provinces.get(shop) is not None:
            keys.append(("province", provinces[shop], entity))
        for key in keys:
            grouped[(key[0], shop, *key[1:])][bucket] += n
            grouped[(key[0], 0, *key[1:])][bucket] += n
    stored = {
        (r.level, r.shop_id, r.province, r.entity_id): (r.p50, r.p90, r.p99)
        for r in s.execute(
            select(PickupPercentile).where(PickupPercentile.window_days == w)
        ).scalars()
    }
    assert stored == {k: _nearest_rank(h) for k, h in grouped.items()}


def test_aggregates_equal_a_recomputation_full_and_incremental(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW - timedelta(days=1), orders=400, days=20, create_users=False)
    evaluate_all(sessions, NOW - timedelta(days=1), SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW - timedelta(days=1), ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        assert is_fresh(s)
        assert s.execute(select(LossDaily)).first() is not None
        _assert_equal_to_recomputation(s)
    # A later sweep books new violations; appeals reverse old ones (outside the recent window).
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        old = list(
            s.execute(
                select(Violation)
                .where(Violation.state == "confirmed")
                .order_by(Violation.deadline)
                .limit(3)
            ).scalars()
        )
        assert old
        for v in old:
            _approve(s, v, NOW - timedelta(hours=1))
        s.commit()
    with sessions() as s:
        assert not is_fresh(s)
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        assert is_fresh(s)
        state = s.get(AnalyticsState, "loss")
        assert state is not None and state.refreshed_at == NOW
        pickup = s.get(AnalyticsState, PICKUP_STATE)
        assert pickup is not None and pickup.window_day == local_day(NOW)  # rebuilt: next day
        _assert_equal_to_recomputation(s)
    # The same day again: the windows follow by differences. A late pickup scan of a parcel
    # shipped long before the recent days moves its latency (found by the event watermark),
    # and more appeals are approved.
    with sessions() as s:
        old_day = local_day(NOW) - timedelta(days=RECENT_DAYS + 4)
        start = datetime.combine(old_day, datetime.min.time(), tzinfo=CST)
        sh = next(
            x
            for x in s.execute(
                select(Shipment)
                .where(
                    Shipment.picked_up_at.is_not(None),
                    Shipment.shipped_at >= start + timedelta(hours=8),
                    Shipment.shipped_at < start + timedelta(days=1),
                )
                .order_by(Shipment.id)
            ).scalars()
            if x.picked_up_at - x.shipped_at > timedelta(hours=2)
        )  # type: ignore[operator]
        assert sh.shipped_at is not None and sh.waybill_no is not None
        earlier = sh.shipped_at + timedelta(minutes=40)
        record_events(
            s, [TrackingUpdate(sh.waybill_no, "picked_up", earlier, "test")], NOW, RulesContext()
        )
        s.flush()
        s.refresh(sh)
        assert sh.picked_up_at == earlier
        more = list(
            s.execute(
                select(Violation)
                .where(Violation.state == "confirmed")
                .order_by(Violation.deadline.desc())
                .limit(2)
            ).scalars()
        )
        for v in more:
            _approve(s, v, NOW - timedelta(minutes=30))
        s.commit()
    with sessions() as s:
        assert not is_fresh(s, PICKUP_STATE)
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        assert is_fresh(s)
        _assert_equal_to_recomputation(s)


def test_money_readers_refresh_the_losses_and_leave_the_pickups_to_the_worker(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=200, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    period = Period(date(2026, 9, 1), date(2026, 12, 31))
    with sessions() as s:
        before = loss_breakdowns(s, Scope(None), period, ("total",), now=NOW)["total"][None]
        v = s.execute(
            select(Violation).where(Violation.state == "confirmed").order_by(Violation.id).limit(1)
        ).scalar_one()
        _approve(s, v, NOW)
        s.commit()
    with sessions() as s:
        pickup_state = s.get(AnalyticsState, PICKUP_STATE)
        assert pickup_state is not None
        pickup_tokens = (pickup_state.ledger_id, pickup_state.refreshed_at)
        after = loss_breakdowns(s, Scope(None), period, ("total",), now=NOW)["total"][None]
        s.commit()
    assert after.recovered > before.recovered and after.net < before.net
    with sessions() as s:
        assert is_fresh(s, STATE) and not is_fresh(s, PICKUP_STATE)
        pickup_state = s.get(AnalyticsState, PICKUP_STATE)
        assert pickup_state is not None
        assert (pickup_state.ledger_id, pickup_state.refreshed_at) == pickup_tokens
        ensure_pickups(s, RULES, NOW)  # built already: nothing to do
        assert not is_fresh(s, PICKUP_STATE)
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        assert is_fresh(s)
        _assert_equal_to_recomputation(s)


def test_the_pages_read_the_same_figures_through_windows_and_sql_grouping(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=400, days=20, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        shops = list(s.execute(select(Shop.id).order_by(Shop.id)).scalars())
        first_shop = shops[0]
        assert len(shops) == 3
        for days in (7, 30):
            period = Period.ending(NOW, days)
            for scope, shop in (
                (Scope(None), None),
                (Scope(frozenset({first_shop})), None),
                (Scope(None), first_shop),
                (Scope(frozenset(shops[:2])), None),
                (Scope(frozenset(shops)), None),
                (Scope(frozenset(shops[1:])), first_shop),
            ):
                fast = pickup_samples(s, scope, period, RULES, shop, now=NOW)
                assert fast.window == days
                slow = PickupSamples(scope, period, shop, fast.cells, None)
                for level in (*LEVELS, "province"):
                    assert latency_percentiles(s, fast, level) == latency_percentiles(
                        s, slow, level
                    )
                for level in LEVELS:
                    assert [c.row() | {"weeks": c.weeks} for c in scorecards(s, fast, level)] == [
                        c.row() | {"weeks": c.weeks} for c in scorecards(s, slow, level)
                    ]
                assert recommend(s, scope, period, fast) == recommend(s, scope, period, slow)
                # money grouped in the database = the cells grouped in Python
                cells = loss_cells(s, scope, period, shop, now=NOW)
                got = loss_breakdowns(s, scope, period, (*DIMENSIONS, "total"), shop, now=NOW)
                for dim in DIMENSIONS:
                    assert got[dim] == breakdown(cells, dim)
                assert got["total"].get(None, LossTotals()) == totals(cells)
                assert violation_counts(s, scope, period, shop, now=NOW) == raw_violation_counts(
                    s, scope, period, shop
                )
        # a period that is not a window reads the daily histograms
        assert pickup_samples(s, Scope(None), Period.ending(NOW, 12), RULES, now=NOW).window is None
        assert (
            pickup_samples(
                s, Scope(None), Period.ending(NOW - timedelta(days=1), 7), RULES, now=NOW
            ).window
            is None
        )


def test_the_exposure_equals_the_at_risk_boards(sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=400, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    ctx = RulesContext()
    with sessions() as s:
        shops = list(s.execute(select(Shop.id).order_by(Shop.id)).scalars())
        for scope in (Scope(None), Scope(frozenset(shops[:1])), Scope(frozenset())):
            for now in (NOW, NOW + timedelta(hours=5)):
                items = live_at_risk(s, scope, now, ctx, limit=None, sort="risk")
                want = sum((it.expected_cost or Decimal(0) for it in items), Decimal("0.00"))
                assert exposure(s, scope, now, ctx) == (want, len(items))
                if scope.shop_ids is None:
                    assert want > 0
    # The worker stores the figures of all shops and of each user's shops; the board shows
    # them while they are recent, with their time, and computes the others.
    with sessions() as s:
        users = [
            User(
                username=f"u{i}",
                display_name="u",
                password_hash="x",
                role="merchant_owner",
                created_at=NOW,
            )
            for i in range(3)
        ]
        s.add_all(users)
        s.flush()
        s.add_all(
            [
                ShopMembership(user_id=users[0].id, shop_id=shops[0]),
                ShopMembership(user_id=users[1].id, shop_id=shops[0]),
                ShopMembership(user_id=users[1].id, shop_id=shops[1]),
                ShopMembership(user_id=users[2].id, shop_id=shops[0]),
            ]
        )
        refresh_aggregates(s, NOW, ctx=ctx)
        s.commit()
    with sessions() as s:
        snaps = {x.scope_key: x for x in s.execute(select(ExposureSnapshot)).scalars()}
        one, two = frozenset(shops[:1]), frozenset(shops[:2])
        assert set(snaps) == {"all", scope_key(one), scope_key(two)}
        for shop_set in (None, one, two):
            scope = Scope(shop_set)
            snap = snaps[scope_key(shop_set)]
            value, count = exposure(s, scope, NOW, ctx)
            assert (from_fen(snap.expected_fen), snap.pending) == (value, count)
            # The stored figure, with its time, for an hour; computed at now after that.
            assert board_exposure(s, scope, NOW + timedelta(minutes=4), ctx) == (value, count, NOW)
            assert board_exposure(s, scope, NOW + MAX_AGE, ctx) == (value, count, NOW)
            later = NOW + MAX_AGE + timedelta(minutes=1)
            assert board_exposure(s, scope, later, ctx) == (*exposure(s, scope, later, ctx), later)
        other = Scope(frozenset(shops[1:]))
        assert board_exposure(s, other, NOW, ctx) == (*exposure(s, other, NOW, ctx), NOW)
        board = loss_board(s, Scope(None), NOW + timedelta(minutes=1), ctx, Period.ending(NOW, 30))
        assert (board.exposure, board.at_risk_count, board.exposure_at) == (
            from_fen(snaps["all"].expected_fen),
            snaps["all"].pending,
            NOW,
        )


def test_upgrading_to_0006_gives_the_pickups_the_losses_watermark(db_engine: Engine) -> None:
    downgrade(db_engine, "0005")
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO analytics_state (name, ledger_id, shipment_id, "
                "deadline_id, violation_id, violation_updated_at, refreshed_at) "
                "VALUES ('loss', 5, 6, 7, 8, NULL, :at)"
            ),
            {"at": NOW},
        )
    upgrade(db_engine)
    with Session(db_engine) as s:
        pickup = s.get(AnalyticsState, PICKUP_STATE)
        assert pickup is not None
        assert (
            pickup.ledger_id,
            pickup.shipment_id,
            pickup.deadline_id,
            pickup.violation_id,
            pickup.event_id,
            pickup.window_day,
        ) == (5, 6, 7, 8, None, None)
        assert s.get(AnalyticsState, STATE) is None  # the losses are rebuilt (violation counts)
        s.add(
            AnalyticsState(
                name=STATE,
                ledger_id=9,
                shipment_id=9,
                deadline_id=9,
                violation_id=9,
                violation_updated_at=None,
                refreshed_at=NOW,
            )
        )
        s.commit()
    downgrade(db_engine, "0005")
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT name, ledger_id FROM analytics_state")).all() == [
            ("loss", 5)
        ]
    upgrade(db_engine)


def test_histogram_percentiles_are_within_one_bucket_of_the_exact_ones(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=300, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    period = Period(NOW.date() - timedelta(days=12), NOW.date())
    with sessions() as s:
        exact: dict[int | None, list[float]] = defaultdict(list)
        counts: Counter[int | None] = Counter()
        for sample in raw_samples(s, Scope(None), period, pickup_rule_keys(s, RULES)):
            counts[sample.carrier_id] += 1
            if sample.latency_h is not None:
                exact[sample.carrier_id].append(sample.latency_h)
        cards = scorecards(s, pickup_samples(s, Scope(None), period, RULES, now=NOW), "carrier")
    assert {c.entity_id: c.shipments for c in cards} == dict(counts)
    for card in cards:
        values = sorted(exact[card.entity_id])
        for q in (50, 90, 99):
            true, got = percentile(values, q), card.p(q)
            assert true is not None and got is not None
            width = 5 / 60 if got < 6 else 0.25 if got < 24 else 1.0
            assert got <= true + 1e-9 < got + width
