"""`lanshou check` output: every format read back equals the expected violations exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest

from lanshou.batch import output
from lanshou.batch.check import run_check
from lanshou.batch.cli import check_command
from lanshou.batch.output import _iso_local
from lanshou.batch.result import CheckResult
from lanshou.batch.table import display_width, render_table
from lanshou.domain.rules import load_profile
from lanshou.imports import ImportSummary
from lanshou.imports.shipments_table import export_reader

SH = ZoneInfo("Asia/Shanghai")
NOW = "2026-03-10T00:00:00+08:00"
# A1 picked up late; A2 never shipped (a time with milliseconds); `B,"7` shipped, never picked
# up (an id CSV must quote); A4 on time.
ORDERS = """order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill
A1,店铺一,2026-03-02 10:00,600.00,2,浙江,,2026-03-03 09:00,SF,W1
A2,店铺一,2026-03-02 10:00:00.250,50.00,1,,,,,
"B,""7",s2,2026-03-04 08:00,9.00,1,,,2026-03-05 08:30,SF,W3
A4,s2,2026-03-08 10:00,9.00,1,,,2026-03-08 12:00,SF,W4
"""
TRACKING = """carrier,waybill,time,status
SF,W1,2026-03-05 20:00,picked_up
SF,W4,2026-03-08 15:00,picked_up
"""
EXPECTED = [
    {
        "order_id": "A1",
        "shipment_key": "A1",
        "shop_id": "店铺一",
        "rule": "pickup_timeout",
        "started_at": "2026-03-03T09:00:00+08:00",
        "deadline": "2026-03-04T09:00:00+08:00",
        "satisfied_at": "2026-03-05T20:00:00+08:00",
        "compensation": "3.00",
        "fine": "10.00",
        "auto_refund": "0.00",
        "exempt": False,
    },
    {
        "order_id": "A2",
        "shipment_key": "A2",
        "shop_id": "店铺一",
        "rule": "ship_timeout",
        "started_at": "2026-03-02T10:00:00.250000+08:00",
        "deadline": "2026-03-04T10:00:00.250000+08:00",
        "satisfied_at": None,
        "compensation": "3.00",
        "fine": "10.00",
        "auto_refund": "0.00",
        "exempt": False,
    },
    {
        "order_id": 'B,"7',
        "shipment_key": 'B,"7',
        "shop_id": "s2",
        "rule": "pickup_timeout",
        "started_at": "2026-03-05T08:30:00+08:00",
        "deadline": "2026-03-06T08:30:00+08:00",
        "satisfied_at": None,
        "compensation": "3.00",
        "fine": "10.00",
        "auto_refund": "9.00",
        "exempt": False,
    },
]


class Terminal(io.StringIO):
    """An error stream that says it is a terminal, as a console's does."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "orders.csv").write_text(ORDERS, "utf-8")
    (tmp_path / "tracking.csv").write_text(TRACKING, "utf-8")
    return tmp_path / "orders.csv", tmp_path / "tracking.csv"


def _check(files: tuple[Path, Path], **options: object) -> tuple[int, str, str]:
    out = options.pop("out", io.StringIO())
    err = options.pop("err", io.StringIO())
    assert isinstance(out, io.StringIO) and isinstance(err, io.StringIO)
    as_json = bool(options.pop("as_json", False))
    reader = export_reader("generic", files[0], tracking=files[1])
    rc = check_command("douyin", reader, NOW, as_json, "en", out, err, **options)  # type: ignore[arg-type]
    return rc, out.getvalue(), err.getvalue()


def _local(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def test_json_holds_the_summary_and_every_violation_in_order(files: tuple[Path, Path]) -> None:
    rc, out, err = _check(files, as_json=True)
    assert (rc, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["profile", "now", "summary", "violations", "rejected"]
    assert data["summary"] == {
        "shipments": 4,
        "evaluated": 4,
        "violations": {"ship_timeout": 1, "pickup_timeout": 2},
        "open": 0,
        "compensation_total": "9.00",
        "fine_total": "30.00",
        "auto_refund_total": "9.00",
    }
    assert data["violations"] == EXPECTED
    assert data["rejected"] == []


def test_json_is_the_same_whatever_the_size_of_the_blocks_copied(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The violations' lines are copied in blocks: a block ending anywhere in a line (here
    every 7 characters) changes nothing, and the progress counts every violation once."""
    _, whole, _ = _check(files, as_json=True)
    monkeypatch.setattr(output, "_BLOCK", 7)
    counted: list[int] = []
    reader = export_reader("generic", files[0], tracking=files[1])
    with run_check(load_profile("douyin"), reader, dt.datetime.fromisoformat(NOW)) as result:
        buffer = io.StringIO()
        output.write_json(result, buffer, counted.append)
    assert buffer.getvalue() == whole
    assert sum(counted) == len(EXPECTED)


def test_json_without_violations_is_an_empty_list(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,status,shipped_at\n"
        "E1,s1,2026-03-09 20:00,50.00,shipped,2026-03-09 22:00\n",
        encoding="utf-8",
    )
    now = dt.datetime.fromisoformat(NOW)
    with run_check(load_profile("douyin"), export_reader("generic", orders), now) as result:
        data = result.to_json_dict()
    assert data["violations"] == []
    assert (data["summary"]["evaluated"], data["summary"]["open"]) == (1, 1)


def test_jsonl_holds_one_violation_per_line(files: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    assert _check(files, out_file=path)[0] == 0
    lines = path.read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == EXPECTED


def test_csv_holds_the_json_values_as_text(files: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    assert _check(files, out_file=path)[0] == 0
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(EXPECTED[0])
    assert rows[1:] == [
        ["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in e.values()]
        for e in EXPECTED
    ]


def test_parquet_keeps_types(files: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    assert _check(files, out_file=path)[0] == 0
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
    assert rel.columns == list(EXPECTED[0])
    assert [str(t) for t in rel.types] == [
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP WITH TIME ZONE",
        "DECIMAL(18,2)",
        "DECIMAL(18,2)",
        "DECIMAL(18,2)",
        "BOOLEAN",
    ]
    assert rel.fetchall() == [
        (
            e["order_id"],
            e["shipment_key"],
            e["shop_id"],
            e["rule"],
            _local(e["started_at"]),  # type: ignore[arg-type]
            _local(e["deadline"]),  # type: ignore[arg-type]
            _local(e["satisfied_at"]),  # type: ignore[arg-type]
            Decimal(e["compensation"]),  # type: ignore[arg-type]
            Decimal(e["fine"]),  # type: ignore[arg-type]
            Decimal(e["auto_refund"]),  # type: ignore[arg-type]
            e["exempt"],
        )
        for e in EXPECTED
    ]


def _sheet_rows(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book["violations"].iter_rows(values_only=True)]
    finally:
        book.close()


def _sheet_row(e: dict[str, object]) -> tuple[object, ...]:
    """A violation as the sheet holds it: local wall-clock times, money as numbers."""

    def wall(v: object) -> object:
        return None if v is None else _local(str(v)).replace(tzinfo=None)  # type: ignore[union-attr]

    return (
        e["order_id"],
        e["shipment_key"],
        e["shop_id"],
        e["rule"],
        wall(e["started_at"]),
        wall(e["deadline"]),
        wall(e["satisfied_at"]),
        float(str(e["compensation"])),
        float(str(e["fine"])),
        float(str(e["auto_refund"])),
        e["exempt"],
    )


def test_xlsx_holds_local_times_and_numbers(files: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "v.xlsx"
    rc, _out, err = _check(files, out_file=path)
    assert (rc, err) == (0, "")
    assert _sheet_rows(path) == [tuple(EXPECTED[0]), *(_sheet_row(e) for e in EXPECTED)]


def test_xlsx_stops_at_its_row_limit_and_says_what_was_left_out(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "v.xlsx"
    rc, _out, err = _check(files, out_file=path, xlsx_max_rows=2)
    assert rc == 0
    assert err == (
        f"An .xlsx sheet holds at most 2 rows: 2 of 3 violations written to {path}, 1 left "
        "out. Write .csv, .jsonl or .parquet to keep them all.\n"
    )
    assert _sheet_rows(path) == [tuple(EXPECTED[0]), *(_sheet_row(e) for e in EXPECTED[:2])]


def test_an_unknown_output_suffix_is_refused_before_reading(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "v.txt"
    rc, out, err = _check(files, out_file=path)
    assert (rc, out) == (2, "")
    assert err == f"lanshou: {path}: --out writes .jsonl, .csv, .parquet or .xlsx\n"
    assert not path.exists()


def test_an_unwritable_output_file_is_an_input_error(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "missing-folder" / "v.csv"
    rc, out, err = _check(files, out_file=path)
    assert (rc, out) == (2, "")
    assert err.startswith(f"lanshou: {path}: ")
    assert not path.exists()


def _result(files: tuple[Path, Path]) -> CheckResult:
    return run_check(
        load_profile("douyin"),
        export_reader("generic", files[0], tracking=files[1]),
        dt.datetime.fromisoformat(NOW),
    )


def test_the_table_shows_the_first_violations_and_counts_the_rest(
    files: tuple[Path, Path],
) -> None:
    with _result(files) as result:
        table = render_table(result, "en", limit=1)
    assert table.splitlines()[-3:] == [
        "order  rule            deadline          comp.   fine  refund",
        "A1     Pickup timeout  2026-03-04 09:00   3.00  10.00    0.00",
        "… 2 more",
    ]


def test_the_table_names_rules_in_chinese_and_aligns_by_display_width(
    files: tuple[Path, Path],
) -> None:
    with _result(files) as result:
        table = render_table(result, "zh-CN")
    # 订单 and 揽收超时 take two columns a character, as a terminal draws them.
    assert table.splitlines() == [
        "规则：douyin    评估时间：2026-03-10 00:00 +0800",
        "包裹：4    已评估：4    未到期：0",
        "  发货超时  1",
        "  揽收超时  2",
        "赔付合计：9.00    罚款合计：30.00    自动退款合计：9.00",
        "订单  规则      截止              赔付   罚款  自动退款",
        "A1    揽收超时  2026-03-04 09:00  3.00  10.00      0.00",
        "A2    发货超时  2026-03-04 10:00  3.00  10.00      0.00",
        'B,"7  揽收超时  2026-03-06 08:30  3.00  10.00      9.00',
    ]


def test_the_table_in_english_names_rules_in_english(files: tuple[Path, Path]) -> None:
    with _result(files) as result:
        table = render_table(result, "en")
    assert table.splitlines()[2:4] == ["  Late shipment   1", "  Pickup timeout  2"]
    assert "pickup_timeout" not in table and "ship_timeout" not in table


@pytest.mark.parametrize(
    ("text", "width"),
    [("A1", 2), ("揽收超时", 8), ("店铺一 s2", 9), ("ｆｕｌｌ", 8), ("e\u0301", 1), ("", 0)],
)
def test_display_width_counts_wide_characters_twice(text: str, width: int) -> None:
    assert display_width(text) == width


def test_a_long_order_number_is_cut_by_display_width(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,shipped_at\n订单号码一二三四五六七八九十,s1,"
        "2026-03-02 10:00,50.00,2026-03-03 08:00\n",
        "utf-8",
    )
    out = io.StringIO()
    reader = export_reader("generic", orders)
    assert check_command("douyin", reader, NOW, False, "zh-CN", out, io.StringIO()) == 0
    assert out.getvalue().splitlines()[-2:] == [
        "订单" + " " * 17 + "规则      截止              赔付   罚款  自动退款",
        "订单号码一二三四五…  揽收超时  2026-03-04 08:00  3.00  10.00     50.00",
    ]


def _with_phones(tmp_path: Path) -> Path:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,shipped_at,buyer_phone\n"
        "A1,s1,2026-03-02 10:00,50.00,2026-03-03 08:00,138****12\n"
        "A2,s1,2026-03-02 10:00,50.00,2026-03-03 08:00,138****1234\n",
        "utf-8",
    )
    return orders


@pytest.mark.parametrize(
    ("lang", "warning"),
    [
        (
            "zh-CN",
            "注意：1 单的买家手机号末尾不足 4 位数字（被打码或位数不够），已导入但不记手机尾号",
        ),
        (
            "en",
            "warning: 1 order(s) have a buyer phone without 4 trailing digits (masked or short), "
            "kept without a phone tail",
        ),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_check_warns_of_a_phone_without_its_tail_as_import_does(
    tmp_path: Path, lang: str, warning: str, fast: bool
) -> None:
    read = ImportSummary("generic")
    reader = export_reader("generic", _with_phones(tmp_path), fast=fast, summary=read)
    out, err = io.StringIO(), io.StringIO()
    rc = check_command("douyin", reader, NOW, False, lang, out, err, notes=read.warnings)
    assert rc == 0
    assert out.getvalue().splitlines()[5] == warning  # under the summary
    assert err.getvalue() == ""


def test_with_json_the_phone_warning_goes_to_the_error_stream(tmp_path: Path) -> None:
    read = ImportSummary("generic")
    reader = export_reader("generic", _with_phones(tmp_path), summary=read)
    out, err = io.StringIO(), io.StringIO()
    assert check_command("douyin", reader, NOW, True, "en", out, err, notes=read.warnings) == 0
    assert json.loads(out.getvalue())["summary"]["shipments"] == 2
    assert err.getvalue().splitlines() == [
        "warning: 1 order(s) have a buyer phone without 4 trailing digits (masked or short), "
        "kept without a phone tail"
    ]


def test_no_progress_bar_unless_the_error_stream_is_a_terminal(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    rc, _out, err = _check(files, out_file=tmp_path / "v.csv", as_json=True)
    assert (rc, err) == (0, "")
    terminal = Terminal()
    rc, out, _err = _check(files, out_file=tmp_path / "w.csv", as_json=True, err=terminal)
    assert rc == 0
    assert "Writing violations" in terminal.getvalue()
    assert json.loads(out)["violations"] == EXPECTED  # the bar never reaches the output


def test_duckdb_draws_no_progress_bar_of_its_own(files: tuple[Path, Path]) -> None:
    """DuckDB's bar (queries over 2 s) would reach stderr whatever the stream is."""
    result = run_check(
        load_profile("douyin"),
        export_reader("generic", files[0], tracking=files[1]),
        dt.datetime.fromisoformat(NOW),
    )
    with result:
        setting = result.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    assert setting == (False,)


@pytest.mark.parametrize(
    ("zone", "instant"),
    [
        ("Asia/Shanghai", dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)),
        ("Asia/Shanghai", dt.datetime(2026, 3, 4, 1, 0, 0, 250, tzinfo=dt.UTC)),
        ("America/Sao_Paulo", dt.datetime(2017, 1, 9, 18, 5, 7, tzinfo=dt.UTC)),  # -02:00, DST
        ("America/Sao_Paulo", dt.datetime(2017, 3, 2, 18, 46, 49, tzinfo=dt.UTC)),  # -03:00
        ("Asia/Kolkata", dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),  # +05:30
        ("America/St_Johns", dt.datetime(2017, 1, 9, 18, 5, 7, tzinfo=dt.UTC)),  # -03:30
        ("UTC", dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),
    ],
)
def test_times_render_like_python_isoformat(zone: str, instant: dt.datetime) -> None:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    row = con.execute(
        f"SELECT {_iso_local('t')} FROM (SELECT ?::TIMESTAMPTZ AS t)", [instant]
    ).fetchone()
    assert row == (instant.astimezone(ZoneInfo(zone)).isoformat(),)


@pytest.mark.parametrize(
    ("zone", "instant"),
    [
        ("Asia/Shanghai", dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)),
        ("Asia/Shanghai", dt.datetime(2026, 3, 4, 1, 0, 0, 250, tzinfo=dt.UTC)),
        ("Asia/Shanghai", dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)),
        ("America/Sao_Paulo", dt.datetime(2017, 1, 9, 18, 5, 7, tzinfo=dt.UTC)),  # -02:00, DST
        ("Asia/Kolkata", dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),  # +05:30
        ("America/St_Johns", dt.datetime(2017, 1, 9, 18, 5, 7, tzinfo=dt.UTC)),  # -03:30
        ("UTC", dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),
    ],
)
def test_times_with_the_zones_fixed_offset_render_the_same(zone: str, instant: dt.datetime) -> None:
    offset = instant.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    row = con.execute(
        f"SELECT {_iso_local('t', int(offset.total_seconds()))} FROM (SELECT ?::TIMESTAMPTZ AS t)",
        [instant],
    ).fetchone()
    assert row == (instant.astimezone(ZoneInfo(zone)).isoformat(),)


def _times_result(zone: str, instants: list[dt.datetime]) -> output.CheckResult:
    """A stand-in for a check's result: the violations table of `instants` as deadlines."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v (late BOOLEAN, deadline TIMESTAMPTZ, satisfied_at TIMESTAMPTZ)")
    for instant in instants:
        con.execute("INSERT INTO v VALUES (true, ?, NULL)", [instant])
    con.execute("INSERT INTO v VALUES (false, '1990-01-01 00:00:00+00', NULL)")  # not written
    fake = type("R", (), {"con": con, "table": "v", "tz": ZoneInfo(zone)})
    return fake()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("zone", "instants", "expected"),
    [
        (
            "Asia/Shanghai",
            [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 8, 1, tzinfo=dt.UTC)],
            28_800,
        ),
        # Sao Paulo left daylight saving time on 2017-02-19: two offsets in the span.
        (
            "America/Sao_Paulo",
            [dt.datetime(2017, 1, 9, tzinfo=dt.UTC), dt.datetime(2017, 3, 2, tzinfo=dt.UTC)],
            None,
        ),
        ("America/Sao_Paulo", [dt.datetime(2017, 3, 2, tzinfo=dt.UTC)], -10_800),
        # Shanghai kept daylight saving time until 1991.
        (
            "Asia/Shanghai",
            [dt.datetime(1990, 1, 1, tzinfo=dt.UTC), dt.datetime(1990, 8, 1, tzinfo=dt.UTC)],
            None,
        ),
        ("Asia/Shanghai", [], None),
    ],
)
def test_a_fixed_offset_only_where_the_zone_has_one_over_the_times_written(
    zone: str, instants: list[dt.datetime], expected: int | None
) -> None:
    result = _times_result(zone, instants)
    assert output._fixed_offset(result, ["deadline", "satisfied_at"]) == expected
