"""The waits before a failed inbox record, or a failed drain, is tried again: doubling, capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lanshou.enforcement.dead_letters import MAX_ATTEMPTS, next_attempt, retry_delay
from lanshou.worker import drain_retry_wait

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def test_a_dead_letter_waits_30_seconds_doubled_per_failure_at_most_an_hour() -> None:
    waits = [int(retry_delay(n).total_seconds()) for n in range(1, 12)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
    assert retry_delay(10_000) == timedelta(hours=1)


def test_after_the_last_attempt_no_next_one_is_set() -> None:
    assert MAX_ATTEMPTS == 10
    assert next_attempt(1, NOW) == NOW + timedelta(seconds=30)
    assert next_attempt(9, NOW) == NOW + timedelta(hours=1)
    assert next_attempt(10, NOW) is None


def test_the_drainer_waits_a_second_doubled_per_failed_drain_at_most_a_minute() -> None:
    assert [drain_retry_wait(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert drain_retry_wait(1_000_000) == 60
