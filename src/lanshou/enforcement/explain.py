"""Why is (or isn't) this shipment late? The rule, the arithmetic, the evidence, the money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import LedgerEntry, Order, Shipment, Violation
from lanshou.domain.money import format_yuan
from lanshou.domain.rules.evaluate import RuleOutcome, evaluate_shipment
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement.assumptions import assumption_lines
from lanshou.enforcement.facts import load_facts
from lanshou.enforcement.rules_context import RulesContext, approved_exemptions
from lanshou.errors import NotFound
from lanshou.i18n import translate


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

    def lines(self, locale: str | None = None) -> list[str]:
        """The explanation; the assumed figures of the judged rules in `locale` (zh_CN default)."""
        out = [
            f"shipment 包裹 #{self.shipment_id} — order 订单 {self.order_external_id}"
            f" (key {self.shipment_key}, profile 规则 {self.profile})"
        ]
        for outcome in self.outcomes:
            out.append("")
            out.extend(f"  {line}" for line in outcome.explanation)
        if self.violations:
            out.append("")
            out.append("stored violations 已记录违规:")
            for v in self.violations:
                deadline = v.deadline.astimezone(self.tz).isoformat()
                out.append(f"  #{v.id} {v.rule_id} state 状态={v.state} deadline 截止={deadline}")
        if self.ledger:
            out.append("ledger 资金流水:")
            for e in self.ledger:
                rev = f" (reverses #{e.reverses_id})" if e.reverses_id else ""
                out.append(
                    f"  #{e.id} {e.kind} {format_yuan(e.amount_fen)} 元"
                    f" points {e.points}{rev} — {e.memo}"
                )
        assumed = assumption_lines(self.rules, locale, [o.rule_id for o in self.outcomes])
        if assumed:
            out.append("")
            out.append(translate(locale, "Assumed figures (no source gives them):"))
            out.extend(f"  {line}" for line in assumed)
        return out


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
