"""Rule figures say where they come from: a section of DOMAIN.md, or `assumed: true`; the
assumptions are listed in people's words (zh-CN and en) for explain, appeals and `lanshou rules`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from lanshou.domain.rules import ProfileError, known_profiles, load_profile
from lanshou.domain.rules.assumptions import Assumption, AssumptionKind, assumptions
from lanshou.domain.rules.loader import parse_profile
from lanshou.domain.rules.profile import Provenance
from lanshou.enforcement.assumptions import assumption_lines
from lanshou.entrypoints.cli.app import app

DOMAIN = Path("/work/shared/DOMAIN.md")
SECTIONS = set(re.findall(r"^## (\d+)\.", DOMAIN.read_text(encoding="utf-8"), re.MULTILINE))
TIERS = "≤ 3.00: 0.00; < 300.00: 3.00; 1 % ≤ 30.00"
# The same tiers as people read them (money as ¥), per language.
TIERS_EN = "≤ ¥3.00: ¥0.00; < ¥300.00: ¥3.00; 1% (at most ¥30.00)"
TIERS_ZH = "≤ ¥3.00：¥0.00；< ¥300.00：¥3.00；1%（最多 ¥30.00）"
REFUND_BASIS = (
    "no source gives a delay (DOMAIN.md §1: the buyer may be refunded automatically; the seed "
    "ties the refund to the timeout judgement); 72 h is assumed"
)
TIERS_BASIS = (
    "DOMAIN.md §3 gives these tiers for 揽收超时 (pickup timeout) only; applying them to 发货超时 "
    "is assumed"
)


def provenances(node: object, path: str = "") -> Iterator[tuple[str, Provenance]]:
    """Every provenance in a validated profile, with the key path that holds it."""
    if isinstance(node, Provenance):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from provenances(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from provenances(item, f"{path}[{i}]")


@pytest.mark.parametrize("name", known_profiles())
def test_every_built_in_figure_cites_a_domain_section_or_is_assumed(name: str) -> None:
    found = list(provenances(load_profile(name)))
    assert found
    for path, p in found:
        cited = {m for m in re.findall(r"DOMAIN\.md §(\d+)", p.source)}
        assert p.assumed or (cited and cited <= SECTIONS), f"{name}: {path}: {p.source!r}"


def test_the_two_unsourced_douyin_figures_are_assumed_and_the_pickup_tiers_are_cited() -> None:
    douyin = load_profile("douyin")
    ship, pickup = douyin.rule("ship_timeout"), douyin.rule("pickup_timeout")
    assert pickup.consequences.auto_refund_after_hours == 72
    assert pickup.consequences.auto_refund_provenance is not None
    assert pickup.consequences.auto_refund_provenance.assumed is True
    assert ship.consequences.compensation is not None
    assert ship.consequences.compensation.provenance.assumed is True
    assert pickup.consequences.compensation is not None
    assert pickup.consequences.compensation.provenance.assumed is False
    assert assumptions(douyin) == [
        Assumption(AssumptionKind.COMPENSATION, "ship_timeout", TIERS, TIERS_BASIS),
        Assumption(AssumptionKind.AUTO_REFUND, "pickup_timeout", "72 h", REFUND_BASIS),
    ]
    assert assumptions(douyin, ["pickup_timeout"]) == assumptions(douyin)[1:]


def test_an_assumed_figure_cannot_also_be_verified() -> None:
    text = load_profile_text("olist").replace(
        "verified: false}", "verified: true, assumed: true}", 1
    )
    with pytest.raises(ProfileError, match=r"olist\.yaml: provenance: Value error, an assumed"):
        parse_profile(text, "olist.yaml")


def load_profile_text(name: str) -> str:
    return (Path(__file__).parents[3] / "src/lanshou/rules" / f"{name}.yaml").read_text("utf-8")


def test_assumptions_read_in_both_languages() -> None:
    douyin = load_profile("douyin")
    assert assumption_lines(douyin, "en") == [
        f"Late shipment · Compensation tiers: {TIERS_EN}, assumed (no source gives it): "
        + TIERS_BASIS,
        "Pickup timeout · Automatic refund after the deadline: 72 h, assumed (no source gives "
        "it): " + REFUND_BASIS,
    ]
    # Chinese punctuation and wording; the profile file's own (English) note is quoted
    assert assumption_lines(douyin, "zh_CN") == [
        f"发货超时 · 赔付档位：{TIERS_ZH}，为假设值（无来源）。规则文件原注：“{TIERS_BASIS}”",
        f"揽收超时 · 超时后自动退款：72 小时，为假设值（无来源）。规则文件原注：“{REFUND_BASIS}”",
    ]
    assert assumption_lines(douyin, "zh_CN", ["pickup_timeout"], with_basis=False) == [
        "揽收超时 · 超时后自动退款：72 小时，为假设值（无来源）"
    ]
    assert assumption_lines(douyin, "en", ["ship_timeout"], with_basis=False) == [
        f"Late shipment · Compensation tiers: {TIERS_EN}, assumed (no source gives it)"
    ]


def test_the_profile_listing_shows_rules_and_assumptions() -> None:
    result = CliRunner().invoke(app, ["rules", "kuaishou", "--lang", "en"], env={})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "kuaishou — time zone Asia/Shanghai, calendar china",
        "  ship_timeout Late shipment: deadline 48 h after paid_at, met by shipped_at",
        "  Assumed figures (no source gives them):",
        "    Late shipment · Deadline: 48 h, assumed (no source gives it): DOMAIN.md §3 gives "
        "Kuaishou's late-shipment compensation but no ship-by window; 48 h is assumed",
    ]
    result = CliRunner().invoke(app, ["rules", "kuaishou"], env={})
    assert result.output.splitlines()[:3] == [
        "kuaishou — 时区 Asia/Shanghai，日历 china",
        "  ship_timeout 延迟发货 · 截止：paid_at 后 48 小时；以 shipped_at 为准",
        "  假设的数值（无来源）：",
    ]
    result = CliRunner().invoke(app, ["rules", "taobao"], env={})
    assert result.output.splitlines()[-1] == "  每个数值都注明了来源。"
    result = CliRunner().invoke(app, ["rules", "nosuch"], env={})
    assert result.exit_code == 2
