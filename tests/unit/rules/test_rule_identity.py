"""What a rule is called and which event it waits for come from the profile, never from its id."""

from pathlib import Path

import pytest
from tests.new_rule_profile import LABEL_EN, LABEL_ZH, NAME, RULE_ID, write_profile

from lanshou.domain.rules import load_profile
from lanshou.domain.tracking import STATUSES


def test_a_rule_no_code_knows_is_named_in_both_languages(tmp_path: Path) -> None:
    profile = load_profile(NAME, (write_profile(tmp_path),))
    assert profile.rule(RULE_ID).label("zh_CN") == LABEL_ZH
    assert profile.rule(RULE_ID).label("en") == LABEL_EN
    assert profile.rule_label(RULE_ID, "en") == LABEL_EN
    assert profile.pickup_rule_ids == frozenset({RULE_ID})


def test_a_rule_the_profile_no_longer_has_is_shown_by_its_id() -> None:
    assert load_profile("douyin").rule_label("retired_rule", "zh_CN") == "retired_rule"


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("douyin", ["发货超时", "揽收超时"], ["Late shipment", "Pickup timeout"]),
        ("kuaishou", ["延迟发货"], ["Late shipment"]),
        (
            "pinduoduo",
            ["延迟发货", "虚假发货"],
            ["Late shipment", "Fake shipment (no pickup after the waybill upload)"],
        ),
    ],
)
def test_builtin_rules_are_named_by_their_profiles(name: str, zh: list[str], en: list[str]) -> None:
    profile = load_profile(name)
    assert [r.label("zh_CN") for r in profile.rules] == zh
    assert [r.label("en") for r in profile.rules] == en


@pytest.mark.parametrize(
    ("name", "pickup_rules"),
    [
        ("douyin", {"pickup_timeout"}),
        ("kuaishou", set()),
        ("olist", {"pickup_timeout"}),
        ("pinduoduo", {"fake_shipment"}),
        ("taobao", {"ship_timeout"}),  # 发货超时, judged by the pickup record
    ],
)
def test_the_pickup_rules_are_those_satisfied_by_the_first_pickup(
    name: str, pickup_rules: set[str]
) -> None:
    assert load_profile(name).pickup_rule_ids == pickup_rules


@pytest.mark.parametrize(
    ("name", "ship_by_rules"),
    [
        ("douyin", {"ship_timeout"}),
        ("kuaishou", {"ship_timeout"}),
        ("olist", {"pickup_timeout"}),  # the seller's shipping limit, counted from payment
        ("pinduoduo", {"ship_timeout"}),
        ("taobao", {"ship_timeout"}),
    ],
)
def test_the_ship_by_rules_are_those_counted_from_payment(
    name: str, ship_by_rules: set[str]
) -> None:
    assert load_profile(name).ship_by_rule_ids == ship_by_rules


def test_the_tracking_vocabulary_lists_the_journey_then_the_exception() -> None:
    assert STATUSES == (
        "created",
        "awaiting_pickup",
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "returned",
        "exception",
    )
