"""`lanshou report` at every hour of a day: "today" is the Beijing date, whatever UTC says.

One douyin shop, 24 orders of ¥50.00 whose pickups fall due at 00:30Z, 01:30Z … 23:30Z on
3 December 2026 (Beijing 08:30 on the 3rd to 07:30 on the 4th) and never come. The sweep runs at
each full hour; the report of the current Beijing day (``--now`` that hour, ``--from`` today
in Beijing) then holds the violations already found whose deadline falls on that Beijing date,
each ¥3.00 compensation and ¥10.00 fine. At 16:00Z Beijing turns to the 4th: today's report starts
again from zero (by the UTC date it would still hold sixteen).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.engine import unit_of_work
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.settings import load_settings
from tests.integration.analytics.world import analytics_cli
from tests.integration.enforcement.world import World
from tests.integration.time.instants import A_DAY, BEIJING

SETTINGS = load_settings(env="test", secret_key="x" * 32)
DEADLINES = [A_DAY + timedelta(hours=h, minutes=30) for h in range(24)]


@pytest.fixture
def cli(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    with analytics_cli(db_engine, monkeypatch) as app:
        yield app


def report_of_today(cli: typer.Typer, now: datetime) -> dict[str, object]:
    today = now.astimezone(BEIJING).date().isoformat()
    out = CliRunner().invoke(cli, ["report", "--json", "--now", now.isoformat(), "--from", today])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)  # type: ignore[no-any-return]


def test_todays_report_follows_the_beijing_date_at_every_hour(
    cli: typer.Typer, sessions: sessionmaker[Session]
) -> None:
    w = World(sessions).setup("douyin")
    ids = [
        w.order(f"R{i:02d}", due - timedelta(hours=25), shipped=due - timedelta(hours=24))
        for i, due in enumerate(DEADLINES)
    ]
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, ids, A_DAY, RulesContext())
    for hour in range(24):
        now = A_DAY + timedelta(hours=hour)
        run_sweep(sessions, now, SETTINGS, ctx=RulesContext())
        # found so far: the deadlines k:30Z with k < hour; on today's Beijing date: k < 16
        # before 16:00Z (the 3rd), 16 <= k after it (the 4th)
        n = hour if hour < 16 else hour - 16
        day = "2026-12-03" if hour < 16 else "2026-12-04"
        data = report_of_today(cli, now)
        assert data["period"] == {"from": day, "to": day}, hour
        assert (data["compensation"], data["fines"], data["refunds"], data["net_loss"]) == (
            f"{3 * n}.00",
            f"{10 * n}.00",
            "0.00",
            f"{13 * n}.00",
        ), hour
        assert data["violations"] == ({"pickup_timeout": n} if n else {}), hour


DAY_ENDS = [
    # the last second of a Beijing date and the first of the next, in UTC; the two dates
    (datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC), "2026-11-30", "2026-12-01"),  # month end
    (datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), "2026-12-31", "2027-01-01"),  # new year
    (datetime(2028, 2, 28, 15, 59, 59, tzinfo=UTC), "2028-02-28", "2028-02-29"),  # leap day
    (datetime(2027, 2, 6, 15, 59, 59, tzinfo=UTC), "2027-02-06", "2027-02-07"),  # festival 2027
]


@pytest.mark.parametrize(
    ("last_second", "first_day", "next_day"), DAY_ENDS, ids=[d for _, d, _ in DAY_ENDS]
)
def test_a_deadline_in_the_last_second_of_a_beijing_date_is_reported_on_that_date(
    cli: typer.Typer,
    sessions: sessionmaker[Session],
    last_second: datetime,
    first_day: str,
    next_day: str,
) -> None:
    w = World(sessions).setup("douyin")
    deadlines = [last_second, last_second + timedelta(seconds=1)]
    ids = [
        w.order(f"D{i}", due - timedelta(hours=25), shipped=due - timedelta(hours=24))
        for i, due in enumerate(deadlines)
    ]
    later = last_second + timedelta(days=2)
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, ids, later, RulesContext())
    for day in (first_day, next_day):
        out = CliRunner().invoke(
            cli, ["report", "--json", "--now", later.isoformat(), "--from", day, "--to", day]
        )
        assert out.exit_code == 0, out.output
        data = json.loads(out.output)
        assert (data["violations"], data["net_loss"]) == ({"pickup_timeout": 1}, "13.00"), day
