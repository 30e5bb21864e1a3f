"""Login throttling against the database, with a fixed clock: exact waits, per account at one
address (high cap), per account (low cap) and per client address past its allowance (high
cap), never a lock-out of the real user nor of colleagues behind one office address."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import LoginFailure
from lanshou.errors import AuthenticationFailed, LoginThrottled
from lanshou.identity.auth import authenticate
from lanshou.identity.login_throttle import ThrottlePolicy, record_attempt
from tests.integration.web.world import NOW, PASSWORD, World

STRANGER, OWNER, OFFICE = "203.0.113.9", "198.51.100.7", "192.0.2.80"
POLICY = ThrottlePolicy()
FREE = POLICY.address_allowance  # 30 failures an hour from one address before it waits


def _try(
    sessions: sessionmaker[Session], username: str, password: str, at: datetime, remote: str
) -> str | int:
    """'ok', 'wrong', or the seconds to wait."""
    with sessions() as s:
        try:
            authenticate(s, username, password, at, remote, POLICY)
            s.commit()
            return "ok"
        except LoginThrottled as exc:
            return int(exc.details["retry_after_seconds"])  # type: ignore[call-overload]
        except AuthenticationFailed:
            return "wrong"


def _failures(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(LoginFailure)).scalar_one()


def test_a_stranger_guessing_one_account_waits_twice_as_long_after_each_failure(
    sessions: sessionmaker[Session], world: World
) -> None:
    at, waits = NOW, []
    for _ in range(11):
        assert _try(sessions, "merchant", "guess", at, STRANGER) == "wrong"
        wait = _try(sessions, "merchant", "guess", at, STRANGER)
        assert isinstance(wait, int)
        waits.append(wait)
        at += timedelta(seconds=wait)
    # The address's cap (15 min) governs the stranger; the account's own cap is 30 s.
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert _failures(sessions) == 11  # refused attempts are not counted as failures


def test_the_owner_from_another_address_waits_at_most_the_account_cap_then_logs_in(
    sessions: sessionmaker[Session], world: World
) -> None:
    at = NOW
    for _ in range(8):
        assert _try(sessions, "merchant", "guess", at, STRANGER) == "wrong"
        at += timedelta(minutes=5)  # slower than the address back-off: every guess is tried
    last = at - timedelta(minutes=5)
    assert _try(sessions, "merchant", PASSWORD, last + timedelta(seconds=29), OWNER) == 1
    assert _try(sessions, "merchant", PASSWORD, last + timedelta(seconds=30), OWNER) == "ok"
    # The owner's success forgets only the owner's own failures: the stranger's 8 still count
    # (for the account at the stranger's address; other accounts wait for the address only
    # past its allowance).
    assert _try(sessions, "merchant", "guess", last + timedelta(seconds=31), STRANGER) == 225
    assert _try(sessions, "other", "guess", last + timedelta(seconds=31), STRANGER) == "wrong"


def test_many_usernames_from_one_address_are_slowed_by_the_address_past_its_allowance(
    sessions: sessionmaker[Session], world: World
) -> None:
    for i in range(FREE):
        assert _try(sessions, f"user{i}", "guess", NOW, STRANGER) == "wrong"
    at, waits = NOW, []
    for i in range(6):
        assert _try(sessions, f"user{FREE + i}", "guess", at, STRANGER) == "wrong"
        wait = _try(sessions, f"user{i + 100}", "guess", at, STRANGER)
        assert isinstance(wait, int)
        waits.append(wait)
        at += timedelta(seconds=wait)
    assert waits == [2, 4, 8, 16, 32, 64]
    assert _try(sessions, "merchant", PASSWORD, at, OWNER) == "ok"  # other addresses unaffected


def test_staff_behind_one_office_address_do_not_lock_each_other_out(
    sessions: sessionmaker[Session], world: World
) -> None:
    """Thirty typos from the office within the hour: the one who typed them waits, the
    merchant at the next desk logs in at once; the address waits from the 31st on."""
    at = NOW
    for _ in range(10):  # one clerk, ten typos, each after the clerk's own wait
        assert _try(sessions, "clerk", "typo", at, OFFICE) == "wrong"
        wait = _try(sessions, "clerk", "typo", at, OFFICE)
        assert isinstance(wait, int)
        at += timedelta(seconds=wait)
    assert _try(sessions, "clerk", "typo", at, OFFICE) == "wrong"
    assert _try(sessions, "clerk", PASSWORD, at, OFFICE) == 900  # 2**11 s, at the cap
    assert _try(sessions, "merchant", PASSWORD, at, OFFICE) == "ok"  # the colleague: no wait
    for i in range(FREE - 11):  # 19 more colleagues mistype once: 30 failures in the hour
        assert _try(sessions, f"staff{i}", "typo", at, OFFICE) == "wrong"
    assert _try(sessions, "merchant", PASSWORD, at, OFFICE) == "ok"
    assert _try(sessions, "staff99", "typo", at, OFFICE) == "wrong"  # the 31st
    assert _try(sessions, "merchant", PASSWORD, at, OFFICE) == 2  # now the address waits
    assert _try(sessions, "merchant", PASSWORD, at + timedelta(seconds=2), OFFICE) == "ok"
    # The clerk from home waits the account's 30 s at most.
    assert _try(sessions, "clerk", "typo", at + timedelta(seconds=29), OWNER) == 1


def test_the_address_allowance_is_a_setting(sessions: sessionmaker[Session], world: World) -> None:
    from lanshou.settings import load_settings

    settings = load_settings(env="test", secret_key="x" * 32, login_address_free_failures=2)
    policy = ThrottlePolicy.from_settings(settings)
    assert policy == ThrottlePolicy(address_allowance=2)
    with sessions() as s:
        for name in ("a1", "a2", "a3"):
            with pytest.raises(AuthenticationFailed):
                authenticate(s, name, "guess", NOW, OFFICE, policy)
        with pytest.raises(LoginThrottled) as refused:
            authenticate(s, "merchant", PASSWORD, NOW, OFFICE, policy)
    assert refused.value.details["retry_after_seconds"] == 2


def test_ipv6_neighbours_in_one_64_block_share_the_address_count(
    sessions: sessionmaker[Session], world: World
) -> None:
    for i in range(FREE + 1):
        assert _try(sessions, f"ghost{i}", "guess", NOW, f"2001:db8:5:6::{i + 1:x}") == "wrong"
    assert _try(sessions, "ghost", "guess", NOW, "2001:db8:5:6::ffff") == 2
    assert _try(sessions, "merchant", PASSWORD, NOW, "2001:db8:5:7::1") == "ok"


def test_failures_older_than_the_window_are_forgotten(
    sessions: sessionmaker[Session], world: World
) -> None:
    for i in range(5):
        assert (
            _try(sessions, "merchant", "guess", NOW + timedelta(seconds=64 * i), STRANGER)
            == "wrong"
        )
    last = NOW + timedelta(seconds=256)
    assert _try(sessions, "merchant", PASSWORD, last + timedelta(seconds=31), STRANGER) == 1
    # An hour after the first failure it drops out of the count: four left, 2**4 = 16 s.
    at = NOW + timedelta(hours=1)
    assert _try(sessions, "merchant", PASSWORD, at, STRANGER) == "ok"


def test_an_attempt_in_progress_makes_a_parallel_one_wait(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as s:
        record_attempt(s, "merchant", STRANGER, NOW)  # its password is still being checked
    assert _try(sessions, "merchant", PASSWORD, NOW, STRANGER) == 2


def test_a_success_forgets_the_users_own_typos_only(
    sessions: sessionmaker[Session], world: World
) -> None:
    assert _try(sessions, "merchant", "typo", NOW, OWNER) == "wrong"
    assert _try(sessions, "merchant", "guess", NOW + timedelta(seconds=2), STRANGER) == "wrong"
    assert _try(sessions, "merchant", PASSWORD, NOW + timedelta(seconds=6), OWNER) == "ok"
    with sessions() as s:
        left = s.execute(select(LoginFailure.username, LoginFailure.remote_addr)).all()
    assert left == [("merchant", STRANGER)]


def test_the_worker_deletes_failures_once_no_wait_counts_them(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    from lanshou.worker import prune_old_login_failures
    from tests.integration.web.world import make_runtime

    for minutes_ago in (61, 60, 59, 1):  # the window is 60 minutes
        at = NOW - timedelta(minutes=minutes_ago)
        assert _try(sessions, "merchant", "guess", at, STRANGER) == "wrong"
    # A failure a full window old counts for no wait (``at > now - window``): it goes.
    assert prune_old_login_failures(make_runtime(sessions, var_dir=tmp_path)) == 2
    with sessions() as s:
        left = s.execute(select(LoginFailure.at).order_by(LoginFailure.at)).scalars().all()
    assert left == [NOW - timedelta(minutes=59), NOW - timedelta(minutes=1)]
    assert prune_old_login_failures(make_runtime(sessions, var_dir=tmp_path)) == 0
