"""Correct as of ``now``, on both paths: ``lanshou check`` (DuckDB over the files) and
``import`` + evaluation + ``explain`` (the database), each bullet of issue #14 as exact values.

Every expected figure is written out by hand from ``douyin.yaml`` (ship by paid + 48 h, pickup
within 24 h of marking shipped; compensation on the unit price: ≤ 3.00 none, below 300.00
3.00; fine 10.00; automatic refund of the amount 72 h after the pickup deadline) or from the
synthetic ``workdays`` profile (1 working day) and the 2027 statutory holidays.
"""

from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Deadline, LedgerEntry, Order, Violation
from lanshou.appeals import shipment_text
from lanshou.batch.check import run_check
from lanshou.domain.rules import calendar as calendar_module
from lanshou.domain.rules import load_profile
from lanshou.enforcement.explain import explain
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.imports import GENERIC_HEADER, import_orders, import_tracking
from lanshou.imports.shipments_table import export_reader
from lanshou.settings import load_settings
from tests.integration.time.profiles import rules_with_test_profiles

CST = timezone(timedelta(hours=8))
SETTINGS = load_settings(env="test", secret_key="x" * 32)
HEADER = ",".join(GENERIC_HEADER)
TRACKING_HEADER = "carrier,waybill,time,status,location,description"


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def checked(
    orders: Path,
    tracking: Path | None,
    now: datetime,
    profile: str = "douyin",
    dirs: tuple[Path, ...] = (),
) -> dict[str, Any]:
    reader = export_reader("generic", orders, tracking=tracking)
    result = run_check(load_profile(profile, dirs), reader, now)
    return result.to_json_dict()


def imported(
    sessions: sessionmaker[Session],
    orders: Path,
    tracking: Path | None,
    now: datetime,
    ctx: RulesContext,
    profile: str | None = None,
) -> None:
    import_orders(sessions, orders, source="generic", now=now, ctx=ctx, profile=profile)
    if tracking is not None:
        import_tracking(sessions, tracking, tz=CST, now=now, judge=ctx)


def stored(sessions: sessionmaker[Session]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each stored violation by (order, rule): deadline, satisfied_at and its booked money."""
    with sessions() as s:
        rows = s.execute(
            select(Order.external_id, Violation).join(Order, Order.id == Violation.order_id)
        ).all()
        money: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for e in s.execute(select(LedgerEntry)).scalars():
            if e.violation_id is not None:
                money[e.violation_id][e.kind] += e.amount_fen
        return {
            (order, v.rule_id): {
                "deadline": v.deadline.astimezone(CST),
                "satisfied_at": v.satisfied_at.astimezone(CST) if v.satisfied_at else None,
                "compensation": money[v.id]["compensation"],
                "fine": money[v.id]["fine"],
                "refund": money[v.id]["refund"],
            }
            for order, v in rows
        }


def reported(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The check's violations in the shape of :func:`stored` (money in fen)."""

    def fen(text: str) -> int:
        return int(Decimal(text) * 100)

    return {
        (v["order_id"], v["rule"]): {
            "deadline": datetime.fromisoformat(v["deadline"]),
            "satisfied_at": datetime.fromisoformat(v["satisfied_at"])
            if v["satisfied_at"]
            else None,
            "compensation": fen(v["compensation"]),
            "fine": fen(v["fine"]),
            "refund": fen(v["auto_refund"]),
        }
        for v in data["violations"]
    }


# --- facts dated after now ---------------------------------------------------------------------

NOW = bj(2026, 3, 10, 12, 0)
FUTURE_ORDERS = [
    HEADER,
    # shipped after now: the ship deadline (3/12 08:00) is still ahead, the pickup not started
    "F1,s1,2026-03-10 08:00,50.00,1,,,2026-03-10 20:00,SF,SFF1",
    # picked up after now and after its deadline (3/11 09:00), which is itself after now: open
    "F2,s1,2026-03-09 10:00,50.00,1,,,2026-03-10 09:00,SF,SFF2",
    # the ship deadline (3/10 08:00) has passed and the shipping after now does not count yet
    "F3,s1,2026-03-08 08:00,50.00,1,,,2026-03-10 20:00,SF,SFF3",
]
FUTURE_TRACKING = [TRACKING_HEADER, "SF,SFF2,2026-03-11 12:00,picked_up,杭州,已揽收"]


def late(
    deadline: datetime,
    satisfied_at: datetime | None = None,
    compensation: int = 300,
    refund: int = 0,
) -> dict[str, Any]:
    """A violation as :func:`stored` and :func:`reported` give it; every one is fined 10.00."""
    return {
        "deadline": deadline,
        "satisfied_at": satisfied_at,
        "compensation": compensation,
        "fine": 1000,
        "refund": refund,
    }


LATE_UNSHIPPED = late(bj(2026, 3, 10, 8, 0))


def test_check_counts_a_shipment_whose_facts_are_after_now_as_open(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", FUTURE_ORDERS)
    tracking = write(tmp_path / "tracking.csv", FUTURE_TRACKING)
    data = checked(orders, tracking, NOW)
    assert data["summary"]["open"] == 2  # F1 (ship), F2 (pickup)
    assert data["summary"]["violations"] == {"ship_timeout": 1, "pickup_timeout": 0}
    assert reported(data) == {("F3", "ship_timeout"): LATE_UNSHIPPED}


def test_database_judges_facts_after_now_as_not_yet_happened(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    orders = write(tmp_path / "orders.csv", FUTURE_ORDERS)
    tracking = write(tmp_path / "tracking.csv", FUTURE_TRACKING)
    ctx = RulesContext()
    imported(sessions, orders, tracking, NOW, ctx)
    assert stored(sessions) == {("F3", "ship_timeout"): LATE_UNSHIPPED}
    with sessions() as s:
        (f1,) = explain(s, "F1", NOW, ctx)
        (f2,) = explain(s, "F2", NOW, ctx)
    ship, pickup = f1.outcomes
    assert (ship.deadline, ship.satisfied_at, ship.late) == (bj(2026, 3, 12, 8), None, False)
    assert (pickup.started_at, pickup.deadline, pickup.late) == (None, None, False)
    assert ship.unseen_fact_at == bj(2026, 3, 10, 20)
    _, pickup = f2.outcomes
    assert (pickup.deadline, pickup.satisfied_at, pickup.late) == (bj(2026, 3, 11, 9), None, False)
    assert "尚未发生：2026-03-11 12:00（晚于评估时间，暂不计入）" in [
        line.strip() for line in shipment_text(None, f2, NOW)
    ]
    assert "Not yet happened: 2026-03-11 12:00 (after the time judged at, not counted yet)" in [
        line.strip() for line in shipment_text("en", f2, NOW)
    ]
    # explain shows the assumed figures of the judged rules, in the language asked for
    assert shipment_text("en", f1, NOW)[-4:-2] == ["", "Assumed figures (no source gives them):"]
    assert shipment_text("en", f1, NOW)[-1].startswith(
        "  Pickup timeout · Automatic refund after the deadline: 72 h, assumed (no source"
    )
    assert shipment_text(None, f1, NOW)[-3] == "假设的数值（无来源）："
    # Once the clock passes those facts, the sweep comes back for them: F1's pickup deadline
    # starts at its shipping (3/10 20:00), F2's late pickup becomes a violation.
    later = bj(2026, 3, 11, 13, 0)
    run_sweep(sessions, later, SETTINGS, ctx=ctx)
    with sessions() as s:
        pickup_due = s.execute(
            select(Deadline.due_at)
            .join(Order, Order.id == Deadline.shipment_id)
            .where(Order.external_id == "F1", Deadline.rule_id == "pickup_timeout")
        ).scalar_one()
    assert pickup_due.astimezone(CST) == bj(2026, 3, 11, 20)
    assert stored(sessions)[("F2", "pickup_timeout")] == late(
        bj(2026, 3, 11, 9), bj(2026, 3, 11, 12)
    )


# --- offsets, unit price, quantity, automatic refund --------------------------------------------

NOW_LATE = bj(2026, 3, 20, 0, 0)
MONEY_ORDERS = [
    HEADER,
    "O1,s1,2026-03-01T12:00:00+08:00,9.01,3,,,,,",  # unit 3.0033… > 3.00: 3.00
    "O2,s1,2026-03-01 12:00:00+0800,9.00,3,,,,,",  # unit exactly 3.00: none
    "O3,s1,2026-03-01 12:00:00+08,50.00,1,,,,,",
    "O4,s1,2026-03-01 12:00:00-05,50.00,1,,,,,",  # 3/2 01:00 in Beijing, not 3/1 12:00
    "O5,s1,2026-03-01T04:00:00Z,50.00,1,,,,,",
    "O6,s1,2026-03-01 12:00:00 +08:00,50.00,1,,,,,",
    "O7,s1,2026-03-01 12:00:00+08:00,50.00,2.5,,,,,",  # a reject, not 3 pieces
    # shipped, never picked up: the pickup deadline 3/2 13:00 + 72 h refunds the 120.00
    "O8,s1,2026-03-01 12:00:00+08:00,120.00,1,,,2026-03-01 13:00:00+08:00,SF,SF8",
]


EXPECTED_MONEY = {
    ("O1", "ship_timeout"): late(bj(2026, 3, 3, 12)),
    ("O2", "ship_timeout"): late(bj(2026, 3, 3, 12), compensation=0),
    ("O3", "ship_timeout"): late(bj(2026, 3, 3, 12)),
    ("O4", "ship_timeout"): late(bj(2026, 3, 4, 1)),
    ("O5", "ship_timeout"): late(bj(2026, 3, 3, 12)),
    ("O6", "ship_timeout"): late(bj(2026, 3, 3, 12)),
    ("O8", "pickup_timeout"): late(bj(2026, 3, 2, 13), refund=12000),
}


def test_check_reads_every_offset_prices_the_exact_unit_and_reports_refunds(
    tmp_path: Path,
) -> None:
    orders = write(tmp_path / "orders.csv", MONEY_ORDERS)
    data = checked(orders, None, NOW_LATE)
    assert reported(data) == EXPECTED_MONEY
    assert data["summary"]["compensation_total"] == "18.00"
    assert data["summary"]["fine_total"] == "70.00"
    assert data["summary"]["auto_refund_total"] == "120.00"
    assert data["rejected"] == [
        {
            "file": str(orders),
            "row": 8,
            "column": "quantity",
            "code": "bad_count",
            "reason": "quantity：「2.5」不是正整数",
        }
    ]


def test_import_reads_every_offset_prices_the_exact_unit_and_books_refunds(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    orders = write(tmp_path / "orders.csv", MONEY_ORDERS)
    imported(sessions, orders, None, NOW_LATE, RulesContext())
    assert stored(sessions) == EXPECTED_MONEY
    with sessions() as s:
        paid = {k: t for k, t in s.execute(select(Order.external_id, Order.paid_at))}
    assert paid["O4"] == datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    with (tmp_path / "orders.csv.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        rejects = [row[:4] for row in csv.reader(fh)][1:]
    assert rejects == [["8", "quantity", "bad_count", "「2.5」不是正整数"]]


# A scan at 20:30 New York time (-05) is 09:30 the next morning in Beijing: 30 minutes late,
# where reading it as Beijing time would make it 12.5 hours early.
SCAN_ORDERS = [HEADER, "T1,s1,2026-03-10 08:00,50.00,1,,,2026-03-10 09:00:00+08,SF,SFT1"]
SCAN_TRACKING = [TRACKING_HEADER, "SF,SFT1,2026-03-10 20:30:00 -05,picked_up,纽约,已揽收"]
LATE_SCAN = {("T1", "pickup_timeout"): late(bj(2026, 3, 11, 9), bj(2026, 3, 11, 9, 30))}


def test_check_reads_a_scan_offset_west_of_utc(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", SCAN_ORDERS)
    tracking = write(tmp_path / "tracking.csv", SCAN_TRACKING)
    assert reported(checked(orders, tracking, NOW_LATE)) == LATE_SCAN


def test_import_reads_a_scan_offset_west_of_utc(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    orders = write(tmp_path / "orders.csv", SCAN_ORDERS)
    tracking = write(tmp_path / "tracking.csv", SCAN_TRACKING)
    imported(sessions, orders, tracking, NOW_LATE, RulesContext())
    assert stored(sessions) == LATE_SCAN


# --- 2027: statutory holidays without an official 调休 schedule --------------------------------

HOLIDAY_ORDERS = [
    HEADER,
    "C1,s1,2027-02-04 10:00,50.00,1,,,,,",  # Thursday before 除夕: 2/5–2/8 off, 2/9 10:00
    "C2,s1,2027-02-06 10:00,50.00,1,,,,,",  # 初一 (Saturday): from 2/9, one working day: 2/10
    "C3,s1,2027-09-30 15:00,50.00,1,,,,,",  # Thursday before 国庆: 10/1–10/3 off, 10/4 15:00
]
HOLIDAY_DEADLINES = {
    "C1": bj(2027, 2, 9, 10, 0),
    "C2": bj(2027, 2, 10, 0, 0),
    "C3": bj(2027, 10, 4, 15, 0),
}


def test_check_keeps_the_2027_statutory_holidays_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = write(tmp_path / "orders.csv", HOLIDAY_ORDERS)
    rules_with_test_profiles(tmp_path / "rules")
    monkeypatch.setattr(calendar_module, "_WARNED_YEARS", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = checked(orders, None, bj(2027, 12, 1), "workdays", (tmp_path / "rules",))
    assert {o: v["deadline"] for (o, _), v in reported(data).items()} == HOLIDAY_DEADLINES
    unofficial = [str(w.message) for w in caught if "no official China" in str(w.message)]
    assert len(unofficial) == 1 and "for 2027;" in unofficial[0]


def test_database_keeps_the_2027_statutory_holidays(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    orders = write(tmp_path / "orders.csv", HOLIDAY_ORDERS)
    ctx = rules_with_test_profiles(tmp_path / "rules")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "no official China holiday data", RuntimeWarning)
        imported(sessions, orders, None, bj(2027, 12, 1), ctx, profile="workdays")
    assert {o: v["deadline"] for (o, _), v in stored(sessions).items()} == HOLIDAY_DEADLINES
