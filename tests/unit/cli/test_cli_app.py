"""The console script registers the group of the command it runs; the listing shows them all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from lanshou.entrypoints.cli.app import COMMANDS, build_app, main


def _names(app: typer.Typer) -> list[str]:
    group: Any = get_command(app)
    names: list[str] = group.list_commands(typer.Context(group))
    return names


def test_the_listing_shows_every_command_in_order() -> None:
    # Typer lists the commands first, then the groups, each in the order they were added.
    assert _names(build_app()) == [
        "serve",
        "worker",
        "check",
        "sweep",
        "recompute",
        "explain",
        "rules",
        "report",
        "whatif",
        "scorecard",
        "retention",
        "demo",
        "audit",
        "inbox",
        "db",
        "appeal",
        "import",
        "connect",
        "sync",
        "evidence",
    ]
    assert sorted(_names(build_app())) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_line_builds_the_group_of_its_command_alone(command: str) -> None:
    siblings = [name for name, register in COMMANDS.items() if register is COMMANDS[command]]
    assert _names(build_app(command)) == siblings


def test_an_unknown_command_gets_the_whole_listing() -> None:
    assert _names(build_app("no-such-command")) == _names(build_app())


def test_a_group_of_one_command_still_needs_its_name() -> None:
    result = CliRunner().invoke(build_app("retention"), ["retention", "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: lanshou retention" in result.output


def test_check_starts_without_the_other_groups() -> None:
    code = (
        "import sys; from lanshou.entrypoints.cli.app import build_app; build_app('check'); "
        "print(sorted(m for m in ('lanshou.analytics', 'lanshou.bootstrap', 'openpyxl', "
        "'lanshou.entrypoints.cli.server') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_main_runs_the_command_of_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["lanshou", "rules", "douyin", "--lang", "en"])
    monkeypatch.delenv("LANSHOU_RULES_DIR", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("douyin")


def test_python_dash_m_lanshou_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lanshou", "rules", "douyin", "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("douyin")


def test_a_warning_is_one_line_without_source_path(tmp_path: Path) -> None:
    """2027 has no official holiday schedule: `check` warns once, as lanshou's own line."""
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill\n"
        "p1,S1,2027-02-05 10:00,30.00,1,浙江,paid,,,\n",
        encoding="utf-8",
    )
    now = "2027-02-06T00:00:00+08:00"
    done = subprocess.run(
        [sys.executable, "-m", "lanshou", "check", "--orders", str(orders), "--now", now],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr == (
        "lanshou: warning: no official China holiday data for 2027; counting its fixed "
        "statutory holidays (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) and weekends, without "
        "调休 make-up workdays — load a calendar override file once the schedule is published\n"
    )
