"""The login back-off schedule and the client key it counts by (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lanshou.identity.login_throttle import ThrottlePolicy, backoff, client_key
from lanshou.settings import load_settings


def test_each_failure_doubles_the_wait_until_the_cap() -> None:
    cap = timedelta(seconds=30)
    assert [backoff(n, cap).total_seconds() for n in range(8)] == [0, 2, 4, 8, 16, 30, 30, 30]


def test_a_huge_count_stays_at_the_cap_instead_of_overflowing() -> None:
    assert backoff(10_000, timedelta(minutes=15)) == timedelta(minutes=15)


def test_the_defaults_are_a_low_account_cap_and_a_high_address_cap() -> None:
    policy = ThrottlePolicy.from_settings(load_settings(env="dev"))
    assert policy == ThrottlePolicy(
        timedelta(seconds=30), timedelta(seconds=900), timedelta(minutes=60)
    )


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("testclient", "testclient"),
        (None, ""),
    ],
)
def test_ipv6_clients_are_counted_by_their_64_block(remote: str | None, key: str) -> None:
    assert client_key(remote) == key
