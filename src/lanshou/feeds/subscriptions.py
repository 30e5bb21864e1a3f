"""Send queued tracking subscriptions, and let 快递100's pushes stall, correct and revive them.

Rows are queued by :func:`lanshou.orders.tracking_queue.queue_tracking_subscriptions` in the
transaction that gave a shipment its waybill. :func:`send_due_subscriptions` (the worker) works
like the alert outbox: a short transaction leases what is due (``sending`` until the lease ends,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never send the same row), the requests
go out with no transaction open, and one short transaction per request records its outcome.
The rules (back-off, what a push means) are in :mod:`.subscription_rules`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.dialect import claim_skip_locked
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Carrier, FeedIntegration, Order, Shipment
from lanshou.adapters.db.models.subscriptions import ShopTrackingFeed, TrackingSubscription
from lanshou.errors import LanshouError
from lanshou.feeds.kuaidi100 import Kuaidi100Push
from lanshou.feeds.sealing import Sealer, subscribe_key_of
from lanshou.feeds.subscribe_contracts import CannotSubscribe, Waybill, aggregator_code
from lanshou.feeds.subscription_client import Account, SubscriptionClient
from lanshou.feeds.subscription_rules import (
    DUE_STATES,
    Outcome,
    OutcomeKind,
    RetryPolicy,
    SubState,
    after_attempt,
    on_kuaidi100_push,
)

log = logging.getLogger("lanshou.feeds.subscriptions")
ACTOR = "tracking-subscriptions"
DONE_STATUSES = frozenset({"delivered", "returned"})


@dataclass(frozen=True)
class Job:
    subscription_id: int
    integration_id: int
    account: Account
    waybill: Waybill | None
    problem: str | None  # why no request can be built (then none is sent)
    shipment_id: int = 0


# A kind whose requests are not a form POST (a platform's route registration, sent through
# its signed gateway client) brings its own sender; the queue, the leases, the back-off and
# the outcomes are the same for every kind.
Sender = Callable[[Job], Outcome]


@dataclass
class SubscriptionRun:
    subscribed: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # not sent: their aggregator asked us to slow down

    @property
    def changed(self) -> bool:
        return bool(self.subscribed or self.retried or self.failed or self.deferred)


def _account(row: FeedIntegration, sealer: Sealer) -> Account:
    return Account(
        kind=row.kind,
        secret=row.secret,
        account_id=row.account_id,
        subscribe_key=subscribe_key_of(row, sealer),
        callback_url=row.callback_url,
        api_url=row.api_url,
    )


def unreadable_key(integration: FeedIntegration) -> str:
    """What a person reads when the account's sealed key does not open: which account, why,
    and the two ways out."""
    return (
        f"tracking feed {integration.name!r} (#{integration.id}, {integration.kind}): its stored "
        "key does not decrypt with the current LANSHOU_SECRET_KEY (it was changed since the key "
        "was entered); enter the key again in the feed's settings, or restore the previous "
        "LANSHOU_SECRET_KEY, then send the failed subscriptions again"
    )


def _job(sub: TrackingSubscription, account: Account | str, phone: str | None) -> Job:
    if isinstance(account, str):  # the account's key does not open: the job is refused
        blank = Account("", "", None, None, None, None)
        return Job(sub.id, sub.integration_id, blank, None, account, sub.shipment_id)
    try:
        code = sub.aggregator_code or aggregator_code(account.kind, sub.carrier_code)
    except CannotSubscribe as exc:
        return Job(sub.id, sub.integration_id, account, None, str(exc), sub.shipment_id)
    waybill = Waybill(number=sub.waybill_no, aggregator_code=code, phone=phone)
    return Job(sub.id, sub.integration_id, account, waybill, None, sub.shipment_id)


def _accounts(sealer: Sealer) -> Callable[[FeedIntegration], Account | str]:
    """Each integration's account, opened once per run; one whose key was sealed under another
    LANSHOU_SECRET_KEY is the message that fails its rows (logged once), not an error that
    stops every other account's."""
    opened: dict[int, Account | str] = {}

    def account_of(integration: FeedIntegration) -> Account | str:
        if integration.id not in opened:
            try:
                opened[integration.id] = _account(integration, sealer)
            except LanshouError:
                opened[integration.id] = unreadable_key(integration)
                log.error("subscriptions not sent: %s", opened[integration.id])
        return opened[integration.id]

    return account_of


def claim_due(
    session: Session, now: datetime, policy: RetryPolicy, limit: int, sealer: Sealer
) -> list[Job]:
    """Lease due rows to this worker; the shipment's current carrier is read again here, so a
    carrier corrected after queueing is the one subscribed."""
    query = claim_skip_locked(
        select(TrackingSubscription, FeedIntegration, Carrier.code, ShopTrackingFeed.sender_phone)
        .join(FeedIntegration, FeedIntegration.id == TrackingSubscription.integration_id)
        .join(Shipment, Shipment.id == TrackingSubscription.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(ShopTrackingFeed, ShopTrackingFeed.shop_id == Order.shop_id)
        .where(
            TrackingSubscription.state.in_([s.value for s in DUE_STATES]),
            TrackingSubscription.next_attempt_at <= now,
            FeedIntegration.is_active.is_(True),
        )
        .order_by(TrackingSubscription.next_attempt_at, TrackingSubscription.id)
        .limit(limit),
        of=TrackingSubscription,
    )
    jobs = []
    account_of = _accounts(sealer)
    for sub, integration, carrier, phone in session.execute(query).all():
        if sub.state == SubState.STALLED:
            sub.resubscriptions += 1
        sub.carrier_code = carrier or sub.carrier_code
        sub.state, sub.next_attempt_at, sub.updated_at = SubState.SENDING, now + policy.lease, now
        jobs.append(_job(sub, account_of(integration), phone))
    return jobs


def record_outcome(
    session: Session, job: Job, outcome: Outcome, now: datetime, policy: RetryPolicy
) -> SubState:
    """Move the row on after one request (or one refusal to build it)."""
    sub = session.get(TrackingSubscription, job.subscription_id)
    assert sub is not None
    step = after_attempt(outcome, sub.attempts, now, policy)
    sub.state, sub.next_attempt_at, sub.attempts = step.state, step.next_attempt_at, step.attempts
    sub.last_error, sub.updated_at = step.error, now
    if step.state is SubState.SUBSCRIBED:
        sub.subscribed_at, sub.resubscribe_at = now, None
    elif step.state is SubState.FAILED:
        audit.record(
            session,
            entity_type="tracking_subscription",
            entity_id=sub.id,
            action="subscription_failed",
            actor=ACTOR,
            at=now,
            reason=step.error or "",
            data={"waybill": sub.waybill_no, "attempts": sub.attempts},
        )
    return step.state


def _defer(session: Session, job: Job, now: datetime, policy: RetryPolicy) -> None:
    """Back to the queue untried (no attempt counted): its aggregator is throttling us."""
    sub = session.get(TrackingSubscription, job.subscription_id)
    assert sub is not None
    sub.state, sub.next_attempt_at, sub.updated_at = SubState.PENDING, now + policy.first, now


def send_due_subscriptions(
    sessions: sessionmaker[Session],
    now: datetime,
    client: SubscriptionClient,
    sealer: Sealer,
    *,
    policy: RetryPolicy | None = None,
    limit: int = 200,
    senders: Mapping[str, Sender] | None = None,
) -> SubscriptionRun:
    """One worker run: lease what is due, send each request, record each outcome. A job of a
    kind in ``senders`` goes to that sender instead of ``client``."""
    senders = senders or {}
    policy = policy or RetryPolicy()
    run = SubscriptionRun()
    with unit_of_work(sessions) as session:
        jobs = claim_due(session, now, policy, limit, sealer)
    throttled: set[int] = set()
    for job in jobs:
        if job.integration_id in throttled:
            with unit_of_work(sessions) as session:
                _defer(session, job, now, policy)
            run.deferred += 1
            continue
        if job.waybill is None:
            outcome = Outcome(OutcomeKind.REFUSED, "lanshou", job.problem or "")
        elif job.account.kind in senders:
            outcome = senders[job.account.kind](job)
        else:
            outcome = client.subscribe(job.account, job.waybill)
        if outcome.kind is OutcomeKind.THROTTLED:
            throttled.add(job.integration_id)
        with unit_of_work(sessions) as session:
            state = record_outcome(session, job, outcome, now, policy)
        if state is SubState.SUBSCRIBED:
            run.subscribed += 1
        elif state is SubState.FAILED:
            run.failed += 1
            log.warning(
                "subscription %s failed for good: %s", job.subscription_id, outcome.describe()
            )
        else:
            run.retried += 1
    return run


def apply_kuaidi100_push(
    session: Session,
    push: Kuaidi100Push,
    shipments: list[Shipment],
    integration: FeedIntegration,
    now: datetime,
    policy: RetryPolicy | None = None,
) -> TrackingSubscription | None:
    """What a push says about its subscription: ``abort`` stalls it and schedules the
    resubscription (under ``comNew`` when 快递100 corrected the carrier), ``shutdown`` ends it,
    anything else means it is watched. A waybill subscribed outside lanshou gets a row on its
    first ``abort``, so lanshou takes over resubscribing it."""
    policy = policy or RetryPolicy()
    sub = session.execute(
        select(TrackingSubscription).where(
            TrackingSubscription.integration_id == integration.id,
            TrackingSubscription.waybill_no == push.waybill,
        )
    ).scalar_one_or_none()
    if sub is None:
        if push.status != "abort" or not shipments:
            return None
        sub = _adopt(session, push, shipments[0], integration, now)
    decision = on_kuaidi100_push(
        push.status,
        push.com_new if push.carrier_changed else None,
        parcel_done=bool(shipments) and all(s.status in DONE_STATUSES for s in shipments),
        resubscriptions=sub.resubscriptions,
        now=now,
        policy=policy,
    )
    if decision.aggregator_code:
        sub.aggregator_code = decision.aggregator_code
    if decision.state is SubState.STALLED:
        if sub.state != SubState.STALLED:
            sub.stalled_since = now
        sub.state = SubState.STALLED
        sub.resubscribe_at = sub.next_attempt_at = decision.resubscribe_at
        sub.attempts, sub.last_error = 0, push.message or "abort"
    elif sub.state not in (SubState.PENDING, SubState.SENDING):
        # A push proves the waybill is watched; a row still being sent finishes on its own.
        sub.state, sub.last_error = decision.state, None
        sub.stalled_since = sub.resubscribe_at = sub.next_attempt_at = None
    sub.updated_at = now
    session.flush()
    return sub


def _adopt(
    session: Session,
    push: Kuaidi100Push,
    shipment: Shipment,
    integration: FeedIntegration,
    now: datetime,
) -> TrackingSubscription:
    carrier = session.get(Carrier, shipment.carrier_id) if shipment.carrier_id else None
    sub = TrackingSubscription(
        shipment_id=shipment.id,
        integration_id=integration.id,
        carrier_code=carrier.code if carrier else None,
        aggregator_code=push.com,
        waybill_no=push.waybill,
        state=SubState.SUBSCRIBED,
        attempts=0,
        resubscriptions=0,
        subscribed_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    session.flush()
    return sub
