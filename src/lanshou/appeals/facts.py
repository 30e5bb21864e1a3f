"""Gather what is known about a violation from the database: for the assessment, the statement
draft and the system evidence (which the merchant cannot forge: it is read, never uploaded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    Carrier,
    Communication,
    Deadline,
    LedgerEntry,
    Order,
    Shipment,
    TrackingEvent,
    Violation,
)
from lanshou.appeals.context import AppealsContext
from lanshou.domain.appeals.facts import CaseFacts, Contact
from lanshou.domain.rules.evaluate import RuleOutcome, evaluate_shipment
from lanshou.domain.violations import ViolationState
from lanshou.enforcement import approved_exemptions, load_facts


@dataclass(frozen=True)
class Gathered:
    violation: Violation
    order: Order
    shipment: Shipment
    carrier: Carrier | None
    events: list[TrackingEvent]
    contacts: list[Communication]
    outcome: RuleOutcome | None  # the rule re-evaluated now, with today's exemptions
    exemption_reason: str | None
    ship_by: datetime | None
    first_pickup_at: datetime | None
    ledger: list[LedgerEntry]


def contact_log(session: Session, violation: Violation) -> list[Communication]:
    return list(
        session.execute(
            select(Communication)
            .where(
                or_(
                    Communication.order_id == violation.order_id,
                    Communication.violation_id == violation.id,
                )
            )
            .order_by(Communication.occurred_at, Communication.id)
        ).scalars()
    )


def gather(session: Session, actx: AppealsContext, violation: Violation, now: datetime) -> Gathered:
    order = session.get_one(Order, violation.order_id)
    shipment = session.get_one(Shipment, violation.shipment_id)
    carrier = session.get(Carrier, shipment.carrier_id) if shipment.carrier_id else None
    events = list(
        session.execute(
            select(TrackingEvent)
            .where(TrackingEvent.shipment_id == shipment.id)
            .order_by(TrackingEvent.event_time, TrackingEvent.id)
        ).scalars()
    )
    profile = actx.profile(violation)
    exemptions = approved_exemptions(session)
    outcome, first_pickup = None, shipment.picked_up_at
    refs = load_facts(session, [shipment.id])
    if refs:
        facts = refs[0].facts_for(profile.pickup_statuses)
        first_pickup = facts.first_pickup_at
        outcomes = evaluate_shipment(facts, profile, actx.calendar(violation), exemptions, now)
        outcome = next((o for o in outcomes if o.rule_id == violation.rule_id), None)
    reason = violation.exemption_reason if violation.state == ViolationState.EXEMPT else None
    if reason is None and outcome is not None and outcome.exempt:
        by_id = {e.id: e.reason for e in exemptions}
        reason = by_id.get(outcome.exemption_id or "", outcome.exemption_id)
    ship_by = (
        session.execute(
            select(Deadline.due_at)
            .where(
                Deadline.shipment_id == shipment.id,
                Deadline.rule_id.in_(sorted(profile.ship_by_rule_ids)),
            )
            .order_by(Deadline.due_at)
            .limit(1)
        ).scalar()
        or order.exp_ship_time
    )
    ledger = list(
        session.execute(
            select(LedgerEntry)
            .where(LedgerEntry.violation_id == violation.id)
            .order_by(LedgerEntry.id)
        ).scalars()
    )
    return Gathered(
        violation,
        order,
        shipment,
        carrier,
        events,
        contact_log(session, violation),
        outcome,
        reason,
        ship_by,
        first_pickup,
        ledger,
    )


def case_facts(g: Gathered, actx: AppealsContext, merchant_evidence: int) -> CaseFacts:
    v = g.violation
    profile = actx.profile(v)
    return CaseFacts(
        rule_id=v.rule_id,
        rule_label_zh=profile.rule_label(v.rule_id, "zh_CN"),
        awaits_pickup=v.rule_id in profile.pickup_rule_ids,
        deadline=v.deadline,
        order_external_id=g.order.external_id,
        waybill_no=g.shipment.waybill_no,
        carrier_name=g.carrier.name_zh if g.carrier else None,
        shipped_at=g.shipment.shipped_at,
        ship_by=g.ship_by,
        first_pickup_at=g.first_pickup_at,
        exemption_reason=g.exemption_reason,
        contacts=tuple(
            Contact(c.occurred_at, c.counterpart_kind, c.channel, c.summary) for c in g.contacts
        ),
        merchant_evidence=merchant_evidence,
        tz=profile.tz,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def contact_json(c: Communication) -> dict[str, Any]:
    return {
        "id": c.id,
        "occurred_at": _iso(c.occurred_at),  # when it happened, as the user said
        "recorded_at": _iso(c.recorded_at),  # when it was typed in
        "counterpart_kind": c.counterpart_kind,
        "counterpart_name": c.counterpart_name,
        "channel": c.channel,
        "summary": c.summary,
        "appeal_id": c.appeal_id,
    }


def snapshot(g: Gathered, now: datetime) -> dict[str, Any]:
    """The system evidence: order, tracking with raw feed records, contacts, exemptions, rules."""
    o, s, v = g.order, g.shipment, g.violation
    return {
        "generated_at": now.isoformat(),
        "violation": {
            "id": v.id,
            "rule_id": v.rule_id,
            "profile": v.profile,
            "state": v.state,
            "started_at": _iso(v.started_at),
            "deadline": _iso(v.deadline),
            "satisfied_at": _iso(v.satisfied_at),
            "detected_at": _iso(v.detected_at),
            "explanation": v.explanation,
        },
        "order": {
            "id": o.id,
            "external_id": o.external_id,
            "status": o.status,
            "paid_at": _iso(o.paid_at),
            "amount_fen": o.amount_fen,
            "quantity": o.quantity,
            "buyer_province": o.buyer_province,
            "buyer_city": o.buyer_city,
            "exp_ship_time": _iso(o.exp_ship_time),
        },
        "shipment": {
            "id": s.id,
            "key": s.key,
            "waybill_no": s.waybill_no,
            "carrier": g.carrier.code if g.carrier else None,
            "shipped_at": _iso(s.shipped_at),
            "picked_up_at": _iso(s.picked_up_at),
            "status": s.status,
            "feed_stalled": s.feed_stalled,
        },
        "tracking": [
            {
                "id": e.id,
                "status": e.status,
                "event_time": _iso(e.event_time),
                "received_at": _iso(e.received_at),
                "location": e.location,
                "description": e.description,
                "source": e.source,
                "raw": e.raw,
            }
            for e in g.events
        ],
        "contacts": [contact_json(c) for c in g.contacts],
        "exemption": g.exemption_reason,
        "rule_computation": g.outcome.explanation if g.outcome is not None else [],
        "ledger": [
            {
                "id": e.id,
                "kind": e.kind,
                "amount_fen": e.amount_fen,
                "points": str(e.points),
                "reverses_id": e.reverses_id,
                "booked_at": _iso(e.booked_at),
                "memo": e.memo,
            }
            for e in g.ledger
        ],
    }
