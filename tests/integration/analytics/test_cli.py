"""`lanshou report --json` has exactly the documented keys; `--weekly` writes an HTML page with
SVG charts; `lanshou whatif` reports the difference per shop."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.settings import get_settings
from tests.integration.analytics.world import analytics_cli, build

NOW = "2026-11-06T12:00:00+08:00"


@pytest.fixture
def cli(
    db_engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[typer.Typer]:
    build(sessions)
    with analytics_cli(db_engine, monkeypatch) as app:
        yield app


def test_report_json_has_exactly_the_documented_keys(cli: typer.Typer) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "report",
            "--shop",
            "a",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-06",
            "--json",
            "--now",
            NOW,
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert list(data) == [
        "period",
        "shops",
        "compensation",
        "fines",
        "refunds",
        "recovered",
        "net_loss",
        "violations",
        "appeals",
        "by_carrier",
    ]
    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-06"}
    assert (
        data["compensation"],
        data["fines"],
        data["refunds"],
        data["recovered"],
        data["net_loss"],
    ) == ("6.00", "20.00", "0.00", "0.00", "26.00")
    assert list(data["appeals"]) == ["filed", "approved", "rejected", "pending"]
    assert list(data["by_carrier"][0]) == [
        "carrier",
        "shipments",
        "pickup_p50_hours",
        "pickup_p90_hours",
        "timeout_rate",
    ]


def test_the_weekly_report_is_html_with_svg_charts(cli: typer.Typer, tmp_path: Path) -> None:
    target = tmp_path / "week.html"
    out = CliRunner().invoke(
        cli, ["report", "--weekly", "--shop", "a", "--out", str(target), "--now", NOW]
    )
    assert out.exit_code == 0, out.output
    assert out.output == f"已写入 {target}\n"
    html = target.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "甜橙小铺" in html and "¥26.00" in html
    body = re.sub(r"<svg.*?</svg>", "<svg/>", html.split("<body>")[1])
    assert body == (
        '<h1>甜橙小铺 · 损失周报 2026-10-31 – 2026-11-06</h1><div class="cards">'
        '<div class="card">赔付<b>¥6.00</b></div><div class="card">罚款<b>¥20.00</b></div>'
        '<div class="card">自动退款<b>¥0.00</b></div>'
        '<div class="card">申诉挽回<b>¥0.00</b></div>'
        '<div class="card">净损失<b>¥26.00</b></div></div>'
        "<h2>每日损失（按类型）</h2><svg/><h2>揽收超时率（按快递）</h2><svg/>"
        "<h2>快递表现</h2><table><tr><th>快递公司</th><th>包裹数</th>"
        "<th>半数揽收用时（小时）</th><th>九成揽收用时（小时）</th><th>超时率</th></tr>"
        "<tr><td>顺丰</td><td>15</td><td>8.0</td><td>26.0</td><td>13.3%</td></tr></table>"
        "<h2>申诉</h2><p>已申诉 0 件，通过 0 件，驳回 0 件，处理中 0 件。</p>"
        "<p>违规：揽收超时 2</p>"
        "<p style='color:#7b8794'>净损失 = 赔付 + 罚款 + 自动退款 − 申诉挽回</p></body></html>"
    )
    out = CliRunner().invoke(
        cli,
        ["report", "--weekly", "--shop", "a", "--out", str(target), "--now", NOW, "--lang", "en"],
    )
    assert out.exit_code == 0, out.output
    assert out.output == f"wrote {target}\n"
    english = target.read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    body = re.sub(r"<svg.*?</svg>", "<svg/>", english.split("<body>")[1])
    assert body == (
        '<h1>甜橙小铺 · weekly losses 2026-10-31 – 2026-11-06</h1><div class="cards">'
        '<div class="card">Compensation<b>¥6.00</b></div>'
        '<div class="card">Fines<b>¥20.00</b></div>'
        '<div class="card">Automatic refunds<b>¥0.00</b></div>'
        '<div class="card">Recovered by appeal<b>¥0.00</b></div>'
        '<div class="card">Net loss<b>¥26.00</b></div></div>'
        "<h2>Daily losses by kind</h2><svg/><h2>Pickup timeout rate by carrier</h2><svg/>"
        "<h2>Carrier performance</h2><table><tr><th>Carrier</th><th>Shipments</th>"
        "<th>Half picked up within (hours)</th><th>Nine in ten picked up within (hours)</th>"
        "<th>Timeout rate</th></tr>"
        "<tr><td>SF</td><td>15</td><td>8.0</td><td>26.0</td><td>13.3%</td></tr></table>"
        "<h2>Appeals</h2><p>Appeals filed: 0, approved: 0, rejected: 0, pending: 0.</p>"
        "<p>Violations: Pickup timeout 2</p><p style='color:#7b8794'>Net loss = compensation"
        " + fines + automatic refunds − recovered by appeal</p></body></html>"
    )
    # The charts speak the page's language too: the daily series and the carrier axis.
    assert "Compensation" in english.split("<svg")[1] and ">SF<" in english.split("<svg")[2]


def test_whatif_json_lists_each_shop(cli: typer.Typer) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "whatif",
            "--profile",
            "douyin",
            "--set",
            "pickup_timeout.hours=12",
            "--json",
            "--now",
            NOW,
        ],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["shops"]
    assert [(r["shop"], r["violations_base"], r["violations_changed"]) for r in rows] == [
        ("a", 2, 5),
        ("b", 2, 3),
    ]


def test_whatif_text_signs_each_change_as_the_page_does(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)

    def run(hours: int, *extra: str) -> list[str]:
        args = ["whatif", "--set", f"pickup_timeout.hours={hours}", "--now", NOW, *extra]
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 0, out.output
        return out.output.splitlines()

    assert run(12) == [
        "a：违规 2 → 5（+3），金额 ¥26.00 → ¥65.00（+¥39.00）",
        "b：违规 2 → 3（+1），金额 ¥26.00 → ¥39.00（+¥13.00）",
    ]
    assert run(96, "--lang", "zh_CN") == [
        "a：违规 2 → 0（-2），金额 ¥26.00 → ¥0.00（-¥26.00）",
        "b：违规 2 → 0（-2），金额 ¥26.00 → ¥0.00（-¥26.00）",
    ]
    assert run(12, "--lang", "en") == [
        "a: violations 2 → 5 (+3), money ¥26.00 → ¥65.00 (+¥39.00)",
        "b: violations 2 → 3 (+1), money ¥26.00 → ¥39.00 (+¥13.00)",
    ]
    assert run(96, "--lang", "en") == [
        "a: violations 2 → 0 (-2), money ¥26.00 → ¥0.00 (-¥26.00)",
        "b: violations 2 → 0 (-2), money ¥26.00 → ¥0.00 (-¥26.00)",
    ]


def test_report_text_is_one_language_with_money_as_people_write_it(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)

    def run(*extra: str) -> list[str]:
        args = ["report", "--from", "2026-11-01", "--to", "2026-11-06", "--now", NOW, *extra]
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 0, out.output
        return out.output.splitlines()

    assert run() == [
        "2026-11-01 – 2026-11-06 · 店铺：a、b",
        "  赔付：¥12.00",
        "  罚款：¥40.00",
        "  自动退款：¥0.00",
        "  申诉挽回：¥0.00",
        "  净损失：¥52.00",
        "  违规：揽收超时 4",
        "  已申诉 0 件，通过 0 件，驳回 0 件，处理中 0 件。",
        "  顺丰：15 个包裹，半数 8.0 小时内揽收，九成 26.0 小时内揽收，超时率 13.3%",
        "  中通：5 个包裹，半数 12.5 小时内揽收，九成 40.0 小时内揽收，超时率 40.0%",
    ]
    english = [
        "2026-11-01 – 2026-11-06 · shops: a, b",
        "  Compensation: ¥12.00",
        "  Fines: ¥40.00",
        "  Automatic refunds: ¥0.00",
        "  Recovered by appeal: ¥0.00",
        "  Net loss: ¥52.00",
        "  Violations: Pickup timeout 4",
        "  Appeals filed: 0, approved: 0, rejected: 0, pending: 0.",
        "  SF: 15 shipments, half picked up within 8.0 h, nine in ten within 26.0 h,"
        " timeout rate 13.3%",
        "  ZTO: 5 shipments, half picked up within 12.5 h, nine in ten within 40.0 h,"
        " timeout rate 40.0%",
    ]
    assert run("--lang", "en") == english
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    assert run() == english
    # one shop: its figures only
    assert run("--shop", "b", "--lang", "en")[:2] == [
        "2026-11-01 – 2026-11-06 · shops: b",
        "  Compensation: ¥6.00",
    ]


def test_scorecard_is_a_table_in_one_language_as_the_carriers_page_shows_it(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)

    def run(*extra: str) -> list[str]:
        out = CliRunner().invoke(cli, ["scorecard", "--now", NOW, *extra])
        assert out.exit_code == 0, out.output
        return out.output.splitlines()

    assert run() == [
        "快递公司评分",
        "2026-10-08 至 2026-11-06 期间发货的包裹。",
        "名称  包裹数  半数包裹揽收用时（小时）  90% 包裹揽收用时（小时）  99% 包裹揽收用时（小时）"
        "  超时率  申诉通过占比  轨迹停滞",
        "顺丰      15                       8.0                      26.0                      30.0"
        "   13.3%          0.0%         0",
        "中通       5                      12.5                      40.0                      40.0"
        "   40.0%          0.0%         0",
    ]
    # outlets and couriers name their carrier too (a Chinese character takes two columns)
    assert run("--level", "outlet")[2:] == [
        "名称          快递公司  包裹数  半数包裹揽收用时（小时）  90% 包裹揽收用时（小时）"
        "  99% 包裹揽收用时（小时）  超时率  申诉通过占比  轨迹停滞",
        "顺丰杭州网点  顺丰          15                       8.0                      26.0"
        "                      30.0   13.3%          0.0%         0",
        "中通杭州网点  中通           5                      12.5                      40.0"
        "                      40.0   40.0%          0.0%         0",
    ]
    english = [
        "Carrier scorecards",
        "Shipments marked shipped between 2026-10-08 and 2026-11-06.",
        "Name  Shipments  Half picked up within (h)  90% picked up within (h)"
        "  99% picked up within (h)  Timeout rate  Approved on appeal  Feed stalls",
        "SF           15                        8.0                      26.0"
        "                      30.0         13.3%                0.0%            0",
        "ZTO           5                       12.5                      40.0"
        "                      40.0         40.0%                0.0%            0",
    ]
    assert run("--lang", "en") == english
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    assert run() == english
    # no courier scanned these parcels: one row without a name or carrier
    assert run("--level", "courier", "--days", "7")[1:] == [
        "Shipments marked shipped between 2026-10-31 and 2026-11-06.",
        "Name  Carrier  Shipments  Half picked up within (h)  90% picked up within (h)"
        "  99% picked up within (h)  Timeout rate  Approved on appeal  Feed stalls",
        "—                     20                        8.0                      26.0"
        "                      40.0         20.0%                0.0%            0",
    ]


def test_scorecard_json_keeps_its_keys_and_names(cli: typer.Typer) -> None:
    out = CliRunner().invoke(cli, ["scorecard", "--now", NOW, "--json", "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [
        {
            "name": "顺丰",
            "carrier": "顺丰",
            "shipments": 15,
            "p50_h": 8.0,
            "p90_h": 26.0,
            "p99_h": 30.0,
            "timeout_rate": 0.1333,
            "timeouts": 2,
            "appeal_share": 0.0,
            "feed_stalls": 0,
        },
        {
            "name": "中通",
            "carrier": "中通",
            "shipments": 5,
            "p50_h": 12.5,
            "p90_h": 40.0,
            "p99_h": 40.0,
            "timeout_rate": 0.4,
            "timeouts": 2,
            "appeal_share": 0.0,
            "feed_stalls": 0,
        },
    ]
