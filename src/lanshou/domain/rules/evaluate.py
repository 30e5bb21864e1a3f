"""Judge one shipment against a profile: deadlines, lateness, exemptions, compensation, refund.

Pure: no I/O, `now` is a parameter. The batch engine (`lanshou.batch.engine`) computes the
same verdicts in SQL; `tests/unit/batch/test_paths_agree.py` holds the two to each other.

Facts dated after `now` have not happened yet (`known_at`): a shipped_at or a first pickup
later than `now` is judged as absent, so the shipment is still open rather than late, and
`RuleOutcome.unseen_fact_at` says when the verdict may change by the mere passage of time.

Lateness: satisfied after the deadline, or unsatisfied while now > deadline. Satisfied exactly
at the deadline is on time; unsatisfied with now == deadline is not late yet.
Auto refund: due when not exempt, now >= deadline + auto_refund_after_hours, and the rule was
not satisfied by then (a pickup exactly at that instant prevents it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from lanshou.domain.rules.calendar import HOUR_US, WorkingCalendar, from_us, to_us
from lanshou.domain.rules.consequences import ZERO, compensation_for, round_money, unit_price
from lanshou.domain.rules.exemptions import Exemption, apply_exemptions
from lanshou.domain.rules.profile import (
    DeadlineField,
    DurationUnit,
    Profile,
    Rule,
    SatisfiedBy,
    StartField,
)

__all__ = [
    "KNOWN_AT_NOW",
    "RuleOutcome",
    "ShipmentFacts",
    "base_deadline_us",
    "evaluate_shipment",
    "is_late",
    "known_at",
]

# The facts that happen (rather than being promised): one dated after `now` does not exist yet.
# `paid_at` is not among them: an order paid after `now` only has a deadline after `now` too.
KNOWN_AT_NOW = ("shipped_at", "first_pickup_at")


def is_late(satisfied_us: int | None, deadline_us: int, now_us: int) -> bool:
    """Satisfied after the deadline, or still unsatisfied with ``now`` past it."""
    return satisfied_us > deadline_us if satisfied_us is not None else now_us > deadline_us


@dataclass(frozen=True)
class ShipmentFacts:
    """What is known about one shipment (one waybill of an order)."""

    shipment_key: str
    order_id: str
    shop_id: str
    paid_at: dt.datetime | None
    amount: Decimal
    shipped_at: dt.datetime | None = None
    exp_ship_time: dt.datetime | None = None
    shipping_limit_at: dt.datetime | None = None
    first_pickup_at: dt.datetime | None = None
    quantity: int = 1
    max_unit_price: Decimal | None = None
    province: str | None = None
    carrier_code: str | None = None
    order_status: str | None = None


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's verdict for one shipment; `fine_due` is before the caps of `allocate_fines`."""

    shipment_key: str
    order_id: str
    shop_id: str
    rule_id: str
    started_at: dt.datetime | None
    deadline: dt.datetime | None
    satisfied_at: dt.datetime | None
    late: bool
    exempt: bool = False
    exemption_id: str | None = None
    compensation: Decimal = ZERO
    fine_due: Decimal = ZERO
    auto_refund: Decimal = ZERO
    points: Decimal = Decimal(0)
    # The earliest fact of the shipment dated after `now`, ignored for now (see `known_at`).
    unseen_fact_at: dt.datetime | None = None
    # What the explanation needs beyond the fields above: (rule, time zone, how the deadline
    # was computed, exemption reasons). Lines are only built when asked for: the event path
    # judges thousands of outcomes and stores the explanation of violations only.
    why: tuple[Rule, dt.tzinfo, str, tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def is_violation(self) -> bool:
        return self.late and not self.exempt

    @cached_property
    def explanation(self) -> list[str]:
        """How the verdict was reached, line by line (Chinese and English)."""
        if self.why is None:
            return []
        rule, tz, how, reasons = self.why
        start, satisfied = self.started_at, self.satisfied_at
        lines = [f"{rule.label_zh} / {rule.label_en} ({rule.id})"]
        lines.append(f"start 起算: {start.astimezone(tz).isoformat() if start else '—'}")
        if self.unseen_fact_at is not None:
            lines.append(
                f"after now, not counted yet 晚于评估时间、尚未发生: "
                f"{self.unseen_fact_at.astimezone(tz).isoformat()}"
            )
        if self.deadline is None:
            lines.append(f"deadline 截止: — ({how})")
            return lines
        lines.append(f"deadline 截止: {self.deadline.isoformat()} ({how})")
        lines.extend(f"exemption 豁免: {r}" for r in reasons)
        if satisfied is not None:
            lines.append(f"{rule.satisfied_by} 完成: {satisfied.astimezone(tz).isoformat()}")
        else:
            lines.append(f"{rule.satisfied_by} 完成: none yet / 尚无")
        verdict = "late 超时" if self.late else "on time / not yet late 未超时"
        lines.append(
            f"verdict 结论: {verdict}{' (exempt 已豁免)' if self.exempt else ''}; "
            f"compensation 赔付 {self.compensation}, "
            f"fine before caps 罚款(封顶前) {self.fine_due}, "
            f"auto refund 自动退款 {self.auto_refund}, points 扣分 {self.points}"
        )
        return lines


def _start(rule: Rule, facts: ShipmentFacts) -> dt.datetime | None:
    if rule.start == StartField.PAID_AT:
        return facts.paid_at
    if rule.start == StartField.SHIPPED_AT:
        return facts.shipped_at
    return None


def _explicit(rule: Rule, facts: ShipmentFacts) -> dt.datetime | None:
    if rule.deadline_field == DeadlineField.EXP_SHIP_TIME:
        return facts.exp_ship_time
    if rule.deadline_field == DeadlineField.SHIPPING_LIMIT_AT:
        return facts.shipping_limit_at
    return None


def _satisfied(rule: Rule, facts: ShipmentFacts) -> dt.datetime | None:
    if rule.satisfied_by == SatisfiedBy.SHIPPED_AT:
        return facts.shipped_at
    return facts.first_pickup_at


def base_deadline_us(
    rule: Rule, start_us: int | None, explicit_us: int | None, cal: WorkingCalendar
) -> tuple[int | None, str]:
    """The deadline before exemptions, and how it was computed (for the explanation)."""
    if explicit_us is not None:
        return explicit_us, f"explicit {rule.deadline_field} / 平台给出的截止时间"
    if start_us is None:
        return None, "not started / 未开始"
    duration = rule.duration
    local_day = cal.local_date(start_us)
    for ov in rule.overrides:
        if ov.from_date <= local_day <= ov.to_date:
            how = f"override {ov.from_date}..{ov.to_date} / 节假日规则"
            if ov.deadline_at is not None:
                return to_us(ov.deadline_at.replace(tzinfo=cal.tz)), how
            duration = ov.duration
            break
    else:
        how = ""
    if duration is None:
        return None, "no duration / 无时限"
    if duration.unit == DurationUnit.CALENDAR_HOURS:
        deadline = start_us + duration.micros
        how = how or f"start + {duration.hours} calendar hours / 自然小时"
    elif duration.unit == DurationUnit.WORKING_HOURS:
        deadline = cal.add_working_time(start_us, duration.micros, duration.windows_for)
        how = how or f"start + {duration.hours} working hours / 工作小时"
    else:
        deadline = cal.add_working_days(start_us, int(duration.hours))
        how = how or f"start + {int(duration.hours)} working days / 工作日"
    return deadline, how


def known_at(facts: ShipmentFacts, now: dt.datetime) -> tuple[ShipmentFacts, dt.datetime | None]:
    """The facts as known at `now` (those dated later blanked), and the earliest blanked one."""
    shipped = facts.shipped_at if facts.shipped_at is not None and facts.shipped_at > now else None
    pickup = facts.first_pickup_at
    pickup = pickup if pickup is not None and pickup > now else None
    later = [t for t in (shipped, pickup) if t is not None]
    if not later:
        return facts, None
    known = replace(
        facts,
        shipped_at=None if shipped else facts.shipped_at,
        first_pickup_at=None if pickup else facts.first_pickup_at,
    )
    return known, min(later)


def evaluate_shipment(
    facts: ShipmentFacts,
    profile: Profile,
    calendar: WorkingCalendar,
    exemptions: tuple[Exemption, ...] | list[Exemption],
    now: dt.datetime,
) -> list[RuleOutcome]:
    """Evaluate every rule of `profile` for one shipment; [] for statuses not judged."""
    if facts.order_status is not None and facts.order_status in profile.skip_statuses:
        return []
    tz, now_us = profile.tz, to_us(now)
    known, unseen = known_at(facts, now)
    outcomes = [
        _judge_rule(rule, known, profile, tz, calendar, exemptions, now_us)
        for rule in profile.rules
    ]
    if unseen is None:
        return outcomes
    return [replace(o, unseen_fact_at=unseen) for o in outcomes]


def _judge_rule(
    rule: Rule,
    facts: ShipmentFacts,
    profile: Profile,
    tz: dt.tzinfo,
    calendar: WorkingCalendar,
    exemptions: tuple[Exemption, ...] | list[Exemption],
    now_us: int,
) -> RuleOutcome:
    """One rule's verdict: its deadline (after exemptions), lateness and what lateness costs."""
    start, satisfied = _start(rule, facts), _satisfied(rule, facts)
    explicit = _explicit(rule, facts)
    start_us = to_us(start) if start is not None else None
    deadline_us, how = base_deadline_us(
        rule, start_us, to_us(explicit) if explicit is not None else None, calendar
    )
    if deadline_us is None:
        return _without_deadline(rule, facts, start, satisfied, tz, how)
    ex = apply_exemptions(
        rule.id,
        facts.shop_id,
        facts.province,
        facts.carrier_code,
        start_us,
        deadline_us,
        profile,
        exemptions,
    )
    sat_us = to_us(satisfied) if satisfied is not None else None
    late = is_late(sat_us, ex.deadline_us, now_us)
    comp = fine = refund = ZERO
    points = Decimal(0)
    if late and not ex.exempt:
        comp, fine, refund, points = _consequences(rule, facts, ex.deadline_us, sat_us, now_us)
    return RuleOutcome(
        facts.shipment_key,
        facts.order_id,
        facts.shop_id,
        rule.id,
        start,
        from_us(ex.deadline_us, tz),
        satisfied,
        late,
        ex.exempt,
        ex.exemption_id,
        comp,
        fine,
        refund,
        points,
        why=(rule, tz, how, tuple(ex.reasons)),
    )


def _without_deadline(
    rule: Rule,
    facts: ShipmentFacts,
    start: dt.datetime | None,
    satisfied: dt.datetime | None,
    tz: dt.tzinfo,
    how: str,
) -> RuleOutcome:
    """The verdict of a rule with no deadline (not started, no duration): never late."""
    return RuleOutcome(
        facts.shipment_key,
        facts.order_id,
        facts.shop_id,
        rule.id,
        start,
        None,
        satisfied,
        False,
        why=(rule, tz, how, ()),
    )


def _consequences(
    rule: Rule, facts: ShipmentFacts, deadline_us: int, sat_us: int | None, now_us: int
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """What a late, unexempted shipment costs: (compensation, fine before caps, auto refund,
    points)."""
    cons = rule.consequences
    comp = refund = ZERO
    if cons.compensation is not None:
        base: Decimal | Fraction = (
            unit_price(facts.amount, facts.quantity, facts.max_unit_price)
            if cons.compensation.base == "unit_price"
            else facts.amount
        )
        comp = compensation_for(cons.compensation, base)
    fine = cons.fine.amount if cons.fine is not None else ZERO
    points = cons.points.per_event if cons.points is not None else Decimal(0)
    if cons.auto_refund_after_hours is not None:
        due_us = deadline_us + int(cons.auto_refund_after_hours * HOUR_US)
        if now_us >= due_us and (sat_us is None or sat_us > due_us):
            refund = round_money(facts.amount)
    return comp, fine, refund, points
