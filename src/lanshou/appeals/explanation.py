"""判定说明: why a violation was judged, as labelled lines a merchant can read (start, breach
deadline, done, verdict, consequences) in local time and formatted money; the web pages and the
dossier PDF show the same lines, and so does `lanshou explain` (:func:`shipment_text`). It
replaces the engine's bilingual dump (still stored with each violation) for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lanshou.appeals.context import AppealsContext
from lanshou.appeals.facts import Gathered
from lanshou.appeals.penalty import Penalty, penalty_of, points_text
from lanshou.appeals.wording import ledger_note
from lanshou.domain.rules.evaluate import RuleOutcome
from lanshou.domain.rules.profile import DurationUnit, Rule, SatisfiedBy, StartField
from lanshou.enforcement import ShipmentExplanation
from lanshou.i18n import N_, translate
from lanshou.i18n.format import local_time, money, yuan
from lanshou.i18n.labels import label

MINUTES = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Line:
    key: str  # start | deadline | done | verdict | consequences (a stable hook for tests/CSS)
    label: str
    text: str


def span(locale: str | None, delta: timedelta) -> str:
    """'1天2小时' / '3小时05分' / '11分钟', rounded down to the minute."""
    minutes = int(abs(delta.total_seconds())) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return translate(locale, "%(d)dd %(h)dh", d=days, h=hours)
    if not hours:
        return translate(locale, "%(m)d min", m=mins)
    return translate(locale, "%(h)dh %(m)02dm", h=hours, m=mins)


_START = {StartField.PAID_AT: N_("payment"), StartField.SHIPPED_AT: N_("shipping")}
_DONE = {SatisfiedBy.FIRST_PICKUP: N_("First pickup scan"), SatisfiedBy.SHIPPED_AT: N_("Shipped")}
_UNITS = {
    DurationUnit.CALENDAR_HOURS: N_("%(n)s hours after the start"),
    DurationUnit.WORKING_HOURS: N_("%(n)s working hours after the start"),
    DurationUnit.WORKING_DAYS: N_("%(n)s working days after the start"),
}


def _rule(actx: AppealsContext, g: Gathered) -> Rule | None:
    try:
        return actx.profile(g.violation).rule(g.violation.rule_id)
    except KeyError:
        return None  # the profile no longer has the rule: say less, never guess


def _how(locale: str | None, rule: Rule | None, start_day: date) -> str:
    """How the breach deadline was counted, as the rule says."""
    if rule is None:
        return ""
    if rule.deadline_field is not None:
        return translate(locale, "the platform's own deadline for this order")
    for ov in rule.overrides:
        if ov.from_date <= start_day <= ov.to_date:
            return translate(
                locale,
                "holiday rule %(a)s – %(b)s",
                a=ov.from_date.isoformat(),
                b=ov.to_date.isoformat(),
            )
    if rule.duration is None:
        return ""
    hours = rule.duration.hours
    n = f"{hours.normalize():f}"
    return translate(locale, _UNITS[rule.duration.unit], n=n)


def _consequences(locale: str | None, p: Penalty) -> str:
    if p.empty:
        return translate(locale, "Nothing booked.")
    parts = [f"{label(locale, 'ledger_kind', k.kind)} {money(k.booked_fen)}" for k in p.money]
    if p.points_booked:
        parts.append(translate(locale, "%(n)s points", n=points_text(p.points_booked)))
    text = translate(locale, "Booked: %(items)s", items=translate(locale, ", ").join(parts))
    back = []
    if p.recovered_fen:
        back.append(money(p.recovered_fen))
    if p.points_restored:
        back.append(translate(locale, "%(n)s points", n=points_text(p.points_restored)))
    if back:
        text += translate(
            locale,
            "; returned after the appeal was approved: %(items)s",
            items=translate(locale, ", ").join(back),
        )
    return text


def _verdict(locale: str | None, g: Gathered, now: datetime, fmt: str) -> str:
    v = g.violation
    if v.state == "exempt":
        return translate(
            locale, "Exempt: %(why)s", why=v.exemption_reason or g.exemption_reason or "—"
        )
    if v.satisfied_at is not None:
        late = v.satisfied_at - v.deadline
        text = translate(locale, "Late by %(span)s", span=span(locale, late))
    else:
        text = translate(
            locale,
            "Not done by the deadline; %(span)s overdue as of %(now)s",
            span=span(locale, now - v.deadline),
            now=local_time(now, fmt),
        )
    if v.state == "reversed":
        text += translate(locale, "; the penalty was reversed on appeal")
    return text


def explain_violation(
    locale: str | None, actx: AppealsContext, g: Gathered, now: datetime, fmt: str = MINUTES
) -> list[Line]:
    """The 判定说明 lines of a violation, in ``locale``; times in Asia/Shanghai."""
    v, rule = g.violation, _rule(actx, g)
    tz = actx.profile(v).tz
    start_what = translate(locale, _START[rule.start]) if rule and rule.start else ""
    start_text = local_time(v.started_at, fmt)
    if start_what:
        start_text += translate(locale, " (from %(what)s)", what=start_what)
    how = _how(locale, rule, v.started_at.astimezone(tz).date())
    deadline_text = local_time(v.deadline, fmt) + (
        translate(locale, " (%(how)s)", how=how) if how else ""
    )
    done_what = translate(locale, _DONE[rule.satisfied_by]) if rule else ""
    if v.satisfied_at is not None:
        done_text = f"{done_what} {local_time(v.satisfied_at, fmt)}".strip()
    else:
        done_text = translate(locale, "%(what)s: none yet", what=done_what or "—")
    return [
        Line("start", translate(locale, "Start"), start_text),
        Line("deadline", translate(locale, "Breach deadline"), deadline_text),
        Line("done", translate(locale, "Completion"), done_text),
        Line("verdict", translate(locale, "Verdict"), _verdict(locale, g, now, fmt)),
        Line(
            "consequences",
            translate(locale, "Consequences"),
            _consequences(locale, penalty_of(g.ledger)),
        ),
    ]


def explain_outcome(
    locale: str | None, outcome: RuleOutcome, now: datetime, fmt: str = MINUTES
) -> list[Line]:
    """The same labelled lines for one rule's verdict that is not (or not yet) a stored
    violation — the order page's 判定说明: the rule, start, breach deadline, completion, verdict
    and what a breach costs, from the engine's outcome instead of its bilingual dump."""
    if outcome.why is None:
        return []
    rule, tz, _how_text, reasons = outcome.why
    start, deadline, done = outcome.started_at, outcome.deadline, outcome.satisfied_at
    start_text = local_time(start, fmt) if start else "—"
    if start and rule.start:
        start_text += translate(
            locale, " (from %(what)s)", what=translate(locale, _START[rule.start])
        )
    how = _how(locale, rule, start.astimezone(tz).date()) if start else ""
    deadline_text = (local_time(deadline, fmt) if deadline else "—") + (
        translate(locale, " (%(how)s)", how=how) if how and deadline else ""
    )
    done_what = translate(locale, _DONE[rule.satisfied_by])
    if done is not None:
        done_text = f"{done_what} {local_time(done, fmt)}"
    else:
        done_text = translate(locale, "%(what)s: none yet", what=done_what)
    lines = [
        Line("rule", translate(locale, "Rule"), rule.label(locale or "")),
        Line("start", translate(locale, "Start"), start_text),
    ]
    if outcome.unseen_fact_at is not None:
        lines.append(
            Line(
                "unseen",
                translate(locale, "Not yet happened"),
                translate(
                    locale,
                    "%(at)s (after the time judged at, not counted yet)",
                    at=local_time(outcome.unseen_fact_at, fmt),
                ),
            )
        )
    lines += [
        Line("deadline", translate(locale, "Breach deadline"), deadline_text),
        Line("done", translate(locale, "Completion"), done_text),
        Line("verdict", translate(locale, "Verdict"), _outcome_verdict(locale, outcome, now)),
    ]
    if outcome.late:
        lines.append(
            Line("consequences", translate(locale, "Consequences"), _outcome_cost(locale, outcome))
        )
    lines.extend(Line("exemption", translate(locale, "Exemption"), r) for r in reasons)
    return lines


def _outcome_verdict(locale: str | None, o: RuleOutcome, now: datetime) -> str:
    if o.deadline is None:
        return translate(locale, "No deadline yet: the start has not happened")
    if o.late:
        late = (o.satisfied_at or now) - o.deadline
        text = translate(locale, "Late by %(span)s", span=span(locale, late))
        if o.exempt:
            text += translate(locale, "; exempt")
        return text
    if o.satisfied_at is not None:
        return translate(
            locale,
            "On time, %(span)s before the deadline",
            span=span(locale, o.deadline - o.satisfied_at),
        )
    return translate(locale, "Not late yet: %(span)s left", span=span(locale, o.deadline - now))


def _outcome_cost(locale: str | None, o: RuleOutcome) -> str:
    """What the rule books for this breach (the fine before the shop's caps), money formatted."""
    parts = [
        f"{label(locale, 'ledger_kind', kind)} {yuan(amount)}"
        for kind, amount in (
            ("compensation", o.compensation),
            ("fine", o.fine_due),
            ("refund", o.auto_refund),
        )
        if amount
    ]
    if o.points:
        parts.append(translate(locale, "%(n)s points", n=points_text(o.points)))
    if not parts:
        return translate(locale, "Nothing booked.")
    return translate(locale, ", ").join(parts)


def labelled(locale: str | None, line: Line) -> str:
    """One labelled line as plain text: '起算：…' in Chinese, 'Start: …' in English."""
    return translate(locale, "%(label)s: %(text)s", label=line.label, text=line.text)


def shipment_text(
    locale: str | None, e: ShipmentExplanation, now: datetime, fmt: str = MINUTES
) -> list[str]:
    """`lanshou explain` for one shipment, in ``locale``: the shipment, each rule's labelled
    lines (as the order page shows them), the stored violations, the money booked and the
    assumed figures of the judged rules."""
    out = [
        translate(
            locale,
            "Shipment #%(id)s · order %(order)s (shipment key %(key)s, rules %(profile)s)",
            id=e.shipment_id,
            order=e.order_external_id,
            key=e.shipment_key,
            profile=e.profile,
        )
    ]
    for outcome in e.outcomes:
        out.append("")
        out.extend(f"  {labelled(locale, line)}" for line in explain_outcome(locale, outcome, now))
    rules = {v.id: v.rule_id for v in e.violations}
    if e.violations:
        out.append("")
        out.append(translate(locale, "Recorded violations:"))
        out.extend(
            "  "
            + translate(
                locale,
                "#%(id)s %(rule)s · %(state)s · breach deadline %(deadline)s",
                id=v.id,
                rule=e.rules.rule_label(v.rule_id, locale or ""),
                state=label(locale, "violation_state", v.state),
                deadline=local_time(v.deadline, fmt),
            )
            for v in e.violations
        )
    if e.ledger:
        out.append(translate(locale, "Money booked:"))
        for entry in e.ledger:
            rule_id = rules.get(entry.violation_id or 0, "")
            note = ledger_note(locale, entry, rule_id, e.rules.rule_label(rule_id, locale or ""))
            parts = [money(entry.amount_fen)] if entry.amount_fen else []
            if entry.points:
                # A points entry's note already says 扣分 / Points: the number alone follows.
                n = points_text(entry.points)
                parts.append(
                    n if entry.kind == "points" else translate(locale, "%(n)s points", n=n)
                )
            amounts = translate(locale, ", ").join(parts)
            out.append(f"  #{entry.id} {note} {amounts}".rstrip())
    assumed = e.assumed(locale)
    if assumed:
        out.append("")
        out.append(translate(locale, "Assumed figures (no source gives them):"))
        out.extend(f"  {line}" for line in assumed)
    return out
