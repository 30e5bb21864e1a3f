"""Why is (or isn't) this shipment late? The rule, the arithmetic, the evidence, the money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import LedgerEntry, Order, Shipment, Violation
from lanshou.domain.rules.evaluate import RuleOutcome, evaluate_shipment
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement.assumptions import assumption_lines
from lanshou.enforcement.facts import load_facts
from lanshou.enforcement.rules_context import RulesContext, approved_exemptions
from lanshou.errors import NotFound


@dataclass(frozen=True)
class ShipmentExplanation:
    shipment_id: int
    order_external_id: str
    shipment_key: str
    profile: str
    outcomes: list[RuleOutcome]
    violations: list[Violation]
    ledger: list[LedgerEntry]
    tz: tzinfo
    rules: Profile

    def assumed(self, locale: str | None = None) -> list[str]:
        """The assumed figures of the judged rules, in `locale` (zh_CN default); the readable
        explanation itself is `lanshou.appeals.shipment_text`, as the order page shows it."""
        return assumption_lines(self.rules, locale, [o.rule_id for o in self.outcomes])


def find_shipment_ids(session: Session, ident: str) -> list[int]:
    """An order's external id, or ``order:<id>`` / ``shipment:<id>`` / a bare shipment id."""
    kind, _, value = ident.partition(":")
    if value and kind == "shipment" and value.isdigit():
        return list(session.execute(select(Shipment.id).where(Shipment.id == int(value))).scalars())
    if value and kind == "order" and value.isdigit():
        return list(
            session.execute(select(Shipment.id).where(Shipment.order_id == int(value))).scalars()
        )
    conditions = [Order.external_id == ident]
    if ident.isdigit():
        conditions.append(Shipment.id == int(ident))
    q = select(Shipment.id).join(Order, Order.id == Shipment.order_id).where(or_(*conditions))
    return list(session.execute(q.order_by(Shipment.id)).scalars())


def explain(
    session: Session, ident: str, now: datetime, ctx: RulesContext
) -> list[ShipmentExplanation]:
    ids = find_shipment_ids(session, ident)
    if not ids:
        raise NotFound(f"no order or shipment {ident!r}")
    exemptions = approved_exemptions(session)
    out = []
    for ref in load_facts(session, ids):
        profile = ctx.profile(ref.profile)
        facts = ref.facts_for(profile.pickup_statuses)
        outcomes = evaluate_shipment(facts, profile, ctx.calendar(profile), exemptions, now)
        violations = list(
            session.execute(
                select(Violation).where(Violation.shipment_id == ref.shipment_id)
            ).scalars()
        )
        entries = list(
            session.execute(
                select(LedgerEntry)
                .where(LedgerEntry.violation_id.in_([v.id for v in violations]))
                .order_by(LedgerEntry.id)
            ).scalars()
        )
        out.append(
            ShipmentExplanation(
                ref.shipment_id, facts.order_id, facts.shipment_key, ref.profile,
                outcomes, violations, entries, profile.tz, profile,
            )
        )  # fmt: skip
    return out
