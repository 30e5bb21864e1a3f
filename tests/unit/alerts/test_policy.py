"""Quiet hours and the retry schedule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lanshou.alerts import AlertPolicy, release_at

SH = ZoneInfo("Asia/Shanghai")
POLICY = AlertPolicy()


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 4, 23, 30, tzinfo=SH), datetime(2026, 11, 5, 8, 0, tzinfo=SH)),
        (datetime(2026, 11, 5, 2, 0, tzinfo=SH), datetime(2026, 11, 5, 8, 0, tzinfo=SH)),
        (datetime(2026, 11, 4, 22, 0, tzinfo=SH), datetime(2026, 11, 5, 8, 0, tzinfo=SH)),
        (datetime(2026, 11, 5, 8, 0, tzinfo=SH), datetime(2026, 11, 5, 8, 0, tzinfo=SH)),
        (datetime(2026, 11, 4, 21, 59, tzinfo=SH), datetime(2026, 11, 4, 21, 59, tzinfo=SH)),
    ],
)
def test_night_alerts_wait_for_eight_in_the_morning(local: datetime, expected: datetime) -> None:
    assert release_at(local, SH, POLICY) == expected


def test_critical_alerts_go_at_once() -> None:
    night = datetime(2026, 11, 4, 23, 30, tzinfo=SH)
    assert release_at(night, SH, POLICY, critical=True) == night


def test_non_working_days_can_be_quiet_too() -> None:
    policy = AlertPolicy(quiet_on_non_working_days=True)

    def weekday(d: date) -> bool:
        return d.weekday() < 5

    saturday_noon = datetime(2026, 11, 7, 12, 0, tzinfo=SH)
    assert release_at(saturday_noon, SH, policy, is_workday=weekday) == datetime(
        2026, 11, 9, 8, 0, tzinfo=SH
    )
    friday_night = datetime(2026, 11, 6, 23, 0, tzinfo=SH)
    assert release_at(friday_night, SH, policy, is_workday=weekday) == datetime(
        2026, 11, 9, 8, 0, tzinfo=SH
    )


def test_quiet_hours_are_configurable() -> None:
    policy = AlertPolicy(quiet_start=time(21, 0), quiet_end=time(9, 30))
    assert release_at(datetime(2026, 11, 4, 21, 5, tzinfo=SH), SH, policy) == datetime(
        2026, 11, 5, 9, 30, tzinfo=SH
    )
    off = AlertPolicy(quiet_start=time(0), quiet_end=time(0))
    assert release_at(datetime(2026, 11, 4, 3, 0, tzinfo=SH), SH, off).hour == 3


def test_backoff_doubles() -> None:
    assert [POLICY.retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
