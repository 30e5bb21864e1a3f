"""Collect new events into the outbox, then deliver what is due, with retries and a log.

Three kinds of short transaction, none of them open while a channel talks to the network:
collect+enqueue; claim (rows become ``sending`` with a lease, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL so workers never send the same row); and one per attempt to record its outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.dialect import claim_skip_locked
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models.alerts import AlertChannel, AlertDelivery, AlertOutbox
from lanshou.adapters.notify import DeliveryResult, EgressPolicy, Message, Sender, build_sender
from lanshou.alerts.collect import collect_events, enqueue
from lanshou.alerts.policy import AlertPolicy
from lanshou.alerts.zones import ShopZones
from lanshou.enforcement import RulesContext

log = logging.getLogger("lanshou.alerts")
SenderFactory = Callable[[str, Mapping[str, Any], str | None], Sender]


@dataclass(frozen=True)
class Job:
    outbox_id: int
    shop_id: int
    channel_kind: str
    channel_name: str
    config: dict[str, Any]
    secret: str | None
    message: Message


@dataclass
class DispatchResult:
    queued: int = 0
    sent: int = 0
    failed: int = 0  # attempts that failed (retried or given up)
    given_up: int = 0


def sender_factory(egress: EgressPolicy) -> SenderFactory:
    """Real senders that connect only where ``egress`` allows."""

    def senders(kind: str, config: Mapping[str, Any], secret: str | None) -> Sender:
        return build_sender(kind, config, secret, egress=egress)

    return senders


default_senders = sender_factory(EgressPolicy())  # public addresses, no allow-list


def claim_due(session: Session, now: datetime, policy: AlertPolicy, limit: int) -> list[Job]:
    """Lease due rows to this worker: state ``sending`` until ``now + lease``."""
    q = claim_skip_locked(
        select(AlertOutbox, AlertChannel)
        .join(AlertChannel, AlertChannel.id == AlertOutbox.channel_id)
        .where(AlertOutbox.state.in_(("pending", "sending")), AlertOutbox.next_attempt_at <= now)
        .order_by(AlertOutbox.next_attempt_at, AlertOutbox.id)
        .limit(limit),
        of=AlertOutbox,
    )
    jobs = []
    for row, channel in session.execute(q).all():
        row.state = "sending"
        row.next_attempt_at = now + policy.lease
        jobs.append(
            Job(
                row.id,
                row.shop_id,
                channel.kind,
                channel.name,
                dict(channel.config),
                channel.secret,
                Message(row.title, row.body),
            )
        )
    return jobs


def safe_send(
    senders: SenderFactory,
    kind: str,
    config: Mapping[str, Any],
    secret: str | None,
    message: Message,
) -> DeliveryResult:
    """A sender that raises (bad config, a bug) counts as a failed attempt, not a crash."""
    try:
        return senders(kind, config, secret).send(message)
    except Exception as exc:
        log.exception("alert channel %s raised", kind)
        return DeliveryResult.failed(f"{type(exc).__name__}: {exc}")


def record_attempt(
    session: Session,
    job: Job,
    result: DeliveryResult,
    now: datetime,
    policy: AlertPolicy,
    zones: ShopZones,
) -> str:
    """Log the attempt and move the row on: sent, retry later, or failed for good."""
    row = session.get(AlertOutbox, job.outbox_id)
    assert row is not None
    row.attempts += 1
    session.add(
        AlertDelivery(
            shop_id=row.shop_id,
            outbox_id=row.id,
            channel_kind=job.channel_kind,
            target=job.channel_name[:128],
            attempt=row.attempts,
            at=now,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
        )
    )
    if result.ok:
        row.state, row.sent_at, row.last_error = "sent", now, None
    else:
        row.last_error = result.error
        if row.attempts >= row.max_attempts:
            row.state = "failed"
        else:
            row.state = "pending"
            retry = now + policy.retry_delay(row.attempts)
            row.next_attempt_at = zones.release(row.shop_id, retry, policy, critical=row.critical)
    return row.state


def dispatch_alerts(
    sessions: sessionmaker[Session],
    now: datetime,
    ctx: RulesContext | None = None,
    *,
    policy: AlertPolicy | None = None,
    senders: SenderFactory = default_senders,
    locale: str = "zh_CN",
    limit: int = 200,
) -> DispatchResult:
    """One dispatcher run: enqueue new events, then send everything due at ``now``."""
    policy = policy or AlertPolicy()
    result = DispatchResult()
    with unit_of_work(sessions) as session:
        events = collect_events(session, now, policy, locale)
        result.queued = enqueue(session, events, now, policy, ShopZones(session, ctx))
    with unit_of_work(sessions) as session:
        jobs = claim_due(session, now, policy, limit)
    for job in jobs:
        outcome = safe_send(senders, job.channel_kind, job.config, job.secret, job.message)
        with unit_of_work(sessions) as session:
            state = record_attempt(session, job, outcome, now, policy, ShopZones(session, ctx))
        if outcome.ok:
            result.sent += 1
        else:
            result.failed += 1
            result.given_up += state == "failed"
            log.warning(
                "alert %s via %s failed: %s", job.outbox_id, job.channel_kind, outcome.error
            )
    return result
