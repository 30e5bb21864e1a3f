"""Every stored "refreshed at" and every "as of" on the 损失与风险 page is the caller's ``now``
(issue #16): the worker's refresh stamps the worker's time, a page that refreshes the aggregates
itself stamps the request's time (its clock), and the page says "as of" the stored time, never
the machine's wall clock. Frozen at the year's last minute, the new year's first (a statutory
holiday) and a Beijing small hour that is still the previous day in UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AnalyticsState, Violation
from lanshou.analytics import aggregates
from lanshou.analytics.aggregates import PICKUP_STATE, STATE, refresh_aggregates
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.domain.roles import Role
from lanshou.enforcement.rules_context import RulesContext
from lanshou.entrypoints.app import create_app
from lanshou.identity.auth import create_user
from lanshou.settings import load_settings
from tests.integration.analytics.test_report_reconciles import _approve
from tests.integration.analytics.world import NOW as WORLD_NOW
from tests.integration.analytics.world import build
from tests.integration.time.instants import bj
from tests.integration.web.world import PASSWORD, _fast_password_hashing, login

__all__ = ["_fast_password_hashing"]
AS_OF = re.compile(r"截至 (\d{4}-\d\d-\d\d \d\d:\d\d)")
INSTANTS = [
    bj(2026, 12, 31, 23, 59),  # the year's last minute
    bj(2027, 1, 1, 0, 0),  # New Year's Day, a statutory holiday, at midnight
    bj(2026, 11, 7, 3, 30),  # Beijing 03:30 is 6 November 19:30 UTC
]


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    build(sessions)
    with sessions() as s:
        create_user(s, "admin", PASSWORD, Role.ADMIN, "Admin", [], WORLD_NOW)
        s.commit()
    yield sessions


def _stamps(sessions: sessionmaker[Session]) -> dict[str, datetime]:
    with sessions() as s:
        return {st.name: st.refreshed_at for st in s.scalars(select(AnalyticsState))}


def _violations(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as s:
        return list(s.scalars(select(Violation.id).order_by(Violation.id)))


def _approve_one(sessions: sessionmaker[Session], violation_id: int, at: datetime) -> None:
    with sessions() as s:
        v = s.get(Violation, violation_id)
        assert v is not None
        _approve(s, v, at)
        s.commit()


@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: f"{at:%Y-%m-%dT%H:%M}+08")
def test_refreshed_at_and_as_of_are_the_callers_now(
    world: sessionmaker[Session], at: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = world
    clock = FixedClock(at - timedelta(hours=3))
    settings = load_settings(env="test", secret_key="x" * 32, default_locale="zh_CN")
    runtime = Runtime(settings, sessions.kw["bind"], sessions, clock)
    first, second = _violations(sessions)[:2]
    with TestClient(create_app(runtime)) as client:
        login(client, "admin")
        # A page that finds the pickup aggregates never built builds them at its request's now.
        assert client.get("/analytics/carriers?days=90").status_code == 200
        assert _stamps(sessions) == {PICKUP_STATE: at - timedelta(hours=3)}

        # The worker stamps its own now.
        with sessions() as s:
            refresh_aggregates(s, at - timedelta(hours=2), ctx=RulesContext(), snapshots=False)
            s.commit()
        assert _stamps(sessions) == {
            STATE: at - timedelta(hours=2),
            PICKUP_STATE: at - timedelta(hours=2),
        }

        # An appeal approved since: the page refreshes the losses itself, at its now.
        _approve_one(sessions, first, at - timedelta(minutes=90))
        clock.at = at
        page = client.get("/analytics/losses?days=90")
        assert page.status_code == 200
        assert _stamps(sessions) == {STATE: at, PICKUP_STATE: at - timedelta(hours=2)}
        # The money is current (no "as of"); the exposure is computed for the page, as of now.
        assert AS_OF.findall(page.text) == [f"{at:%Y-%m-%d %H:%M}"]

        # Another one, over more days than a page recomputes: the page serves the stored
        # figures, as of the last refresh (the previous page's now), and the exposure as of now.
        _approve_one(sessions, second, at + timedelta(minutes=30))
        monkeypatch.setattr(aggregates, "READER_MAX_DAYS", 0)
        clock.at = at + timedelta(hours=1)
        page = client.get("/analytics/losses?days=90")
        assert page.status_code == 200
        assert _stamps(sessions) == {STATE: at, PICKUP_STATE: at - timedelta(hours=2)}
        assert AS_OF.findall(page.text) == [
            f"{at:%Y-%m-%d %H:%M}",
            f"{at + timedelta(hours=1):%Y-%m-%d %H:%M}",
        ]
