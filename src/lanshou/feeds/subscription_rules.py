"""What a subscription does next: pure rules, no I/O, time passed in.

A subscription row moves through these states (``tracking_subscriptions.state``)::

    pending ──claim──▶ sending ──accepted──▶ subscribed ──abort push──▶ stalled
       ▲                  │                      │                         │
       └──retry (backoff)─┤                      └──shutdown push──▶ finished
                          └──refused / too many attempts──▶ failed      (resubscribe_at)
                                                                 stalled ──▶ sending

快递100 documents when to subscribe again: after ``status=abort`` (message "3天查询无记录" or
"60天无变化"), "若贵司校验快递公司编码和单号无误后仍需继续跟踪，则隔半小时再发起该单的订阅即可"
(kuaidi100-api/java-demo, ``sdk/response/SubscribePushParamResp.java``); a waybill may be
subscribed at most 4 times a month per carrier, later ones are answered "重复订阅"
(https://apifox.com/apidoc/project-514987/api-8567477). When 快递100 found the carrier code
wrong it subscribes again itself under the right one and pushes ``abort`` with ``comNew``
(same file, ``autoCheck``): lanshou corrects the carrier and subscribes under ``comNew`` too,
which is harmless if 快递100 already did (``501`` counts as subscribed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SubState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SUBSCRIBED = "subscribed"
    STALLED = "stalled"
    FAILED = "failed"
    FINISHED = "finished"


# Rows the worker looks at when their next_attempt_at has come (a lapsed ``sending`` lease
# means a worker died mid-send: the row is sent again, which 501 makes harmless).
DUE_STATES = (SubState.PENDING, SubState.SENDING, SubState.STALLED)
# Rows an administrator sees as needing attention.
TROUBLE_STATES = (SubState.PENDING, SubState.STALLED, SubState.FAILED)


class OutcomeKind(StrEnum):
    SUBSCRIBED = "subscribed"  # accepted (or already watched)
    RETRY = "retry"  # the aggregator or the network failed: try again later
    THROTTLED = "throttled"  # asked to slow down: try later, send nothing more this run
    REFUSED = "refused"  # the request itself is wrong (key, carrier, waybill): a person must act


@dataclass(frozen=True)
class Outcome:
    """What one subscription request came to; ``code`` is the aggregator's own (or HTTP)."""

    kind: OutcomeKind
    code: str
    message: str

    def describe(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: ``first`` after the first failure, doubling, at most ``cap``;
    after ``max_attempts`` failures in a row the row is ``failed`` and shown for a person."""

    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 10
    lease: timedelta = timedelta(minutes=5)
    # 快递100: "隔半小时再发起该单的订阅"; 3 resubscriptions + the first = the 4 a month allowed.
    resubscribe_after: timedelta = timedelta(minutes=30)
    max_resubscriptions: int = 3

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure in a row (1-based)."""
        if failures < 1:
            raise ValueError("failures counts from 1")
        backoff: timedelta = self.first * 2 ** min(failures - 1, 30)
        return min(backoff, self.cap)

    def schedule(self) -> list[timedelta]:
        """Every wait, in order, before the row gives up (what the admin page explains)."""
        return [self.delay(n) for n in range(1, self.max_attempts)]


@dataclass(frozen=True)
class NextStep:
    """The row's new state and when the worker looks at it again (None: not by itself)."""

    state: SubState
    next_attempt_at: datetime | None
    attempts: int
    error: str | None


def after_attempt(
    outcome: Outcome, attempts_before: int, now: datetime, policy: RetryPolicy
) -> NextStep:
    """Where a row goes after one request: subscribed, retried later, or failed for good."""
    if outcome.kind is OutcomeKind.SUBSCRIBED:
        return NextStep(SubState.SUBSCRIBED, None, 0, None)
    if outcome.kind is OutcomeKind.REFUSED:
        return NextStep(SubState.FAILED, None, attempts_before + 1, outcome.describe())
    attempts = attempts_before + 1
    if attempts >= policy.max_attempts:
        return NextStep(SubState.FAILED, None, attempts, outcome.describe())
    return NextStep(SubState.PENDING, now + policy.delay(attempts), attempts, outcome.describe())


ABORT_NO_RECORD = "3天查询无记录"
ABORT_NO_CHANGE = "60天无变化"


@dataclass(frozen=True)
class PushDecision:
    """What a 快递100 push means for its subscription."""

    state: SubState
    resubscribe_at: datetime | None
    aggregator_code: str | None  # the corrected carrier code to subscribe under, if any


def on_kuaidi100_push(
    status: str,
    com_new: str | None,
    *,
    parcel_done: bool,
    resubscriptions: int,
    now: datetime,
    policy: RetryPolicy,
) -> PushDecision:
    """``abort`` stalls the feed and schedules a resubscription half an hour on (under
    ``comNew`` when 快递100 corrected the carrier), unless the parcel is done or the month's
    subscriptions are used up; ``shutdown`` finishes it; anything else means it is watched."""
    if status == "shutdown":
        return PushDecision(SubState.FINISHED, None, com_new)
    if status != "abort":
        return PushDecision(SubState.SUBSCRIBED, None, com_new)
    if parcel_done or resubscriptions >= policy.max_resubscriptions:
        return PushDecision(SubState.STALLED, None, com_new)
    return PushDecision(SubState.STALLED, now + policy.resubscribe_after, com_new)
