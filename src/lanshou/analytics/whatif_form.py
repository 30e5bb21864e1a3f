"""What-if for the shop owner: one plain question (a rule's hours, or switching one carrier for
another) over the owner's shops and a period, answered against the losses page's figures.

The baseline is the losses page's net loss of the same shops and period (what was booked, minus
what appeals recovered). The engine replays the period's shipments as they are and with the
change; only the difference is added to the baseline. Violations an appeal reversed are left
out of both replays: the appeal's argument stands whatever the rule, so a change neither books
them again nor "saves" money that was already recovered.

A violation belongs to the period holding its deadline (Beijing date), as on the losses page,
so the replay reads orders paid up to :data:`LOOKBACK_DAYS` before the period too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Platform, Shop, Violation
from lanshou.analytics.losses import loss_breakdowns
from lanshou.analytics.period import Period, local_day
from lanshou.analytics.whatif import (
    Change,
    apply_changes,
    carrier_latencies,
    export_facts,
    late_charges,
    swap_carrier,
)
from lanshou.domain.rules.profile import DurationUnit, Profile
from lanshou.domain.violations import ViolationState
from lanshou.enforcement import RulesContext, approved_exemptions
from lanshou.errors import InvalidInput
from lanshou.identity import Scope

LOOKBACK_DAYS = 30
MAX_HOURS = Decimal(720)
KINDS = ("rule", "carrier")
_CARRIER_COLUMN = 12  # of :data:`lanshou.analytics.whatif.COLUMNS`


@dataclass(frozen=True)
class Scenario:
    kind: str  # "rule": set ``rule_id``'s hours; "carrier": ship ``carrier_from``'s parcels by
    rule_id: str = ""  # ``carrier_to`` instead, with its observed pickup times
    hours: Decimal | None = None
    carrier_from: str = ""
    carrier_to: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput("kind is rule or carrier", field="kind")
        if self.kind == "rule":
            if not self.rule_id:
                raise InvalidInput("choose a rule", field="rule")
            if self.hours is None or not Decimal(0) < self.hours <= MAX_HOURS:
                raise InvalidInput("hours must be more than 0 and at most 720", field="hours")
        elif not self.carrier_from or not self.carrier_to:
            raise InvalidInput("choose both carriers", field="carrier")
        elif self.carrier_from == self.carrier_to:
            raise InvalidInput("choose two different carriers", field="carrier_same")


@dataclass
class ShopOutcome:
    shop_id: int
    name: str
    base_fen: int  # the losses page's net loss
    base_violations: int = 0
    changed_violations: int = 0
    delta_fen: int = 0

    @property
    def changed_fen(self) -> int:
        return self.base_fen + self.delta_fen

    @property
    def violations_delta(self) -> int:
        return self.changed_violations - self.base_violations


@dataclass
class WhatIfResult:
    period: Period
    shops: list[ShopOutcome] = field(default_factory=list)

    @property
    def base_fen(self) -> int:
        return sum(s.base_fen for s in self.shops)

    @property
    def changed_fen(self) -> int:
        return sum(s.changed_fen for s in self.shops)

    @property
    def delta_fen(self) -> int:
        return self.changed_fen - self.base_fen


@dataclass(frozen=True)
class RuleChoice:
    rule_id: str
    label_zh: str
    label_en: str
    hours: Decimal  # today's


def rule_choices(session: Session, ctx: RulesContext, scope: Scope) -> list[RuleChoice]:
    """Rules counted in hours on the profiles of the caller's shops (first profile's label)."""
    seen: dict[str, RuleChoice] = {}
    for name in _profiles(session, scope):
        for rule in ctx.profile(name).rules:
            d = rule.duration
            if d is not None and d.unit != DurationUnit.WORKING_DAYS and rule.id not in seen:
                seen[rule.id] = RuleChoice(rule.id, rule.label_zh, rule.label_en, d.hours)
    return list(seen.values())


def carrier_choices(session: Session) -> list[tuple[str, str, str | None]]:
    """(code, Chinese name, English name) of every carrier, by code."""
    return [
        (c, zh, en)
        for c, zh, en in session.execute(
            select(Carrier.code, Carrier.name_zh, Carrier.name_en).order_by(Carrier.code)
        )
    ]


def _profiles(session: Session, scope: Scope) -> dict[str, list[tuple[int, str, str | None]]]:
    """The scope's shops by rules profile: (id, name, origin province)."""
    q = select(Shop.id, Shop.name, Shop.origin_province, Platform.profile).join(
        Platform, Platform.id == Shop.platform_id
    )
    if scope.shop_ids is not None:
        q = q.where(Shop.id.in_(sorted(scope.shop_ids) or [-1]))
    out: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    for shop_id, name, province, profile in session.execute(q.order_by(Shop.id)):
        out[profile].append((shop_id, name, province))
    return out


def _reversed(session: Session, shop_ids: list[int]) -> set[tuple[str, str]]:
    """(shipment key as exported, rule) of violations an appeal reversed."""
    rows = session.execute(
        select(Violation.shipment_id, Violation.rule_id).where(
            Violation.shop_id.in_(shop_ids or [-1]),
            Violation.state == ViolationState.REVERSED.value,
        )
    )
    return {(str(sid), rule) for sid, rule in rows}


def _charges(
    charges: list[tuple[int, str, str, datetime, int]],
    period: Period,
    skip: set[tuple[str, str]],
) -> dict[int, tuple[int, int]]:
    """Per shop: (violations, fen) whose deadline falls in the period, leaving out ``skip``."""
    out: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for shop, key, rule, deadline, fen in charges:
        if (key, rule) in skip or not period.first <= local_day(deadline) <= period.last:
            continue
        n, money = out[shop]
        out[shop] = (n + 1, money + fen)
    return out


def _changed_profile(profile: Profile, scenario: Scenario) -> Profile | None:
    """The profile with the scenario's rule change; None when it has no such rule."""
    if scenario.kind != "rule" or all(r.id != scenario.rule_id for r in profile.rules):
        return None
    assert scenario.hours is not None
    return apply_changes(profile, [Change(scenario.rule_id, "hours", scenario.hours)])


def run_whatif(
    session: Session,
    ctx: RulesContext,
    scope: Scope,
    now: datetime,
    period: Period,
    scenario: Scenario,
) -> WhatIfResult:
    """The scenario over the scope's shops: the losses page's figures, and the same with the
    change (see the module's description)."""
    profiles = _profiles(session, scope)
    if scenario.kind == "rule" and not any(
        _changed_profile(ctx.profile(n), scenario) for n in profiles
    ):
        raise InvalidInput(f"no profile of these shops has rule {scenario.rule_id!r}", field="rule")
    losses = loss_breakdowns(session, scope, period, ("shop",), now=now)["shop"]
    replay = Period(period.first - timedelta(days=LOOKBACK_DAYS), period.last)
    exemptions = approved_exemptions(session)
    result = WhatIfResult(period)
    pools: dict[str, list[float]] = {}
    for name, shops in profiles.items():
        profile = ctx.profile(name)
        ids = [shop_id for shop_id, _, _ in shops]
        rows = export_facts(session, profile, replay, ids)
        skip = _reversed(session, ids)
        base = _charges(late_charges(rows, profile, ctx, exemptions, now), period, skip)
        changed_profile = _changed_profile(profile, scenario)
        if scenario.kind == "carrier":
            province = {shop_id: p for shop_id, _, p in shops}
            shop_of = {r[0]: int(r[2]) for r in rows}
            changed_rows = [
                swap_carrier(
                    r,
                    scenario.carrier_to,
                    _pool(session, pools, scenario, province[shop_of[r[0]]]),
                    now,
                )
                if r[_CARRIER_COLUMN] == scenario.carrier_from
                else r
                for r in rows
            ]
            changed = _charges(
                late_charges(changed_rows, profile, ctx, exemptions, now), period, skip
            )
        elif changed_profile is not None:
            changed = _charges(
                late_charges(rows, changed_profile, ctx, exemptions, now), period, skip
            )
        else:
            changed = base
        for shop_id, shop_name, _ in shops:
            outcome = ShopOutcome(
                shop_id, shop_name, losses[shop_id].net if shop_id in losses else 0
            )
            (outcome.base_violations, base_fen) = base[shop_id]
            (outcome.changed_violations, changed_fen) = changed[shop_id]
            outcome.delta_fen = changed_fen - base_fen
            result.shops.append(outcome)
    return result


def _pool(
    session: Session, pools: dict[str, list[float]], scenario: Scenario, province: str | None
) -> list[float]:
    """The new carrier's observed pickup latencies from the shop's province (cached)."""
    key = province or ""
    if key not in pools:
        pools[key] = carrier_latencies(session, scenario.carrier_to, key)
    if not pools[key]:
        raise InvalidInput(
            f"no picked-up {scenario.carrier_to} shipments from {key or '?'} to learn from",
            field="carrier_pool",
            carrier=scenario.carrier_to,
            province=key,
        )
    return pools[key]
