"""Deadlines, the sweep, fines per shop-day and the at-risk board at day and holiday boundaries.

Every expected instant is written out by hand from the rule data (``douyin.yaml``, the synthetic
profiles of :mod:`.profiles`) and the official 2026 holiday schedule (Spring Festival 15–23
February with make-up workdays on Saturday 14 and 28 February; National Day 1–7 October with
make-up workdays on Sunday 20 September and Saturday 10 October). 2027 and 2028 have no official
schedule in the ``holidays`` package yet, so the calendar counts their statutory holidays (元旦,
春节 eve and days 1–3, …) and weekends, without make-up workdays, and says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Deadline, LedgerEntry, Violation, Warning_
from lanshou.analytics.at_risk import board
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.identity.scope import Scope
from lanshou.settings import load_settings
from tests.integration.enforcement.world import World
from tests.integration.time.instants import bj, weekends_only_years_expected
from tests.integration.time.profiles import rules_with_test_profiles

SETTINGS = load_settings(env="test", secret_key="x" * 32)
SECOND = timedelta(seconds=1)
US = timedelta(microseconds=1)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RulesContext]:
    with weekends_only_years_expected():
        yield rules_with_test_profiles(tmp_path / "rules")


def evaluate(
    sessions: sessionmaker[Session], ids: list[int], now: datetime, ctx: RulesContext
) -> None:
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, ids, now, ctx)


def due(sessions: sessionmaker[Session], sid: int, rule: str) -> tuple[datetime, str]:
    with sessions() as s:
        row = s.execute(
            select(Deadline.due_at, Deadline.state).where(
                Deadline.shipment_id == sid, Deadline.rule_id == rule
            )
        ).one()
    return row[0], row[1]


def violations(sessions: sessionmaker[Session]) -> list[tuple[str, datetime, str]]:
    with sessions() as s:
        return [
            tuple(r)
            for r in s.execute(  # type: ignore[misc]
                select(Violation.rule_id, Violation.deadline, Violation.state).order_by(
                    Violation.id
                )
            )
        ]


def booked(sessions: sessionmaker[Session], kind: str) -> dict[int, object]:
    """Fen of fine (or points) per violation id, after every correction; none if nothing."""
    column = LedgerEntry.points if kind == "points" else LedgerEntry.amount_fen
    with sessions() as s:
        rows = s.execute(select(LedgerEntry.violation_id, column).where(LedgerEntry.kind == kind))
        out: dict[int, object] = {}
        for vid, amount in rows:
            out[vid] = out.get(vid, 0) + amount
    return {vid: amount for vid, amount in out.items() if amount}


# --------------------------------------------------------------- douyin's Spring Festival table

SPRING_FESTIVAL_SHIP_DEADLINES = [
    # paid (Beijing), ship-by (Beijing): 48 h, except paid 2/16–2/20 (by 2/25 00:00) and
    # 2/21–2/24 (72 h), chosen by the Beijing date of payment
    (bj(2026, 2, 15, 23, 59), bj(2026, 2, 17, 23, 59)),
    (bj(2026, 2, 16, 0, 1), bj(2026, 2, 25, 0, 0)),
    (bj(2026, 2, 20, 23, 59), bj(2026, 2, 25, 0, 0)),
    (bj(2026, 2, 21, 0, 1), bj(2026, 2, 24, 0, 1)),  # paid later, due earlier: the table says so
    (bj(2026, 2, 24, 23, 59), bj(2026, 2, 27, 23, 59)),
    (bj(2026, 2, 25, 0, 1), bj(2026, 2, 27, 0, 1)),
    (bj(2027, 2, 6, 0, 1), bj(2027, 2, 8, 0, 1)),  # no 2027 table in the data: 48 h
]


# --------------------------------------------------------------- the working-day calendar

WORKING_DAY_SHIP_DEADLINES = [
    # paid (Beijing) + 1 working day: same time on the next workday; from a non-working day,
    # 00:00 of the workday after the first one
    (bj(2026, 9, 30, 23, 59), bj(2026, 10, 8, 23, 59)),  # eve of National Day
    (bj(2026, 10, 1, 0, 1), bj(2026, 10, 9, 0, 0)),  # two minutes later: a holiday
    (bj(2026, 10, 9, 23, 59), bj(2026, 10, 10, 23, 59)),  # Saturday 10/10 is a make-up workday
    (bj(2026, 2, 14, 23, 59), bj(2026, 2, 24, 23, 59)),  # Saturday make-up day, then the festival
    (bj(2026, 2, 15, 0, 1), bj(2026, 2, 25, 0, 0)),
    (bj(2026, 2, 17, 10, 0), bj(2026, 2, 25, 0, 0)),  # Spring Festival day
    # 2027 has no official 调休 yet: its statutory holidays count (元旦 1/1, 春节 2/5–2/8),
    # weekends too, and no make-up workday
    (bj(2026, 12, 31, 23, 59), bj(2027, 1, 4, 23, 59)),  # past 元旦 and the weekend
    (bj(2027, 2, 5, 23, 59), bj(2027, 2, 10, 0, 0)),  # 除夕: counts from Tuesday 2/9
    (bj(2027, 2, 6, 0, 1), bj(2027, 2, 10, 0, 0)),
    (bj(2027, 2, 12, 23, 59), bj(2027, 2, 15, 23, 59)),
    (bj(2028, 2, 28, 23, 59), bj(2028, 2, 29, 23, 59)),  # leap day
    (bj(2028, 2, 29, 0, 1), bj(2028, 3, 1, 0, 1)),
]


SHIP_DEADLINES = [("douyin", *case) for case in SPRING_FESTIVAL_SHIP_DEADLINES] + [
    ("workdays", *case) for case in WORKING_DAY_SHIP_DEADLINES
]


@pytest.mark.parametrize(
    ("profile", "paid", "ship_by"),
    SHIP_DEADLINES,
    ids=[f"{n}-{p:%Y-%m-%dT%H:%M}" for n, p, _ in SHIP_DEADLINES],
)
def test_the_ship_deadline_at_day_and_holiday_boundaries(
    sessions: sessionmaker[Session],
    ctx: RulesContext,
    profile: str,
    paid: datetime,
    ship_by: datetime,
) -> None:
    w = World(sessions).setup(profile)
    sid = w.order("S1", paid.astimezone(UTC))
    evaluate(sessions, [sid], paid, ctx)
    assert due(sessions, sid, "ship_timeout") == (ship_by, "pending")
    run_sweep(sessions, ship_by, SETTINGS, ctx=ctx)  # exactly at the deadline: not late yet
    assert violations(sessions) == []
    run_sweep(sessions, ship_by + US, SETTINGS, ctx=ctx)
    assert violations(sessions) == [("ship_timeout", ship_by, "open")]


WORKING_HOUR_PICKUP_DEADLINES = [
    # shipped (Beijing) + 4 working hours in 09:00–18:00 on workdays
    (bj(2026, 9, 30, 17, 0), bj(2026, 10, 8, 12, 0)),  # 1 h before the holiday, 3 h after it
    (bj(2026, 9, 30, 23, 59), bj(2026, 10, 8, 13, 0)),
    (bj(2026, 10, 1, 0, 1), bj(2026, 10, 8, 13, 0)),
    (bj(2026, 10, 9, 16, 0), bj(2026, 10, 10, 11, 0)),  # into the make-up Saturday
    (bj(2026, 12, 3, 15, 59, 59), bj(2026, 12, 4, 10, 59, 59)),  # 07:59:59Z
    (bj(2026, 12, 4, 0, 0), bj(2026, 12, 4, 13, 0)),  # shipped at Beijing midnight, 16:00Z
    (bj(2026, 12, 31, 17, 0), bj(2027, 1, 4, 12, 0)),  # into 2027, past 元旦 and the weekend
]


@pytest.mark.parametrize(
    ("shipped", "pickup_by"),
    WORKING_HOUR_PICKUP_DEADLINES,
    ids=[f"{s:%Y-%m-%dT%H:%M}" for s, _ in WORKING_HOUR_PICKUP_DEADLINES],
)
def test_a_working_hour_deadline_skips_nights_holidays_and_weekends(
    sessions: sessionmaker[Session], ctx: RulesContext, shipped: datetime, pickup_by: datetime
) -> None:
    w = World(sessions).setup("workdays")
    sid = w.order(
        "WH1", (shipped - timedelta(hours=1)).astimezone(UTC), shipped=shipped.astimezone(UTC)
    )
    evaluate(sessions, [sid], shipped, ctx)
    assert due(sessions, sid, "pickup_timeout") == (pickup_by, "pending")
    w.event(sid, "picked_up", pickup_by)  # a pickup exactly at the deadline is in time
    evaluate(sessions, [sid], pickup_by + timedelta(hours=1), ctx)
    assert due(sessions, sid, "pickup_timeout") == (pickup_by, "met")
    assert violations(sessions) == []


# --------------------------------------------------------------- fines per Beijing day


def test_the_daily_fine_cap_counts_the_beijing_day_of_the_deadline(
    sessions: sessionmaker[Session], ctx: RulesContext
) -> None:
    """One fine of ¥10 a shop-day: deadlines at 15:59:59Z and 16:00:00Z are two Beijing days
    (both fined); 16:00Z and 16:30Z are one (the later one is not fined). Counted by
    the UTC date, all three would share one day and only the first would be fined."""
    w = World(sessions).setup("dailycap")
    shipped = [
        datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 2, 16, tzinfo=UTC),
        datetime(2026, 12, 2, 16, 30, tzinfo=UTC),
    ]
    ids = [w.order(f"C{i}", at - timedelta(hours=1), shipped=at) for i, at in enumerate(shipped)]
    evaluate(sessions, ids, datetime(2026, 12, 2, 17, tzinfo=UTC), ctx)
    for hour in range(15, 18):  # the sweep finds each breach as it happens
        run_sweep(sessions, datetime(2026, 12, 3, hour, tzinfo=UTC), SETTINGS, ctx=ctx)
    deadlines = [at + timedelta(hours=24) for at in shipped]
    assert violations(sessions) == [("pickup_timeout", d, "open") for d in deadlines]
    assert booked(sessions, "fine") == {1: 1000, 2: 1000}


def test_the_weekly_points_cap_counts_the_beijing_iso_week(
    sessions: sessionmaker[Session], ctx: RulesContext
) -> None:
    """One point a shop-week: Sunday 6 December 2026 15:59:59Z is Beijing's Sunday (week 49),
    16:00Z and 16:30Z Beijing's Monday (week 50): points 1, 1, 0. By UTC weeks all three would
    be on Sunday and only the first would score."""
    w = World(sessions).setup("dailycap")
    deadlines = [
        datetime(2026, 12, 6, 15, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 6, 16, tzinfo=UTC),
        datetime(2026, 12, 6, 16, 30, tzinfo=UTC),
    ]
    ids = [
        w.order(f"P{i}", due - timedelta(hours=25), shipped=due - timedelta(hours=24))
        for i, due in enumerate(deadlines)
    ]
    evaluate(sessions, ids, datetime(2026, 12, 5, 17, tzinfo=UTC), ctx)
    for minute in (0, 15, 45):  # the sweep finds each breach as it happens
        run_sweep(sessions, datetime(2026, 12, 6, 16, minute, tzinfo=UTC), SETTINGS, ctx=ctx)
    assert violations(sessions) == [("pickup_timeout", d, "open") for d in deadlines]
    assert booked(sessions, "points") == {1: Decimal(1), 2: Decimal(1)}
    assert booked(sessions, "fine") == {1: 1000, 2: 1000}  # Sunday's, and Monday's first


# --------------------------------------------------------------- warnings, breach, at-risk board

# Douyin, shipped at Beijing 00:00 on 3 December (16:00Z on the 2nd): pickup due at Beijing
# midnight of the 4th (16:00Z on the 3rd); warnings 6 h and 2 h before, at 10:00Z and 14:00Z.
PICKUP_DUE = datetime(2026, 12, 3, 16, tzinfo=UTC)


def test_the_sweep_and_the_board_through_every_hour_of_the_day(
    sessions: sessionmaker[Session], ctx: RulesContext
) -> None:
    w = World(sessions).setup("douyin")
    sid = w.order(
        "H1",
        bj(2026, 12, 2, 20).astimezone(UTC),
        price="50.00",
        shipped=bj(2026, 12, 3).astimezone(UTC),
    )
    evaluate(sessions, [sid], bj(2026, 12, 3, 0, 5), ctx)
    for hour in range(24):
        now = datetime(2026, 12, 3, hour, tzinfo=UTC)
        run_sweep(sessions, now, SETTINGS, ctx=ctx)
        with sessions() as s:
            leads = sorted(s.scalars(select(Warning_.lead_minutes)))
            rows = board(s, Scope(None), now, ctx).items
        expected_leads = [120, 360] if hour >= 14 else [360] if hour >= 10 else []
        assert leads == expected_leads, hour
        if hour <= 16:  # at 16:00Z exactly the pickup is due, not late
            assert [(r.rule_id, r.due_at, r.seconds_left) for r in rows] == [
                ("pickup_timeout", PICKUP_DUE, (16 - hour) * 3600)
            ], hour
            assert violations(sessions) == [], hour
        else:
            assert rows == [], hour
            assert violations(sessions) == [("pickup_timeout", PICKUP_DUE, "open")], hour
    with sessions() as s:
        money = sorted(
            s.execute(
                select(LedgerEntry.kind, LedgerEntry.amount_fen).where(LedgerEntry.kind != "points")
            ).all()
        )
    assert money == [("compensation", 300), ("fine", 1000)]
