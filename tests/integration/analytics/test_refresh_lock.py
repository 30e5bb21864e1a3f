"""The 损失与风险 board never waits for a refresh of the loss aggregates another transaction runs
(issue #16: under load its requests queued behind the worker's refresh for seconds): while the
loss lock is held it shows the stored figures and their time; once it is free the next read
refreshes and shows the current figures. The worker's long pickup refresh holds only the pickup
lock, so a money reader still refreshes the losses itself meanwhile (PostgreSQL only: SQLite has
no advisory locks). A change over more days than a reader recomputes is left to the worker."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.dialect import LockKey, advisory_xact_lock
from lanshou.adapters.db.models import Violation
from lanshou.analytics.aggregates import READER_MAX_DAYS, STATE, is_fresh, refresh_aggregates
from lanshou.analytics.dashboard import LossBoard, loss_board
from lanshou.analytics.loss_cells import raw_loss_cells
from lanshou.analytics.losses import totals
from lanshou.analytics.period import Period, local_day
from lanshou.demo import seed_demo
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.identity.scope import Scope
from tests.integration.analytics.test_report_reconciles import _approve
from tests.integration.analytics.world import SETTINGS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, tzinfo=CST)
RULES = RulesContext()
PERIOD = Period(date(2026, 9, 1), date(2026, 12, 31))


def _board(s: Session) -> LossBoard:
    # A reader that waited for the lock would fail here after 5 s instead of hanging the run.
    s.execute(text("SET LOCAL lock_timeout = '5s'"))
    return loss_board(s, Scope(None), NOW, RULES, PERIOD)


def _world_with_an_approved_appeal_since_the_refresh(
    sessions: sessionmaker[Session],
) -> LossBoard:
    """Refreshed aggregates, then an appeal approved (the losses are stale); returns the board
    as it was before the approval."""
    seed_demo(sessions.kw["bind"], now=NOW, orders=200, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        before = _board(s)
        assert before.figures_at is None
        assert before.totals == totals(raw_loss_cells(s, Scope(None), PERIOD))
        v = s.execute(
            select(Violation).where(Violation.state == "confirmed").order_by(Violation.id).limit(1)
        ).scalar_one()
        _approve(s, v, NOW)
        s.commit()
    return before


def test_the_losses_board_serves_the_stored_figures_while_another_transaction_refreshes(
    pg_sessions: sessionmaker[Session],
) -> None:
    # PostgreSQL only: SQLite has no advisory locks.
    sessions = pg_sessions
    before = _world_with_an_approved_appeal_since_the_refresh(sessions)
    with sessions() as refresher:  # e.g. the worker, at the end of its refresh
        advisory_xact_lock(refresher, LockKey.ANALYTICS_REFRESH)
        with sessions() as s:
            served = _board(s)
            assert served.figures_at == NOW  # the stored rows' time: the last refresh
            assert served.totals == before.totals
            assert not is_fresh(s, STATE)  # nothing was refreshed
        refresher.rollback()
    with sessions() as s:
        after = _board(s)
        s.commit()
    with sessions() as s:
        assert is_fresh(s, STATE)
        assert after.figures_at is None
        assert after.totals == totals(raw_loss_cells(s, Scope(None), PERIOD))
        assert after.totals.recovered > before.totals.recovered


def test_a_pickup_refresh_in_progress_does_not_keep_the_losses_board_from_refreshing(
    pg_sessions: sessionmaker[Session],
) -> None:
    # PostgreSQL only: SQLite has no advisory locks.
    sessions = pg_sessions
    before = _world_with_an_approved_appeal_since_the_refresh(sessions)
    with sessions() as refresher:  # the worker, refreshing the pickups (seconds at 1 M orders)
        advisory_xact_lock(refresher, LockKey.ANALYTICS_PICKUPS)
        with sessions() as s:
            board = _board(s)
            s.commit()
        refresher.rollback()
    with sessions() as s:
        assert is_fresh(s, STATE)
        assert board.figures_at is None
        assert board.totals == totals(raw_loss_cells(s, Scope(None), PERIOD))
        assert board.totals.recovered > before.totals.recovered


def test_changes_over_more_days_than_a_reader_recomputes_are_left_to_the_worker(
    sessions: sessionmaker[Session],
) -> None:
    """Both backends: appeals approved on violations of READER_MAX_DAYS + 1 deadline days; the
    board shows the stored figures and their time, the worker's refresh makes them current."""
    engine = sessions.kw["bind"]
    seed_demo(engine, now=NOW, orders=400, days=20, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        refresh_aggregates(s, NOW, ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        before = loss_board(s, Scope(None), NOW, RULES, PERIOD)
        assert before.figures_at is None
        by_day: dict[date, Violation] = {}
        for v in s.execute(
            select(Violation).where(Violation.state == "confirmed").order_by(Violation.id)
        ).scalars():
            by_day.setdefault(local_day(v.deadline), v)
        assert len(by_day) > READER_MAX_DAYS
        for v in list(by_day.values())[: READER_MAX_DAYS + 1]:
            _approve(s, v, NOW)
        s.commit()
    with sessions() as s:
        served = loss_board(s, Scope(None), NOW, RULES, PERIOD)
        s.commit()
    assert served.figures_at == NOW  # the worker's last refresh
    assert served.totals == before.totals
    with sessions() as s:
        assert not is_fresh(s, STATE)
        refresh_aggregates(s, NOW + timedelta(minutes=1), ctx=RULES, snapshots=False)
        s.commit()
    with sessions() as s:
        after = loss_board(s, Scope(None), NOW, RULES, PERIOD)
        assert after.figures_at is None
        assert after.totals == totals(raw_loss_cells(s, Scope(None), PERIOD))
        assert after.totals.recovered > before.totals.recovered
