"""The assumed figures of a profile in people's words, for `explain`, the appeal page and the
profile listing: which figure, its value, and what the guess rests on (the profile's text).

One implementation for the page and the CLI, worded per language: Chinese punctuation and money
as ¥ in zh-CN (``≤ ¥3.00：¥0.00；< ¥300.00：¥3.00``), English punctuation in en."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lanshou.domain.rules.assumptions import Assumption, AssumptionKind, assumptions
from lanshou.domain.rules.profile import Compensation, Duration, DurationUnit, Profile
from lanshou.i18n import N_, translate
from lanshou.i18n.format import yuan

__all__ = [
    "DURATION_UNITS",
    "KIND_LABELS",
    "assumption_lines",
    "describe_assumption",
    "figure_text",
    "number",
]

KIND_LABELS = {
    AssumptionKind.PROFILE: N_("Profile"),
    AssumptionKind.RULE: N_("Deadline"),
    AssumptionKind.OVERRIDE: N_("Holiday window"),
    AssumptionKind.COMPENSATION: N_("Compensation tiers"),
    AssumptionKind.FINE: N_("Fine"),
    AssumptionKind.POINTS: N_("Points"),
    AssumptionKind.AUTO_REFUND: N_("Automatic refund after the deadline"),
    AssumptionKind.REGION: N_("Remote region"),
    AssumptionKind.APPEAL: N_("Appeal settings"),
}

DURATION_UNITS = {
    DurationUnit.CALENDAR_HOURS: N_("%(n)s h"),
    DurationUnit.WORKING_HOURS: N_("%(n)s working hours"),
    DurationUnit.WORKING_DAYS: N_("%(n)s working days"),
}


def number(value: Decimal | int) -> str:
    """72, 0.1, 2.5: a figure as written, without trailing zeros or an exponent."""
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")


def _tiers(comp: Compensation, locale: str | None) -> str:
    def t(msgid: str, **params: object) -> str:
        return translate(locale, msgid, **params)

    parts = []
    for tier in comp.tiers:
        if tier.fixed is not None:
            value = yuan(tier.fixed)
        else:
            limits = []
            if tier.min is not None:
                limits.append(t("at least %(money)s", money=yuan(tier.min)))
            if tier.max is not None:
                limits.append(t("at most %(money)s", money=yuan(tier.max)))
            value = f"{number(tier.percent or Decimal(0))}%"
            if limits:
                value = t("%(value)s (%(limits)s)", value=value, limits=t(", ").join(limits))
        if tier.up_to is not None:
            value = t("%(bound)s: %(value)s", bound=f"≤ {yuan(tier.up_to)}", value=value)
        elif tier.below is not None:
            value = t("%(bound)s: %(value)s", bound=f"< {yuan(tier.below)}", value=value)
        parts.append(value)
    return t("; ").join(parts)


def figure_text(item: Assumption, locale: str | None) -> str:
    """The assumed figure in ``locale``: '72 小时' / '72 h', '¥10.00', the tiers with ¥ …"""
    value: Any = item.value
    if value is None:
        return item.figure
    match item.kind:
        case AssumptionKind.RULE if isinstance(value, Duration):
            return translate(locale, DURATION_UNITS[value.unit], n=number(value.hours))
        case AssumptionKind.AUTO_REFUND:
            return translate(locale, "%(n)s h", n=number(value))
        case AssumptionKind.OVERRIDE:
            first, last = value
            return translate(
                locale, "%(first)s to %(last)s", first=first.isoformat(), last=last.isoformat()
            )
        case AssumptionKind.COMPENSATION if isinstance(value, Compensation):
            return _tiers(value, locale)
        case AssumptionKind.FINE:
            return yuan(value)
        case AssumptionKind.POINTS:
            return translate(locale, "%(n)s points", n=number(value))
        case AssumptionKind.APPEAL:
            return translate(locale, "%(n)s days", n=number(value))
    return item.figure


def describe_assumption(
    item: Assumption, profile: Profile, locale: str | None, with_basis: bool = True
) -> str:
    """One line: the rule and figure, its value, and what the assumption rests on (the
    profile's own note, for `explain`, not for the merchant's pages; it is the profile file's
    text, so a Chinese line quotes it rather than running it into its own sentence)."""
    what = translate(locale, KIND_LABELS[item.kind])
    if item.rule_id is not None:
        what = f"{profile.rule_label(item.rule_id, locale or '')} · {what}"
    figure = figure_text(item, locale)
    if not with_basis:
        return translate(
            locale, "%(what)s: %(figure)s, assumed (no source gives it)", what=what, figure=figure
        )
    return translate(
        locale,
        "%(what)s: %(figure)s, assumed (no source gives it): %(basis)s",
        what=what,
        figure=figure,
        basis=item.source,
    )


def assumption_lines(
    profile: Profile,
    locale: str | None,
    rule_ids: Iterable[str] | None = None,
    with_basis: bool = True,
) -> list[str]:
    """The assumed figures of `profile` (all rules, or only `rule_ids`), one line each."""
    return [
        describe_assumption(a, profile, locale, with_basis) for a in assumptions(profile, rule_ids)
    ]
