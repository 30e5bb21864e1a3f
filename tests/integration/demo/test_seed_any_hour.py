"""The demo seed at any hour: every hour of a day, month and year ends, leap day, holidays, 2027.

The seed once crashed for every ``now`` between 16:00 and 24:00 UTC (Beijing's morning): the day
text of an order paid after Beijing midnight was looked up as an instant after ``now``. These tests
run it under fixed clocks across those boundaries and check the dates it writes, then add the
demo's cases (appeals and buyer complaints in every state, driven through the appeal services)
and check each state is there, every instant at or before ``now``.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.models import Order, Platform, Shop, TrackingEvent
from lanshou.demo import seed_demo
from lanshou.demo.cases import CASES
from tests.integration.demo.cases_check import assert_cases_at, seed_cases
from tests.integration.time.instants import weekends_only_years_expected
from tests.integration.web.world import _fast_password_hashing

__all__ = ["_fast_password_hashing"]  # demo logins are hashed cheaply here

BEIJING = ZoneInfo("Asia/Shanghai")
A_DAY = datetime(2026, 12, 3, tzinfo=UTC)
HOURS = [A_DAY + timedelta(hours=h, minutes=30) for h in range(24)]
BOUNDARIES = [
    datetime(2026, 12, 3, 16, 0, tzinfo=UTC),  # Beijing midnight exactly
    datetime(2026, 12, 3, 15, 59, 59, tzinfo=UTC),  # one second before it
    datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC),  # Beijing month end -> 1 December
    datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # Beijing new year 2027
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),  # leap day
    datetime(2027, 2, 8, 2, 0, tzinfo=UTC),  # Spring Festival 2027 (no official 调休 yet)
    datetime(2026, 2, 17, 20, 0, tzinfo=UTC),  # Spring Festival 2026, Beijing early morning
    datetime(2027, 10, 3, 23, 0, tzinfo=UTC),  # National Day week 2027
]


def _external_date(order: Order, platform: str) -> str:
    """The YYMMDD the demo writes into an order number, as the platforms do."""
    return order.external_id[:6] if platform == "pinduoduo" else order.external_id[2:8]


def _assert_seeded_at(engine: Engine, now: datetime, evidence_dir: Path) -> None:
    seed_demo(engine, now=now, orders=60, days=3, create_users=True, replace=True)
    with Session(engine) as s:
        platforms = {
            shop_id: code
            for shop_id, code in s.execute(
                select(Shop.id, Platform.code).join(Platform, Platform.id == Shop.platform_id)
            )
        }
        orders = list(s.scalars(select(Order)))
        assert len(orders) == 60
        for order in orders:
            assert order.paid_at <= now
            local_day = order.paid_at.astimezone(BEIJING).strftime("%y%m%d")
            assert _external_date(order, platforms[order.shop_id]) == local_day, order.external_id
        latest = s.scalar(
            select(TrackingEvent.event_time).order_by(TrackingEvent.event_time.desc()).limit(1)
        )
        assert latest is None or latest <= now
    with weekends_only_years_expected():
        assert seed_cases(engine, now, evidence_dir) == len(CASES)
    assert_cases_at(engine, now)


@pytest.mark.parametrize("now", HOURS, ids=[f"{n:%H%M}Z" for n in HOURS])
def test_the_seed_runs_at_every_hour_of_the_day(
    db_engine: Engine, now: datetime, tmp_path: Path
) -> None:
    _assert_seeded_at(db_engine, now, tmp_path)


@pytest.mark.parametrize("now", BOUNDARIES, ids=[n.isoformat() for n in BOUNDARIES])
def test_the_seed_runs_across_day_month_year_and_holiday_boundaries(
    db_engine: Engine, now: datetime, tmp_path: Path
) -> None:
    _assert_seeded_at(db_engine, now, tmp_path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    )
)
def test_any_now_seeds_a_consistent_world(
    now: datetime, _sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "any-now.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        _assert_seeded_at(engine, now, tmp_path / "evidence")
    finally:
        engine.dispose()
