"""``lanshou import orders`` through Typer: summary on stdout, errors as InvalidInput."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lanshou.entrypoints.cli import imports
from lanshou.errors import InvalidInput
from lanshou.settings import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("LANSHOU_ENV", "dev")
    monkeypatch.setenv("LANSHOU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    root = typer.Typer()
    imports.register(root)

    @root.callback()
    def _root() -> None: ...

    yield root
    get_settings.cache_clear()


def _orders_args(tmp_path: Path) -> list[str]:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,paid_at,amount\nC1,2024-01-05 08:03,9.90\n", encoding="utf-8")
    return [
        "import",
        "orders",
        str(path),
        "--source",
        "generic",
        "--shop",
        "s1",
        "--now",
        "2024-01-05T09:00:00+08:00",
    ]


def test_the_command_imports_and_prints_the_summary_in_chinese(
    cli: typer.Typer, tmp_path: Path
) -> None:
    args = _orders_args(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "读取：1 行",
        "新增：1 单",
        "更新：0 单",
        "未变：0 单",
        "拒收：0 行",
    ]
    again = CliRunner().invoke(cli, args)
    assert "未变：1 单" in again.output.splitlines()


def test_the_summary_is_english_with_lang_en_or_the_default_locale_setting(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _orders_args(tmp_path)
    expected = ["rows read:  1", "inserted:   1", "updated:    0", "unchanged:  0", "rejected:   0"]
    result = CliRunner().invoke(cli, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == expected
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, args)
    assert result.output.splitlines() == [
        "rows read:  1",
        "inserted:   0",
        "updated:    0",
        "unchanged:  1",
        "rejected:   0",
    ]


def test_a_phone_without_its_tail_is_a_warning_in_the_reader_s_language(
    cli: typer.Typer, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,paid_at,amount,buyer_phone\nC1,2024-01-05 08:03,9.90,138****12\n",
        encoding="utf-8",
    )
    args = ["import", "orders", str(path), "--source", "generic", "--shop", "s1"]
    zh = CliRunner().invoke(cli, args).output.splitlines()
    en = CliRunner().invoke(cli, [*args, "--lang", "en"]).output.splitlines()
    assert (
        zh[-1]
        == "注意：1 单的买家手机号末尾不足 4 位数字（被打码或位数不够），已导入但不记手机尾号"
    )
    assert en[-1] == (
        "warning: 1 order(s) have a buyer phone without 4 trailing digits (masked or short), "
        "kept without a phone tail"
    )


def test_the_progress_bar_names_the_pass_in_words() -> None:
    assert imports.progress_text("zh_CN", "scan", 5000) == "识别日期格式 · 已读 5000 行"
    assert imports.progress_text("zh_CN", "import", 12) == "导入中 · 已读 12 行"
    assert imports.progress_text("en", "scan", 5000) == "Checking dates · 5000 rows"
    assert imports.progress_text("en", "import", 12) == "Importing · 12 rows"


def test_bad_input_surfaces_as_invalid_input(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "orders", str(path), "--source", "generic"])
    assert isinstance(result.exception, InvalidInput)  # app.main() turns it into exit 2
    result = CliRunner().invoke(
        cli, ["import", "orders", str(path), "--source", "generic", "--date-order", "ydm"]
    )
    assert isinstance(result.exception, InvalidInput)
