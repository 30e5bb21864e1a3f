"""The pickup scorecards join each shipment to one pickup deadline: a profile with two pickup
rules is refused with an error that names it, instead of counting shipments twice."""

from __future__ import annotations

import pytest

from lanshou.analytics.pickup_rules import one_pickup_rule_per_profile
from lanshou.domain.rules.errors import ProfileError


def test_one_pickup_rule_per_profile_passes_the_keys_through() -> None:
    keys = frozenset({("douyin", "pickup_timeout"), ("pinduoduo", "fake_shipment")})
    assert one_pickup_rule_per_profile(keys) is keys


def test_a_profile_with_two_pickup_rules_is_refused_by_name() -> None:
    keys = frozenset({("douyin", "pickup_timeout"), ("cold", "b_pickup"), ("cold", "a_pickup")})
    with pytest.raises(ProfileError) as caught:
        one_pickup_rule_per_profile(keys)
    assert str(caught.value) == (
        "profile 'cold': rules ['a_pickup', 'b_pickup'] all wait for the first pickup scan; "
        "the pickup scorecards allow one such rule per profile"
    )
