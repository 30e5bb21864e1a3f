"""The assumed figures of a profile in people's words, for `explain`, the appeal page and the
profile listing: which figure, its value, and what the guess rests on (the profile's text)."""

from __future__ import annotations

from collections.abc import Iterable

from lanshou.domain.rules.assumptions import Assumption, AssumptionKind, assumptions
from lanshou.domain.rules.profile import Profile
from lanshou.i18n import N_, translate

__all__ = ["KIND_LABELS", "assumption_lines", "describe_assumption"]

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


def describe_assumption(
    item: Assumption, profile: Profile, locale: str | None, with_basis: bool = True
) -> str:
    """One line: the rule and figure, its value, and what the assumption rests on (the
    profile's own note, in English: for `explain`, not for the merchant's pages)."""
    what = translate(locale, KIND_LABELS[item.kind])
    if item.rule_id is not None:
        what = f"{profile.rule_label(item.rule_id, locale or '')} · {what}"
    if not with_basis:
        return translate(
            locale,
            "%(what)s: %(figure)s, assumed (no source gives it)",
            what=what,
            figure=item.figure,
        )
    return translate(
        locale,
        "%(what)s: %(figure)s, assumed (no source gives it): %(basis)s",
        what=what,
        figure=item.figure,
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
