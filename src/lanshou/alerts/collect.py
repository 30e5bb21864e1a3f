"""Turn what happened into outbox rows: one per (event, subscribed channel), exactly once.

Sources are read forward from a cursor (``alert_cursors``): deadline warnings, audit records
(violation detected, feed stalled) and appeal events (decisions). Appeal deadlines are a state,
not an event, so they are polled; the outbox's unique ``dedup_key`` makes every source safe to
read twice, by two workers, or after a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.dialect import insert_ignoring_conflicts
from lanshou.adapters.db.models import (
    Appeal,
    AppealEvent,
    AuditEvent,
    Deadline,
    Order,
    Shipment,
    Violation,
    Warning_,
)
from lanshou.adapters.db.models.alerts import (
    AlertChannel,
    AlertCursor,
    AlertOutbox,
    AlertSubscription,
)
from lanshou.alerts.policy import AlertPolicy
from lanshou.alerts.zones import ShopZones
from lanshou.i18n import translate
from lanshou.i18n.format import local_time

BATCH = 1000
REVIEW_STATES = ("submitted", "under_review", "reconsideration")
WINDOW_STATES = ("draft", "need_info", "rejected")
DECIDED_STATES = ("approved", "rejected", "rejected_final")
DUE_SOON = timedelta(hours=24)


@dataclass(frozen=True)
class AlertEvent:
    kind: str
    shop_id: int
    key: str  # unique per event, e.g. "warning:17"
    source_type: str
    source_id: int
    title: str
    body: str
    critical: bool = False
    lead_minutes: int = 0


def _cursor(session: Session, name: str) -> AlertCursor:
    """The cursor named ``name``, locked until the transaction ends (SQLite: by its single
    writer) so two collectors never read the same stretch of a source."""
    session.execute(insert_ignoring_conflicts(session, AlertCursor).values(name=name, last_id=0))
    return session.execute(
        select(AlertCursor).where(AlertCursor.name == name).with_for_update()
    ).scalar_one()


def _order_line(locale: str, order_no: str, waybill: str | None) -> str:
    return translate(
        locale, "Order %(order)s, waybill %(waybill)s", order=order_no, waybill=waybill or "—"
    )


def _warnings(session: Session, since: datetime, locale: str) -> list[AlertEvent]:
    cur = _cursor(session, "warnings")
    rows = session.execute(
        select(Warning_, Deadline, Shipment.waybill_no, Order.external_id)
        .join(Deadline, Deadline.id == Warning_.deadline_id)
        .join(Shipment, Shipment.id == Deadline.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Warning_.id > cur.last_id)
        .order_by(Warning_.id)
        .limit(BATCH)
    ).all()
    events = []
    for w, dl, waybill, order_no in rows:
        cur.last_id = w.id
        if w.suppressed or w.fired_at < since:
            continue
        hours = f"{w.lead_minutes / 60:g}"
        events.append(
            AlertEvent(
                "at_risk",
                dl.shop_id,
                f"warning:{w.id}",
                "warning",
                w.id,
                translate(locale, "Pickup due in %(hours)s h", hours=hours),
                _order_line(locale, order_no, waybill)
                + "\n"
                + translate(locale, "Deadline %(at)s (Beijing time)", at=local_time(dl.due_at)),
                lead_minutes=w.lead_minutes,
            )
        )
    return events


def _audit(session: Session, since: datetime, locale: str, policy: AlertPolicy) -> list[AlertEvent]:
    cur = _cursor(session, "audit")
    rows = list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.id > cur.last_id)
            .order_by(AuditEvent.id)
            .limit(BATCH)
        ).scalars()
    )
    if rows:
        cur.last_id = rows[-1].id
    wanted = [
        r
        for r in rows
        if r.at >= since
        and (
            (r.entity_type == "violation" and r.action == "detected")
            or (r.entity_type == "shipment" and r.action == "feed_stalled")
        )
    ]
    events = []
    for r in wanted:
        if r.entity_type == "violation":
            row = session.execute(
                select(Violation, Shipment.amount_fen, Shipment.waybill_no, Order.external_id)
                .join(Shipment, Shipment.id == Violation.shipment_id)
                .join(Order, Order.id == Violation.order_id)
                .where(Violation.id == r.entity_id)
            ).one_or_none()
            if row is None:
                continue
            v, amount, waybill, order_no = row
            events.append(
                AlertEvent(
                    "breach",
                    v.shop_id,
                    f"violation:{v.id}",
                    "violation",
                    v.id,
                    translate(locale, "Deadline breached: %(rule)s", rule=v.rule_id),
                    _order_line(locale, order_no, waybill)
                    + "\n"
                    + translate(
                        locale, "Deadline %(at)s (Beijing time)", at=local_time(v.deadline)
                    ),
                    critical=amount >= policy.critical_amount_fen,
                )
            )
        else:
            srow = session.execute(
                select(Order.shop_id, Shipment.waybill_no, Order.external_id)
                .join(Order, Order.id == Shipment.order_id)
                .where(Shipment.id == r.entity_id)
            ).one_or_none()
            if srow is None:
                continue
            shop_id, waybill, order_no = srow
            events.append(
                AlertEvent(
                    "feed_stalled",
                    shop_id,
                    f"audit:{r.id}",
                    "shipment",
                    r.entity_id,
                    translate(locale, "Carrier feed stalled"),
                    _order_line(locale, order_no, waybill) + "\n" + r.reason,
                    critical=True,
                )
            )
    return events


def _appeal_order(session: Session, appeal_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(appeal_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Appeal.id, Order.external_id)
        .join(Violation, Violation.id == Appeal.violation_id)
        .join(Order, Order.id == Violation.order_id)
        .where(Appeal.id.in_(ids))
    )
    return {appeal_id: order_key for appeal_id, order_key in rows}


def _decisions(session: Session, since: datetime, locale: str) -> list[AlertEvent]:
    cur = _cursor(session, "appeal_events")
    rows = session.execute(
        select(AppealEvent, Appeal.shop_id)
        .join(Appeal, Appeal.id == AppealEvent.appeal_id)
        .where(AppealEvent.id > cur.last_id)
        .order_by(AppealEvent.id)
        .limit(BATCH)
    ).all()
    if rows:
        cur.last_id = rows[-1][0].id
    decided = [
        (e, shop)
        for e, shop in rows
        if e.at >= since and e.event in ("approve", "reject") and e.to_state in DECIDED_STATES
    ]
    orders = _appeal_order(session, [e.appeal_id for e, _ in decided])
    return [
        AlertEvent(
            "decision_made",
            shop,
            f"appeal_event:{e.id}",
            "appeal",
            e.appeal_id,
            translate(locale, "Appeal decided: %(state)s", state=e.to_state),
            translate(
                locale,
                "Appeal %(id)s for order %(order)s",
                id=e.appeal_id,
                order=orders.get(e.appeal_id, "—"),
            )
            + (f"\n{e.reason}" if e.reason else ""),
        )
        for e, shop in decided
    ]


def _appeal_deadlines(session: Session, now: datetime, locale: str) -> list[AlertEvent]:
    rows = list(
        session.execute(
            select(Appeal)
            .where(
                Appeal.due_at.is_not(None),
                Appeal.due_at <= now + DUE_SOON,
                Appeal.state.in_(REVIEW_STATES + WINDOW_STATES),
            )
            .order_by(Appeal.id)
            .limit(BATCH)
        ).scalars()
    )
    orders = _appeal_order(session, [a.id for a in rows])
    events = []
    for a in rows:
        assert a.due_at is not None
        stamp = int(a.due_at.timestamp())
        body = (
            translate(
                locale, "Appeal %(id)s for order %(order)s", id=a.id, order=orders.get(a.id, "—")
            )
            + "\n"
            + translate(locale, "Due %(at)s (Beijing time)", at=local_time(a.due_at))
        )
        if a.due_at > now:
            events.append(
                AlertEvent(
                    "appeal_due_soon",
                    a.shop_id,
                    f"appeal:{a.id}:{stamp}",
                    "appeal",
                    a.id,
                    translate(locale, "Appeal due soon"),
                    body,
                )
            )
        elif a.state in REVIEW_STATES:
            events.append(
                AlertEvent(
                    "appeal_overdue",
                    a.shop_id,
                    f"appeal:{a.id}:{stamp}",
                    "appeal",
                    a.id,
                    translate(locale, "Appeal overdue"),
                    body,
                )
            )
    return events


def collect_events(
    session: Session, now: datetime, policy: AlertPolicy, locale: str
) -> list[AlertEvent]:
    since = now - policy.max_event_age
    return [
        *_warnings(session, since, locale),
        *_audit(session, since, locale, policy),
        *_decisions(session, since, locale),
        *_appeal_deadlines(session, now, locale),
    ]


def enqueue(
    session: Session, events: list[AlertEvent], now: datetime, policy: AlertPolicy, zones: ShopZones
) -> int:
    """One outbox row per subscribed channel; quiet hours set the first attempt. Returns rows
    actually added (re-collected events are no-ops)."""
    shops = sorted({e.shop_id for e in events})
    if not shops:
        return 0
    subs: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for channel_id, shop_id, kind, lead in session.execute(
        select(
            AlertChannel.id,
            AlertChannel.shop_id,
            AlertSubscription.event_kind,
            AlertSubscription.lead_minutes,
        )
        .join(AlertSubscription, AlertSubscription.channel_id == AlertChannel.id)
        .where(AlertChannel.shop_id.in_(shops), AlertChannel.is_active.is_(True))
    ):
        subs[(shop_id, kind)].append((channel_id, lead))
    rows = []
    for e in events:
        channels = {
            c for c, lead in subs.get((e.shop_id, e.kind), []) if lead in (0, e.lead_minutes)
        }
        if not channels:
            continue
        first = zones.release(e.shop_id, now, policy, critical=e.critical)
        for channel_id in sorted(channels):
            rows.append(
                {
                    "dedup_key": f"{e.kind}:{e.key}:ch{channel_id}",
                    "shop_id": e.shop_id,
                    "channel_id": channel_id,
                    "event_kind": e.kind,
                    "source_type": e.source_type,
                    "source_id": e.source_id,
                    "critical": e.critical,
                    "title": e.title[:255],
                    "body": e.body,
                    "state": "pending",
                    "attempts": 0,
                    "max_attempts": policy.max_attempts,
                    "created_at": now,
                    "deferred_until": first if first > now else None,
                    "next_attempt_at": first,
                }
            )
    if not rows:
        return 0
    added = (
        session.execute(
            insert_ignoring_conflicts(session, AlertOutbox, key=["dedup_key"])
            .values(rows)
            .returning(AlertOutbox.id)
        )
        .scalars()
        .all()
    )
    return len(added)


__all__ = ["AlertEvent", "collect_events", "enqueue"]
