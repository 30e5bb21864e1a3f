"""Which deadlines are pickup deadlines: profile data (`Rule.awaits_pickup`), not a rule id in code.

A rule id means different things in different profiles (``fake_shipment`` is pinduoduo's pickup
rule), so a pickup deadline or violation is picked by its (profile, rule id) pair.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, ColumnExpressionArgument, select, tuple_
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Platform
from lanshou.domain.rules.errors import ProfileError
from lanshou.enforcement import RulesContext

PickupRules = frozenset[tuple[str, str]]


def pickup_rule_keys(session: Session, rules: RulesContext) -> PickupRules:
    """(profile, rule id) of every rule whose deadline waits for the carrier's first pickup scan
    (`Rule.awaits_pickup`), in the profiles the platforms use."""
    names = session.execute(select(Platform.profile).distinct()).scalars().all()
    return frozenset(
        (name, rule_id) for name in names for rule_id in rules.profile(name).pickup_rule_ids
    )


def among_pickup_rules(
    profile: ColumnExpressionArgument[str],
    rule_id: ColumnExpressionArgument[str],
    keys: PickupRules,
) -> ColumnElement[bool]:
    """SQL: the row's (profile, rule id) is one of ``keys`` (from :func:`pickup_rule_keys`),
    e.g. ``among_pickup_rules(Deadline.profile, Deadline.rule_id, keys)``."""
    return tuple_(profile, rule_id).in_(sorted(keys))


def one_pickup_rule_per_profile(keys: PickupRules) -> PickupRules:
    """``keys``, refused if a profile has more than one pickup rule: the pickup scorecards join
    each shipment to its one pickup deadline and violation, and two would count it twice."""
    per_profile: dict[str, list[str]] = defaultdict(list)
    for profile, rule_id in keys:
        per_profile[profile].append(rule_id)
    for profile, rule_ids in sorted(per_profile.items()):
        if len(rule_ids) > 1:
            raise ProfileError(
                f"profile {profile!r}: rules {sorted(rule_ids)} all wait for the first pickup "
                "scan; the pickup scorecards allow one such rule per profile"
            )
    return keys
