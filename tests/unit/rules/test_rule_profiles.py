"""Profiles load, validate, and fail with messages naming file, key and reason."""

from decimal import Decimal
from pathlib import Path

import pytest

from lanshou.domain.rules import ProfileError, compensation_for, known_profiles, load_profile

BUILTINS = ["douyin", "kuaishou", "olist", "pinduoduo", "taobao"]


def test_all_builtin_profiles_load_and_are_unverified() -> None:
    assert known_profiles() == BUILTINS
    for name in BUILTINS:
        profile = load_profile(name)
        assert profile.name == name
        assert profile.provenance.verified is False
        assert all(r.provenance.verified is False for r in profile.rules)


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError) as exc:
        load_profile("jd")
    assert str(exc.value) == (
        "unknown profile 'jd'; known profiles: douyin, kuaishou, olist, pinduoduo, taobao"
    )


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (
        load_profile.__globals__["resources"]
        .files("lanshou.rules")
        .joinpath("douyin.yaml")
        .read_text(encoding="utf-8")
    )
    assert old in text
    (tmp_path / "douyin.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / "douyin.yaml"


def test_broken_duration_names_file_key_and_reason(tmp_path: Path) -> None:
    path = _broken(tmp_path, "duration: {hours: 24,", "duration: {hours: -1,")
    with pytest.raises(ProfileError) as exc:
        load_profile("douyin", [tmp_path])
    assert str(exc.value) == (f"{path}: rules[1].duration.hours: Input should be greater than 0")


def test_tiers_not_ascending_are_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, '{below: "300.00", fixed: "3.00"}', '{below: "2.00", fixed: "3.00"}')
    with pytest.raises(ProfileError) as exc:
        load_profile("douyin", [tmp_path])
    # Each rule states its own consequences (no shared YAML anchor): only the edited one fails.
    assert str(exc.value).splitlines() == [
        f"{path}: rules[0].consequences.compensation.tiers: "
        "Value error, tier bounds must ascend (tier 1)"
    ]


def test_unknown_pickup_status_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "[picked_up, in_transit", "[picked_upp, in_transit")
    with pytest.raises(ProfileError) as exc:
        load_profile("douyin", [tmp_path])
    assert str(exc.value).startswith(
        f"{path}: pickup_statuses: Value error, unknown statuses ['picked_upp']"
    )


def test_missing_provenance_and_bad_yaml(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("name: x\nrules: [\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"x\.yaml: line \d+: not valid YAML"):
        load_profile("x", [tmp_path])
    path = _broken(tmp_path, "    provenance: {source", "    provenancex: {source")
    with pytest.raises(ProfileError) as exc:
        load_profile("douyin", [tmp_path])
    assert f"{path}: rules[0].provenance: Field required" in str(exc.value)
    assert f"{path}: rules[0].provenancex: Extra inputs are not permitted" in str(exc.value)


def test_operator_dir_overrides_builtin_by_file_name(tmp_path: Path) -> None:
    _broken(tmp_path, "duration: {hours: 24,", "duration: {hours: 36,")
    profile = load_profile("douyin", [tmp_path])
    assert profile.rule("pickup_timeout").duration is not None
    assert profile.rule("pickup_timeout").duration.hours == Decimal(36)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("3.00", "0.00"),
        ("3.01", "3.00"),
        ("299.99", "3.00"),
        ("300.00", "3.00"),
        ("3000.00", "30.00"),
        ("3001.00", "30.00"),
        ("2999.49", "29.99"),
        ("1234.50", "12.35"),
    ],
)
def test_douyin_compensation_tiers(price: str, expected: str) -> None:
    comp = load_profile("douyin").rule("pickup_timeout").consequences.compensation
    assert comp is not None
    assert compensation_for(comp, Decimal(price)) == Decimal(expected)


@pytest.mark.parametrize(
    ("profile", "rule", "amount", "expected"),
    [
        ("taobao", "ship_timeout", "20.00", "5.00"),
        ("taobao", "ship_timeout", "123.45", "12.35"),
        ("taobao", "ship_timeout", "5000.00", "100.00"),
        ("kuaishou", "ship_timeout", "10.00", "5.00"),
        ("kuaishou", "ship_timeout", "250.00", "25.00"),
        ("kuaishou", "ship_timeout", "999.00", "30.00"),
        ("pinduoduo", "ship_timeout", "999.00", "3.00"),
        ("pinduoduo", "fake_shipment", "1.00", "20.00"),
    ],
)
def test_other_platforms_compensation(profile: str, rule: str, amount: str, expected: str) -> None:
    comp = load_profile(profile).rule(rule).consequences.compensation
    assert comp is not None
    assert compensation_for(comp, Decimal(amount)) == Decimal(expected)


def test_the_other_reviewer_rule_is_on_by_default_and_must_be_a_boolean(tmp_path: Path) -> None:
    assert load_profile("douyin").appeal.reconsideration_by_other_reviewer is True  # type: ignore[union-attr]
    path = _broken(
        tmp_path,
        "reconsideration_by_other_reviewer: true",
        "reconsideration_by_other_reviewer: maybe",
    )
    with pytest.raises(ProfileError) as exc:
        load_profile("douyin", [tmp_path])
    assert str(exc.value) == (
        f"{path}: appeal.reconsideration_by_other_reviewer: Input should be a valid boolean"
    )
    _broken(tmp_path, "  reconsideration_by_other_reviewer: true", "  # left out")
    assert load_profile("douyin", [tmp_path]).appeal.reconsideration_by_other_reviewer is True  # type: ignore[union-attr]
