"""`lanshou explain` prints the labelled lines the order page shows (起算 / 违规截止 / 完成 /
结论 / 后果), local times and money as people write them, in one language: Chinese by
default, English with `--lang en` or the LANSHOU_DEFAULT_LOCALE setting (issue #15)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.entrypoints.cli import rules
from lanshou.errors import InvalidInput
from lanshou.settings import get_settings
from tests.integration.analytics.world import analytics_cli, build
from tests.unit.rules.test_rule_sources import REFUND_BASIS, TIERS_BASIS, TIERS_EN, TIERS_ZH

NOW = "2026-11-06T12:00:00+08:00"


@pytest.fixture
def cli(
    db_engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[typer.Typer]:
    build(sessions)
    with analytics_cli(db_engine, monkeypatch) as app:
        rules.register(app)
        yield app


ZH = [
    "包裹 #14 · 订单 O013（包裹键 O013，规则 douyin）",
    "",
    "  规则：发货超时",
    "  起算：2026-11-02 09:31（自付款起算）",
    "  违规截止：2026-11-04 09:31（平台给出的该订单截止时间）",
    "  完成：已发货 2026-11-02 10:31",
    "  结论：按时完成，比截止早 1天23小时",
    "",
    "  规则：揽收超时",
    "  起算：2026-11-02 10:31（自发货起算）",
    "  违规截止：2026-11-03 10:31（起算后 24 个自然小时）",
    "  完成：首次揽收扫描 2026-11-03 12:31",
    "  结论：超时 2小时00分",
    "  后果：赔付 ¥3.00、罚款 ¥10.00、0.1分",
    "",
    "已记录的违规：",
    "  #1 揽收超时 · 已确认 · 违规截止 2026-11-03 10:31",
    "资金流水：",
    "  #1 揽收超时 · 赔付 ¥3.00",
    "  #5 揽收超时 · 罚款 ¥10.00",
    "  #6 揽收超时 · 扣分 0.1",
    "",
    "假设的数值（无来源）：",
]
EN = [
    "Shipment #14 · order O013 (shipment key O013, rules douyin)",
    "",
    "  Rule: Late shipment",
    "  Start: 2026-11-02 09:31 (from payment)",
    "  Breach deadline: 2026-11-04 09:31 (the platform's own deadline for this order)",
    "  Completion: Shipped 2026-11-02 10:31",
    "  Verdict: On time, 1d 23h before the deadline",
    "",
    "  Rule: Pickup timeout",
    "  Start: 2026-11-02 10:31 (from shipping)",
    "  Breach deadline: 2026-11-03 10:31 (24 hours after the start)",
    "  Completion: First pickup scan 2026-11-03 12:31",
    "  Verdict: Late by 2h 00m",
    "  Consequences: Compensation ¥3.00, Fine ¥10.00, 0.1 points",
    "",
    "Recorded violations:",
    "  #1 Pickup timeout · Confirmed · breach deadline 2026-11-03 10:31",
    "Money booked:",
    "  #1 Pickup timeout · Compensation ¥3.00",
    "  #5 Pickup timeout · Fine ¥10.00",
    "  #6 Pickup timeout · Points 0.1",
    "",
    "Assumed figures (no source gives them):",
]


def _explain(app: typer.Typer, *extra: str) -> list[str]:
    out = CliRunner().invoke(app, ["explain", "O013", "--now", NOW, *extra])
    assert out.exit_code == 0, out.output
    return out.output.splitlines()


def test_explain_prints_the_order_page_s_labelled_lines_in_chinese_by_default(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)
    get_settings.cache_clear()
    lines = _explain(cli)
    assert lines[: len(ZH)] == ZH
    # the assumed figures of both judged rules follow, then one blank line ends the shipment
    assert len(lines) == len(ZH) + 3 and lines[-1] == ""
    # worded in Chinese (full-width punctuation, money as ¥), the profile's own note quoted
    assert lines[len(ZH) : len(ZH) + 2] == [
        f"  发货超时 · 赔付档位：{TIERS_ZH}，为假设值（无来源）。规则文件原注：“{TIERS_BASIS}”",
        f"  揽收超时 · 超时后自动退款：72 小时，为假设值（无来源）。规则文件原注：“{REFUND_BASIS}”",
    ]
    assert _explain(cli, "--lang", "zh-CN") == lines


def test_explain_in_english_with_lang_en_or_the_default_locale_setting(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _explain(cli, "--lang", "en")
    assert lines[: len(EN)] == EN
    assert len(lines) == len(EN) + 3 and lines[-1] == ""
    assert lines[len(EN) : len(EN) + 2] == [
        f"  Late shipment · Compensation tiers: {TIERS_EN}, assumed (no source gives it): "
        + TIERS_BASIS,
        "  Pickup timeout · Automatic refund after the deadline: 72 h, assumed (no source gives "
        "it): " + REFUND_BASIS,
    ]
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    assert _explain(cli) == lines


def test_explain_refuses_a_language_it_does_not_speak(cli: typer.Typer) -> None:
    out = CliRunner().invoke(cli, ["explain", "O013", "--now", NOW, "--lang", "fr"])
    assert isinstance(out.exception, InvalidInput)
    assert str(out.exception) == "--lang: 'fr' is not a language lanshou speaks; use zh_CN or en"
