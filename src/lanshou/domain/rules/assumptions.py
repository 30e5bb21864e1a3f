"""The figures of a profile that no source gives (`assumed: true`), listed for people.

The explanation (`lanshou explain`), the appeal page and the profile listing (`lanshou rules`)
show them, so nobody takes a guess for a platform's published rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lanshou.domain.rules.profile import Compensation, Profile, Provenance, Rule

__all__ = ["Assumption", "AssumptionKind", "assumptions"]


class AssumptionKind(StrEnum):
    """Which figure of a profile an assumption is about (the listing words are per kind)."""

    PROFILE = "profile"
    RULE = "rule"
    OVERRIDE = "override"
    COMPENSATION = "compensation"
    FINE = "fine"
    POINTS = "points"
    AUTO_REFUND = "auto_refund"
    REGION = "region"
    APPEAL = "appeal"


@dataclass(frozen=True)
class Assumption:
    """One figure of a profile marked `assumed: true`: where it sits and what it rests on."""

    kind: AssumptionKind
    rule_id: str | None  # None for profile-wide figures (appeal settings, regions)
    figure: str  # the figure itself, language-neutral, e.g. "72 h"
    source: str
    # The figure as data, for wording it per language: the Duration of a deadline, the
    # override's (from, to) dates, the Compensation, the fine's amount, the points, the
    # auto-refund hours, the appeal window's days; the name itself for a profile or region.
    value: Any = field(default=None, compare=False)


def assumptions(profile: Profile, rule_ids: Iterable[str] | None = None) -> list[Assumption]:
    """Every figure marked `assumed: true`: profile-wide ones first, then those of the rules
    (all, or only `rule_ids`), in file order."""
    wanted = None if rule_ids is None else set(rule_ids)
    out = _profile_assumptions(profile)
    for rule in profile.rules:
        if wanted is None or rule.id in wanted:
            out.extend(_rule_assumptions(rule))
    return out


def _tiers_text(comp: Compensation) -> str:
    parts = []
    for t in comp.tiers:
        bound = (
            f"≤ {t.up_to}" if t.up_to is not None else f"< {t.below}" if t.below is not None else ""
        )
        if t.fixed is not None:
            value = str(t.fixed)
        else:
            value = f"{t.percent} %"
            value += f" ≥ {t.min}" if t.min is not None else ""
            value += f" ≤ {t.max}" if t.max is not None else ""
        parts.append(f"{bound}: {value}" if bound else value)
    return "; ".join(parts)


def _rule_assumptions(rule: Rule) -> list[Assumption]:
    """The assumed figures of one rule: its deadline, overrides and consequences."""
    found: list[tuple[AssumptionKind, str, Provenance | None, Any]] = [
        (
            AssumptionKind.RULE,
            f"{rule.duration.hours} h" if rule.duration else "",
            rule.provenance,
            rule.duration,
        )
    ]
    found += [
        (
            AssumptionKind.OVERRIDE,
            f"{ov.from_date}..{ov.to_date}",
            ov.provenance,
            (ov.from_date, ov.to_date),
        )
        for ov in rule.overrides
    ]
    cons = rule.consequences
    if cons.compensation is not None:
        found.append(
            (
                AssumptionKind.COMPENSATION,
                _tiers_text(cons.compensation),
                cons.compensation.provenance,
                cons.compensation,
            )
        )
    if cons.fine is not None:
        found.append(
            (AssumptionKind.FINE, str(cons.fine.amount), cons.fine.provenance, cons.fine.amount)
        )
    if cons.points is not None:
        found.append(
            (
                AssumptionKind.POINTS,
                str(cons.points.per_event),
                cons.points.provenance,
                cons.points.per_event,
            )
        )
    if cons.auto_refund_after_hours is not None:
        found.append(
            (
                AssumptionKind.AUTO_REFUND,
                f"{cons.auto_refund_after_hours} h",
                cons.auto_refund_provenance,
                cons.auto_refund_after_hours,
            )
        )
    return [
        Assumption(kind, rule.id, figure, p.source, value)
        for kind, figure, p, value in found
        if p is not None and p.assumed
    ]


def _profile_assumptions(profile: Profile) -> list[Assumption]:
    """The assumed profile-wide figures: the profile itself, remote regions, appeal settings."""
    found: list[tuple[AssumptionKind, str, Provenance, Any]] = [
        (AssumptionKind.PROFILE, profile.name, profile.provenance, profile.name)
    ]
    found += [(AssumptionKind.REGION, r.id, r.provenance, r.id) for r in profile.exemptions]
    if profile.appeal is not None:
        a = profile.appeal
        found.append((AssumptionKind.APPEAL, f"{a.window_days} d", a.provenance, a.window_days))
    return [
        Assumption(kind, None, figure, p.source, value)
        for kind, figure, p, value in found
        if p.assumed
    ]
