"""Slow password guessing down without letting a stranger, or a colleague, lock anyone out.

Each failed login is a row in ``login_failures`` (the database, so every worker process sees
it). After ``n`` recent failures the next attempt must wait ``2**n`` seconds after the last
one, up to a cap, counted three ways:

* per account *and* client address, with the high cap (15 min by default): one machine
  guessing one account's password is slowed down hard, and only that account from that
  address waits;
* per account from any address, with a low cap (30 s by default): guessing one password from
  many addresses stays slow, yet the real user, from their own address, waits half a minute
  at most;
* per client address (IPv6 clients by their /64) over all accounts, with the high cap, but
  only once the address has more failures than its allowance (30 an hour by default): a shop
  office where many staff log in through one NAT address does not make everyone wait for one
  person's typos, while one machine trying many usernames is still slowed down hard after
  its first few dozen.

Attempts that are refused for waiting are not failures: they do not make the wait longer.
An attempt takes its row *before* the password is checked, so parallel guesses see each other
instead of all passing one check.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lanshou.adapters.db.models import LoginFailure
from lanshou.settings import Settings

__all__ = [
    "ThrottlePolicy",
    "backoff",
    "clear_own_failures",
    "client_key",
    "forget_attempt",
    "prune_login_failures",
    "record_attempt",
    "seconds_to_wait",
]


@dataclass(frozen=True)
class ThrottlePolicy:
    account_cap: timedelta = timedelta(seconds=30)
    address_cap: timedelta = timedelta(minutes=15)  # also the cap of one account at one address
    window: timedelta = timedelta(hours=1)  # older failures are forgotten
    # Failures of all accounts from one address within the window before the address itself
    # waits (a shared office NAT); from the next one on its wait doubles as any other.
    address_allowance: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            timedelta(seconds=settings.login_account_backoff_cap_seconds),
            timedelta(seconds=settings.login_address_backoff_cap_seconds),
            timedelta(minutes=settings.login_failure_window_minutes),
            settings.login_address_free_failures,
        )


def backoff(failures: int, cap: timedelta) -> timedelta:
    """How long after the last of ``failures`` failures the next attempt may come."""
    if failures <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures, 40)), cap)


def client_key(remote_addr: str | None) -> str:
    """The client address as throttled: IPv4 as is, IPv6 by its /64 (one subscriber's block)."""
    text = (remote_addr or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def record_attempt(
    session: Session, username: str, remote_addr: str | None, now: datetime
) -> LoginFailure:
    """Take the attempt's row now (committed), so concurrent attempts count each other; it
    stays as the failure if the password is wrong."""
    row = LoginFailure(username=username, remote_addr=client_key(remote_addr), at=now)
    session.add(row)
    session.commit()
    return row


def _wait(
    session: Session,
    scope: ColumnElement[bool],
    attempt: LoginFailure,
    policy: ThrottlePolicy,
    cap: timedelta,
    now: datetime,
    allowance: int = 0,
) -> timedelta:
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            scope, LoginFailure.id != attempt.id, LoginFailure.at > now - policy.window
        )
    ).one()
    if count <= allowance:
        return timedelta(0)
    return max(last + backoff(count - allowance, cap) - now, timedelta(0))


def seconds_to_wait(
    session: Session, attempt: LoginFailure, policy: ThrottlePolicy, now: datetime
) -> int:
    """Whole seconds before ``attempt`` would be allowed (0: go ahead), the longest of the
    account-at-this-address wait, the account's and the address's (past its allowance)."""
    same_account = LoginFailure.username == attempt.username
    same_address = LoginFailure.remote_addr == attempt.remote_addr
    pair = _wait(session, same_account & same_address, attempt, policy, policy.address_cap, now)
    account = _wait(session, same_account, attempt, policy, policy.account_cap, now)
    address = _wait(
        session,
        same_address,
        attempt,
        policy,
        policy.address_cap,
        now,
        allowance=policy.address_allowance,
    )
    return math.ceil(max(pair, account, address).total_seconds())


def forget_attempt(session: Session, attempt: LoginFailure) -> None:
    """A refused attempt was no guess: it must not lengthen the wait."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))
    session.commit()


def clear_own_failures(session: Session, attempt: LoginFailure) -> None:
    """A successful login forgets the user's own typos: the account's failures from this
    client. A stranger's failures stay, so the stranger's address count does not restart."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == attempt.username,
            LoginFailure.remote_addr == attempt.remote_addr,
        )
    )


def prune_login_failures(session: Session, policy: ThrottlePolicy, now: datetime) -> int:
    """Delete failures older than the window: no wait counts them any more (``_wait`` looks at
    ``at > now - window`` only), and kept for ever they would pile up usernames guessed by
    strangers and their addresses. Returns how many went."""
    gone = session.connection().execute(
        delete(LoginFailure).where(LoginFailure.at <= now - policy.window)
    )
    return int(gone.rowcount)
