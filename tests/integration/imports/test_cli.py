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
        "无法读取：0 行",
    ]
    again = CliRunner().invoke(cli, args)
    assert "未变：1 单" in again.output.splitlines()


def test_the_summary_is_english_with_lang_en_or_the_default_locale_setting(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _orders_args(tmp_path)
    expected = ["rows read:  1", "inserted:   1", "updated:    0", "unchanged:  0", "unreadable: 0"]
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
        "unreadable: 0",
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


def test_a_csv_and_an_xlsx_of_the_same_name_keep_their_own_rejects_file(
    cli: typer.Typer, tmp_path: Path
) -> None:
    """``orders.csv`` and ``orders.xlsx`` side by side: each refused row stays in a rejects file
    named after its whole input file, and the output says where."""
    import openpyxl

    csv_path = tmp_path / "orders.csv"
    csv_path.write_text(
        "order_id,paid_at,amount\nC1,2024-01-05 08:03,9.90\nC2,yesterday,9.90\n", encoding="utf-8"
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["order_id", "paid_at", "amount"])
    ws.append(["X1", "2024-01-05 08:03", "abc"])
    wb.save(tmp_path / "orders.xlsx")
    common = ["--source", "generic", "--shop", "s1", "--now", "2024-01-05T09:00:00+08:00"]
    outputs = [
        CliRunner().invoke(cli, ["import", "orders", str(tmp_path / name), *common])
        for name in ("orders.csv", "orders.xlsx")
    ]
    csv_rejects = tmp_path / "orders.csv.rejects.csv"
    xlsx_rejects = tmp_path / "orders.xlsx.rejects.csv"
    assert [r.exit_code for r in outputs] == [0, 0]
    assert outputs[0].output.splitlines()[-1] == f"无法读取的行已写入：{csv_rejects}"
    assert outputs[1].output.splitlines()[-1] == f"无法读取的行已写入：{xlsx_rejects}"
    assert csv_rejects.read_text("utf-8-sig").splitlines() == [
        "row_number,column,reason_code,reason,order_id,paid_at,amount",
        "3,paid_at,bad_time,不是有效时间（「yesterday」无法识别为时间）,C2,yesterday,9.90",
    ]
    assert xlsx_rejects.read_text("utf-8-sig").splitlines() == [
        "row_number,column,reason_code,reason,order_id,paid_at,amount",
        "2,amount,bad_amount,「abc」不是金额,X1,2024-01-05 08:03,abc",
    ]
    assert not (tmp_path / "orders.rejects.csv").exists()


def test_the_date_order_and_dates_errors_are_in_the_reader_s_language(
    cli: typer.Typer, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,paid_at,amount\nC1,1/5/2024 08:03,9.90\n", encoding="utf-8")
    args = ["import", "orders", str(path), "--source", "generic", "--shop", "s1"]
    said = {
        lang: str(CliRunner().invoke(cli, [*args, "--date-order", "ydm", *lang]).exception)
        for lang in ((), ("--lang", "en"))
    }
    assert said == {
        (): "--date-order 只能是以下之一：ymd, mdy, dmy",
        ("--lang", "en"): "--date-order must be one of ymd, mdy, dmy",
    }
    zh = CliRunner().invoke(cli, args).exception
    en = CliRunner().invoke(cli, [*args, "--lang", "en"]).exception
    assert isinstance(zh, InvalidInput) and isinstance(en, InvalidInput)
    assert zh.message == (
        f"{path}：「paid_at」列的日期形如 1/5/2024，从数据看不出是先日还是先月；"
        "请加上 --date-order dmy（先日）或 --date-order mdy（先月）"
    )
    assert en.message == (
        f"{path}: column 'paid_at' has dates like 1/5/2024 whose day/month order cannot be told "
        "from the data; pass --date-order dmy or --date-order mdy"
    )


def test_import_tracking_s_option_errors_are_in_the_reader_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.entrypoints.cli.app import app

    monkeypatch.setenv("LANSHOU_ENV", "dev")
    monkeypatch.setenv("LANSHOU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    path = tmp_path / "scans.csv"
    path.write_text("carrier,waybill,time,status\n", encoding="utf-8")
    base = ["import", "tracking", str(path)]
    try:
        said = [
            str(CliRunner().invoke(app, [*base, *extra]).exception)
            for extra in (
                ["--tz", "Mars/Base"],
                ["--tz", "Mars/Base", "--lang", "en"],
                ["--date-order", "ydm"],
                ["--date-order", "ydm", "--lang", "en"],
            )
        ]
    finally:
        get_settings.cache_clear()
    assert said == [
        "--tz：无法识别时区「Mars/Base」，应写成 Asia/Shanghai 这样的时区名",
        "--tz: 'Mars/Base' is not a time zone lanshou knows, e.g. Asia/Shanghai",
        "--date-order 只能是以下之一：ymd, mdy, dmy",
        "--date-order must be one of ymd, mdy, dmy",
    ]


def test_a_file_that_cannot_be_read_is_explained_in_the_reader_s_language(
    cli: typer.Typer, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("id,shop\n1,2\n", encoding="utf-8")
    args = ["import", "orders", str(path), "--source", "generic"]
    zh = CliRunner().invoke(cli, args).exception
    en = CliRunner().invoke(cli, [*args, "--lang", "en"]).exception
    missing = CliRunner().invoke(cli, ["import", "orders", str(tmp_path / "no.csv"), *args[3:]])
    assert isinstance(zh, InvalidInput) and isinstance(en, InvalidInput)
    assert zh.message == (
        f"{path}：表头不符。需要的列：order_id、paid_at、amount、shop_id；"
        "缺少：order_id、paid_at、amount、shop_id；文件中的列：id、shop"
    )
    assert en.message == (
        f"{path}: the header does not match: expected the columns order_id, paid_at, amount, "
        "shop_id; missing order_id, paid_at, amount, shop_id; found id, shop"
    )
    assert str(missing.exception) == f"{tmp_path / 'no.csv'}：找不到这个文件"
