"""`lanshou check`'s inputs besides the export: declared events from a file, and the CLI's
profiles (built-in plus LANSHOU_RULES_DIR)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lanshou.domain.rules import Exemption
from lanshou.enforcement.exemption_file import load_exemptions_file
from lanshou.entrypoints.cli.app import app
from lanshou.errors import InvalidInput

CST = timezone(timedelta(hours=8))
BUILTIN = Path(__file__).parents[3] / "src/lanshou/rules/douyin.yaml"


def test_an_events_file_in_the_api_format_becomes_approved_events(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        json.dumps(
            [
                {
                    "starts_at": "2026-03-02T00:00:00+08:00",
                    "ends_at": "2026-03-06T00:00:00+08:00",
                    "reason": "台风 ",
                    "effect": "extend",
                    "provinces": ["广东"],
                    "carrier_codes": ["sf"],
                },
                {
                    "starts_at": "2026-04-01T00:00:00Z",
                    "ends_at": "2026-04-02T00:00:00Z",
                    "reason": "系统故障",
                },
            ]
        ),
        "utf-8",
    )
    assert load_exemptions_file(path) == [
        Exemption(
            "event-1",
            "platform_event",
            datetime(2026, 3, 2, tzinfo=CST),
            datetime(2026, 3, 6, tzinfo=CST),
            mode="extend",
            provinces=frozenset({"广东"}),
            carriers=frozenset({"sf"}),
            reason="台风",
        ),
        Exemption(
            "event-2",
            "platform_event",
            datetime(2026, 4, 1, tzinfo=UTC),
            datetime(2026, 4, 2, tzinfo=UTC),
            reason="系统故障",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- {starts_at: '2026-03-02T00:00:00', ends_at: '2026-03-03T00:00:00+08:00', reason: x}",
            "entry 1: starts_at: '2026-03-02T00:00:00' needs an offset",
        ),
        (
            "- {starts_at: '2026-03-03T00:00:00+08:00', ends_at: '2026-03-02T00:00:00+08:00', "
            "reason: x}",
            "entry 1: ends_at must be after starts_at",
        ),
        (
            "- {starts_at: '2026-03-02T00:00:00+08:00', ends_at: '2026-03-03T00:00:00+08:00', "
            "reason: x, shop: s1}",
            "entry 1: unknown key(s) shop",
        ),
        ("{reason: x}", "give a list of exemptions"),
    ],
)
def test_a_bad_events_file_says_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_exemptions_file(path)
    assert message in str(caught.value)


def test_the_cli_reads_an_operators_profile_from_lanshou_rules_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A custom profile name is known, and a custom douyin.yaml replaces the built-in one."""
    rules = tmp_path / "rules"
    rules.mkdir()
    fast = (
        BUILTIN.read_text("utf-8")
        .replace("name: douyin", "name: fast", 1)
        .replace(
            "duration: {hours: 48, unit: calendar_hours}",
            "duration: {hours: 12, unit: calendar_hours}",
        )
    )
    (rules / "fast.yaml").write_text(fast, "utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,shipped_at\nA1,s1,2026-03-02 10:00,50.00,"
        "2026-03-03 08:00\n",
        "utf-8",
    )
    monkeypatch.setenv("LANSHOU_RULES_DIR", str(rules))
    monkeypatch.delenv("LANSHOU_SECRET_KEY", raising=False)
    args = ["check", "--orders", str(orders), "--now", "2026-03-10T00:00:00+08:00", "--json"]

    fast_run = CliRunner().invoke(app, [*args, "--profile", "fast"])
    builtin_run = CliRunner().invoke(app, [*args, "--profile", "douyin"])

    assert fast_run.exit_code == 0, fast_run.output
    assert json.loads(fast_run.output)["summary"]["violations"]["ship_timeout"] == 1
    assert json.loads(builtin_run.output)["summary"]["violations"]["ship_timeout"] == 0


def test_the_check_command_speaks_lang_else_the_default_locale_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,shipped_at,buyer_phone\n"
        "A1,s1,2026-03-02 10:00,50.00,2026-03-03 08:00,12\n",
        "utf-8",
    )
    args = ["check", "--orders", str(orders), "--now", "2026-03-10T00:00:00+08:00"]
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)
    zh = CliRunner().invoke(app, args)
    en = CliRunner().invoke(app, [*args, "--lang", "en"])
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    by_setting = CliRunner().invoke(app, args)
    assert zh.exit_code == en.exit_code == by_setting.exit_code == 0, zh.output
    assert zh.stdout.splitlines()[2:4] == ["  发货超时  0", "  揽收超时  1"]
    assert zh.stdout.splitlines()[5] == (
        "注意：1 单的买家手机号末尾不足 4 位数字（被打码或位数不够），已导入但不记手机尾号"
    )
    assert en.stdout.splitlines()[2:4] == ["  Late shipment   0", "  Pickup timeout  1"]
    assert by_setting.stdout == en.stdout


def test_the_check_command_lists_refused_rows_and_their_file_in_the_reader_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,shipped_at\n"
        "A1,s1,2026-03-02 10:00,50.00,2026-03-03 08:00\n"
        "A2,s1,2026-02-30 10:00,50.00,\n"
        "A3,s1,2026-03-02 10:00,2.5.0,\n",
        "utf-8",
    )
    args = ["check", "--orders", str(orders), "--now", "2026-03-10T00:00:00+08:00"]
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)
    zh = CliRunner().invoke(app, args)
    en = CliRunner().invoke(app, [*args, "--lang", "en"])
    assert zh.exit_code == en.exit_code == 0, zh.output
    rejects = tmp_path / "orders.csv.rejects.csv"
    assert zh.stdout.splitlines()[5:9] == [
        f"无法读取的行已写入：{rejects}",
        "无法读取的行：2",
        f"  {orders} 第 3 行：paid_at：不是有效时间（该月没有这一天）",
        f"  {orders} 第 4 行：amount：「2.5.0」不是金额",
    ]
    assert en.stdout.splitlines()[5:9] == [
        f"unreadable rows written to: {rejects}",
        "Unreadable rows: 2",
        f"  {orders}, row 3: paid_at: is not a time (day is out of range for month)",
        f"  {orders}, row 4: amount: '2.5.0' is not an amount",
    ]
