"""`lanshou report --json` has exactly the documented keys; `--weekly` writes an HTML page with
SVG charts; `lanshou whatif` reports the difference per shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

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
    html = target.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "甜橙小铺" in html and "¥26.00" in html


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
