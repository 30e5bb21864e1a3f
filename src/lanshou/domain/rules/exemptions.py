"""Exemptions (豁免 / 报备): remote regions, platform-declared events, merchant force majeure.

Order of application for one rule of one shipment:
1. the profile's remote regions — `exclude` exempts, `extra_hours` pushes the deadline;
2. approved `Exemption`s whose window [valid_from, valid_to) meets the judged interval
   [started_at (or the deadline when unknown), deadline]: any `exempt` one exempts (lowest id
   wins); otherwise the `extend` one with the largest overlap pushes the deadline by that
   overlap. Overlapping declarations of one storm are not added up — only the largest counts.
Province matching is by prefix, so "新疆" covers "新疆维吾尔自治区".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from lanshou.domain.rules.calendar import HOUR_US, to_us
from lanshou.domain.rules.profile import Profile

__all__ = ["Exemption", "ExemptionResult", "apply_exemptions", "province_matches"]


def province_matches(province: str | None, listed: frozenset[str] | tuple[str, ...]) -> bool:
    return province is not None and any(province.startswith(p) for p in listed)


@dataclass(frozen=True)
class Exemption:
    """A platform-declared event or an approved merchant force-majeure report."""

    id: str
    kind: Literal["platform_event", "force_majeure"]
    valid_from: dt.datetime
    valid_to: dt.datetime
    mode: Literal["exempt", "extend"] = "exempt"
    provinces: frozenset[str] | None = None  # None: everywhere
    carriers: frozenset[str] | None = None  # lower-case carrier codes; None: all carriers
    shop_ids: frozenset[str] | None = None  # force majeure names the reporting shop
    rules: frozenset[str] | None = None  # None: every rule
    approved: bool = True
    reason: str = ""

    def __post_init__(self) -> None:
        if self.valid_to <= self.valid_from:
            raise ValueError(f"exemption {self.id}: valid_to must be after valid_from")
        if self.carriers is not None:
            object.__setattr__(self, "carriers", frozenset(c.lower() for c in self.carriers))

    def concerns(
        self, rule_id: str, shop_id: str, province: str | None, carrier: str | None
    ) -> bool:
        """Whether the exemption targets this rule, shop, province and carrier."""
        return (
            self.approved
            and (self.rules is None or rule_id in self.rules)
            and (self.shop_ids is None or shop_id in self.shop_ids)
            and (self.provinces is None or province_matches(province, tuple(self.provinces)))
            and (self.carriers is None or (carrier or "").lower() in self.carriers)
        )


@dataclass(frozen=True)
class ExemptionResult:
    deadline_us: int
    exempt: bool = False
    exemption_id: str | None = None
    reasons: list[str] = field(default_factory=list)


def apply_exemptions(
    rule_id: str,
    shop_id: str,
    province: str | None,
    carrier: str | None,
    started_us: int | None,
    deadline_us: int,
    profile: Profile,
    exemptions: tuple[Exemption, ...] | list[Exemption],
) -> ExemptionResult:
    """Apply remote regions and declared exemptions to one rule's deadline."""
    reasons: list[str] = []
    exemption_id: str | None = None
    for region in profile.exemptions:
        if region.rules is not None and rule_id not in region.rules:
            continue
        if not province_matches(province, tuple(region.provinces)):
            continue
        if region.exclude:
            reasons.append(f"remote region {region.id}: not judged / 偏远地区不考核")
            return ExemptionResult(deadline_us, True, region.id, reasons)
        assert region.extra_hours is not None
        deadline_us += int(region.extra_hours * HOUR_US)
        exemption_id = region.id
        reasons.append(f"remote region {region.id}: +{region.extra_hours} h / 偏远地区延长")
        break  # the first matching region applies, as in the SQL CASE
    lo = started_us if started_us is not None else deadline_us
    hits = [
        e
        for e in exemptions
        if e.concerns(rule_id, shop_id, province, carrier)
        and to_us(e.valid_from) <= deadline_us
        and to_us(e.valid_to) > lo
    ]
    exempting = sorted((e for e in hits if e.mode == "exempt"), key=lambda e: e.id)
    if exempting:
        e = exempting[0]
        reasons.append(f"{e.kind} {e.id}: exempt / 豁免 {e.reason}".rstrip())
        return ExemptionResult(deadline_us, True, e.id, reasons)
    best: tuple[int, str] | None = None
    for e in hits:
        overlap = min(to_us(e.valid_to), deadline_us) - max(to_us(e.valid_from), lo)
        if overlap > 0 and (best is None or (-overlap, e.id) < (-best[0], best[1])):
            best = (overlap, e.id)
    if best is not None:
        deadline_us += best[0]
        exemption_id = best[1]
        hours = best[0] / HOUR_US
        reasons.append(f"event {best[1]}: deadline +{hours:g} h / 报备延长")
    return ExemptionResult(deadline_us, False, exemption_id, reasons)
