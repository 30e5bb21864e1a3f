"""`lanshou check`'s CSV fast path (DuckDB with the reader's rules in SQL) against the Python
reader, rule by rule: every time shape, status word, carrier spelling, waybill form, number and
reject of one file, with the exact values both paths must give; then the files only the Python
reader can read, which must go to it whole and give the same answer."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lanshou.batch import ReadResult
from lanshou.domain.rules import load_profile
from lanshou.errors import InvalidInput
from lanshou.imports import GENERIC_HEADER
from lanshou.imports.shipments_table import export_reader

HEADER = [
    *GENERIC_HEADER,
    "exp_ship_time",
    "收件人手机号",  # the generic mapping's buyer_phone, under an export's Chinese header
]
ROWS = [
    # 2: ISO with T and +08:00; a space before +0800; 顺丰 → SF; a padded lower-case waybill
    ["A1", "s1", "2026-03-02T10:00:00+08:00", "50.00", "1", "浙江省", "paid",
     "2026-03-03 09:00:00 +0800", "顺丰", " sf1 ", "", " 138****1234 "],
    # 3: +08 and Z; ¥ and a thousands separator; a Chinese status word
    ["A2", "s1", "2026-03-02 10:00:00+08", "¥1,234.50", "2", "广东省", "已支付",
     "2026-03-03T01:00:00Z", "SF", "Wb2", "", "+86 138-0013-8000"],
    # 4: -05 (13 h from China time); 元; 2.0 pieces; PAID in capitals; a sheet's time
    ["A3", "s1", "2026-03-02 10:00:00-05", "20元", "2.0", "", "PAID", "", "shunfeng", "",
     "2026-03-04 10:00", "1********35"],
    # 5: CJK date words; empty status with a ship time: shipped; a fraction of a second
    ["A4", "s1", "2026年3月2日 10时00分", "10", "3", "", "", "2026-03-03 12:00:00.5",
     "顺丰速运", "x4", "", "13900139999"],
    # 6: 12-hour clock; cancelled in Chinese
    ["A5", "s2", "2026-03-02 08:03 PM", "10", "1", "", "已取消", "", "", "", "", "0571-8888-123"],
    # 7, 8: month-first (15 > 12 settles the column), then 3/4 read as 4 March
    ["A6", "s2", "3/15/2026 8:03", "10", "1", "", "pending", "", "", "", "", "#Zm9vYmFy1234"],
    ["A7", "s2", "3/4/2026 10:00", "10.005", "1", "", "", "", "", "", "", "１３８１２３４"],
    # 9-13, 15-17: refused rows
    ["A8", "s2", "2026-02-30 10:00", "10", "1", "", "", "", "", "", ""],
    ["A9", "s2", "2026-03-02 10:00", "-5", "1", "", "", "", "", "", ""],
    ["A10", "s2", "2026-03-02 10:00", "10", "2.5", "", "", "", "", "", ""],
    ["A11", "s2", "2026-03-02 10:00", "10", "1", "", "teleported", "", "", "", ""],
    ["", "s2", "2026-03-02 10:00", "10", "1", "", "", "", "", "", ""],
    # 14: blank: skipped, still counted
    ["", "", "", "", "", "", "", "", "", "", ""],
    ["A12", "s2", "2026-03-02 25:00", "10", "1", "", "", "", "", "", ""],
    ["A13", "s2", "2026-03-02 10:00+25:00", "10", "1", "", "", "", "", "", ""],
    ["A14", "s" * 65, "2026-03-02 10:00", "10", "1", "", "", "", "", "", ""],
    # 18: full-width carrier name; no status, not shipped: paid
    ["A15", "s3", "2026-03-02 10:00:00", "10", "1", "", "", "", "Ｓｆ", "w15", "", "5678"],
    # 19: a carrier nobody knows: no carrier code; 2024 was a leap year
    ["A16", "s3", "2024-02-29 10:00:00", "10", "1", "", "", "", "unknown carrier", "w16", ""],
    # 20: the same order number in another shop: another shipment
    ["A1", "s9", "2026-03-02 10:00:00", "7", "", "", "", "", "", "", ""],
]  # fmt: skip
# Rows as wide as the header: the rejects file repeats a row's cells as the file has them.
ROWS = [row + [""] * (len(HEADER) - len(row)) for row in ROWS]
SCANS = [
    ["carrier", "waybill", "time", "status"],
    ["SF", "SF1", "2026-03-03 20:00:00", "picked_up"],  # 2
    ["顺丰", "wb2", "2026-03-04T10:00:00+08:00", "in_transit"],  # 3: lower case meets WB2
    ["SF", " x4 ", "2026-03-03 11:00:00", "awaiting_pickup"],  # 4: not a pickup
    ["SF", "X4", "2026-03-05 11:00:00", "picked_up"],  # 5
    ["SF", "", "2026-03-05 11:00:00", "picked_up"],  # 6: no waybill
    ["SF", "W9", "2026-13-05 11:00:00", "picked_up"],  # 7: month 13
    ["SF", "W9", "2026-03-05 11:00:00", "teleported"],  # 8: not a status
    ["SF", "SF1", "2026-03-03 19:00:00", "delivered"],  # 9: the earlier pickup of SF1
]
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# shipment_key, shop, paid, shipped, exp_ship, amount, quantity, province, carrier, waybill,
# status, first pickup, buyer phone tail
EXPECTED = [
    ("A1", "s1", "2026-03-02T02:00Z", "2026-03-03T01:00Z", None, "50.00", 1, "浙江省", "SF",
     "SF1", "paid", "2026-03-03T11:00Z", "1234"),
    ("A1", "s9", "2026-03-02T02:00Z", None, None, "7.00", 1, None, None, None, "paid", None,
     None),
    ("A15", "s3", "2026-03-02T02:00Z", None, None, "10.00", 1, None, "SF", "W15", "paid", None,
     "5678"),
    ("A16", "s3", "2024-02-29T02:00Z", None, None, "10.00", 1, None, None, "W16", "paid", None,
     None),
    ("A2", "s1", "2026-03-02T02:00Z", "2026-03-03T01:00Z", None, "1234.50", 2, "广东省", "SF",
     "WB2", "paid", "2026-03-04T02:00Z", "8000"),
    ("A3", "s1", "2026-03-02T15:00Z", None, "2026-03-04T02:00Z", "20.00", 2, None, "SF", None,
     "paid", None, None),
    ("A4", "s1", "2026-03-02T02:00Z", "2026-03-03T04:00:00.5Z", None, "10.00", 3, None, "SF",
     "X4", "shipped", "2026-03-05T03:00Z", "9999"),
    ("A5", "s2", "2026-03-02T12:03Z", None, None, "10.00", 1, None, None, None, "cancelled",
     None, None),
    ("A6", "s2", "2026-03-15T00:03Z", None, None, "10.00", 1, None, None, None, "pending", None,
     None),
    ("A7", "s2", "2026-03-04T02:00Z", None, None, "10.01", 1, None, None, None, "paid", None,
     None),
]  # fmt: skip
REJECTED = [
    ("orders.csv", 9, "paid_at: is not a time (day is out of range for month)"),
    ("orders.csv", 10, "amount: '-5' is not a non-negative amount"),
    ("orders.csv", 11, "quantity: '2.5' is not a positive integer"),
    (
        "orders.csv",
        12,
        "status: 'teleported' is not an order status the generic mapping knows "
        "(add it to status_values)",
    ),
    ("orders.csv", 13, "order_id: is empty"),
    ("orders.csv", 15, "paid_at: is not a time (hour must be in 0..23)"),
    ("orders.csv", 16, "paid_at: is not a time ('+25:00' is not a UTC offset)"),
    ("orders.csv", 17, "shop_id: is longer than 64 characters"),
    ("scans.csv", 6, "waybill: is empty"),
    ("scans.csv", 7, "time: is not a time (month must be in 1..12)"),
    ("scans.csv", 8, "status: 'teleported' is not one of awaiting_pickup, created, delivered, "
     "exception, in_transit, out_for_delivery, picked_up, returned"),
]  # fmt: skip


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def read(
    orders: Path, tracking: Path | None = None, *, fast: bool = True, **options: Any
) -> tuple[list[tuple[object, ...]], list[tuple[str, int, str]], ReadResult]:
    """The shipments table and the rejects as `lanshou check` reads them."""
    reader = export_reader(
        options.pop("source", "generic"), orders, tracking=tracking, fast=fast, **options
    )
    with duckdb.connect() as con:
        result = reader(con, load_profile("douyin"))
        rows = con.execute(
            f"""SELECT shipment_key, shop_id, paid_at, shipped_at, exp_ship_time, amount,
                       quantity, province, carrier_code, waybill, order_status, first_pickup_at,
                       buyer_phone_tail
                FROM {result.shipments} ORDER BY shipment_key, shop_id"""
        ).fetchall()
    rejected = [(Path(r.file).name, r.row, r.text("en")) for r in result.rejected]
    return rows, rejected, result


def expected_rows() -> list[tuple[object, ...]]:
    out = []
    for (
        key,
        shop,
        paid,
        shipped,
        exp,
        amount,
        qty,
        prov,
        carrier,
        waybill,
        status,
        pick,
        tail,
    ) in EXPECTED:
        out.append(
            (
                key,
                shop,
                utc(paid),
                utc(shipped) if shipped else None,
                utc(exp) if exp else None,
                amount,
                qty,
                prov,
                carrier,
                waybill,
                status,
                utc(pick) if pick else None,
                tail,
            )
        )
    return out


def plain(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [tuple(str(v) if hasattr(v, "as_tuple") else v for v in row) for row in rows]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_every_reader_rule_gives_the_same_values_on_both_paths(
    tmp_path: Path, encoding: str
) -> None:
    orders = write(tmp_path / "orders.csv", [HEADER, *ROWS], encoding)
    tracking = write(tmp_path / "scans.csv", SCANS, encoding)

    fast_rows, fast_rejected, fast = read(orders, tracking)
    slow_rows, slow_rejected, slow = read(orders, tracking, fast=False)

    assert fast.read_by == {str(orders): "sql", str(tracking): "sql"}
    assert slow.read_by == {str(orders): "python", str(tracking): "python"}
    assert plain(fast_rows) == plain(slow_rows) == expected_rows()
    assert fast_rejected == slow_rejected == REJECTED


# The same rows in Chinese (the default), each with its stable code.
REJECTED_ZH = [
    ("orders.csv", 9, "bad_time", "orders.csv 第 9 行：paid_at：不是有效时间（该月没有这一天）"),
    ("orders.csv", 10, "bad_amount", "orders.csv 第 10 行：amount：「-5」不是有效金额"
     "（不能为负数）"),
    ("orders.csv", 11, "bad_count", "orders.csv 第 11 行：quantity：「2.5」不是正整数"),
    (
        "orders.csv",
        12,
        "unknown_status",
        "orders.csv 第 12 行：status：「teleported」不是 generic 映射认识的订单状态"
        "（可在 status_values 中添加）",
    ),
    ("orders.csv", 13, "empty", "orders.csv 第 13 行：order_id：为空"),
    ("orders.csv", 15, "bad_time", "orders.csv 第 15 行：paid_at：不是有效时间"
     "（小时须在 0 到 23 之间）"),
    (
        "orders.csv",
        16,
        "bad_time",
        "orders.csv 第 16 行：paid_at：不是有效时间（「+25:00」不是有效的时区偏移）",
    ),
    ("orders.csv", 17, "too_long", "orders.csv 第 17 行：shop_id：超过 64 个字符"),
    ("scans.csv", 6, "empty", "scans.csv 第 6 行：waybill：为空"),
    ("scans.csv", 7, "bad_time", "scans.csv 第 7 行：time：不是有效时间（月份须在 1 到 12 之间）"),
    ("scans.csv", 8, "unknown_status", "scans.csv 第 8 行：status：「teleported」不是可用的状态，"
     "可用的有：awaiting_pickup, created, delivered, exception, in_transit, out_for_delivery, "
     "picked_up, returned"),
]  # fmt: skip


@pytest.mark.parametrize("fast", [True, False])
def test_both_paths_word_the_refused_rows_in_chinese_with_a_code(
    tmp_path: Path, fast: bool
) -> None:
    orders = write(tmp_path / "orders.csv", [HEADER, *ROWS])
    tracking = write(tmp_path / "scans.csv", SCANS)
    _, _, result = read(orders, tracking, fast=fast)
    worded = [
        (Path(r.file).name, r.row, r.code, r.located().replace(str(tmp_path) + "/", ""))
        for r in result.rejected
    ]
    assert worded == REJECTED_ZH


def test_the_rejects_file_of_the_fast_path_is_the_python_readers(tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", [HEADER, *ROWS])
    read(orders, fast=False)
    slow = (tmp_path / "orders.csv.rejects.csv").read_text("utf-8-sig")
    read(orders)
    fast = (tmp_path / "orders.csv.rejects.csv").read_text("utf-8-sig")
    assert fast == slow
    assert fast.splitlines()[:2] == [
        "row_number,column,reason_code,reason," + ",".join(HEADER),
        "9,paid_at,bad_time,不是有效时间（该月没有这一天）,A8,s2,2026-02-30 10:00,10,1,,,,,,,",
    ]


def test_a_short_refused_row_stays_short_in_the_rejects_file(tmp_path: Path) -> None:
    """DuckDB's reader pads a short row with empty cells; the rejects file shows the row as the
    file has it, on both paths alike."""
    short = ["B9", "s2", "2026-02-30 10:00", "10"]  # 4 of the header's 12 fields
    orders = write(tmp_path / "orders.csv", [HEADER, ROWS[0], short])
    read(orders, fast=False)
    slow = (tmp_path / "orders.csv.rejects.csv").read_text("utf-8-sig")
    _, rejected, result = read(orders)
    fast = (tmp_path / "orders.csv.rejects.csv").read_text("utf-8-sig")
    assert result.read_by == {str(orders): "sql"}
    assert rejected == [("orders.csv", 3, "paid_at: is not a time (day is out of range for month)")]
    assert fast == slow
    assert (
        fast.splitlines()[1]
        == "3,paid_at,bad_time,不是有效时间（该月没有这一天）,B9,s2,2026-02-30 10:00,10"
    )


def test_date_order_settles_dates_the_data_cannot(tmp_path: Path) -> None:
    rows = [HEADER, ["B1", "s1", "02/03/2026 10:00", "10", "1", "", "", "", "", "", ""]]
    orders = write(tmp_path / "orders.csv", rows)
    for fast in (True, False):
        with pytest.raises(InvalidInput, match="pass --date-order dmy or --date-order mdy"):
            read(orders, fast=fast)
        got, _, result = read(orders, fast=fast, date_order="dmy")
        assert [(r[0], r[2]) for r in got] == [("B1", utc("2026-03-02T02:00Z"))]
        assert list(result.read_by.values()) == ["sql" if fast else "python"]


def test_a_mixed_date_column_is_refused_alike(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["B1", "s1", "13/03/2026 10:00", "10", "1", "", "", "", "", "", ""],
        ["B2", "s1", "03/14/2026 10:00", "10", "1", "", "", "", "", "", ""],
    ]
    orders = write(tmp_path / "orders.csv", rows)
    messages = []
    for fast in (True, False):
        with pytest.raises(InvalidInput) as caught:
            read(orders, fast=fast)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert (
        "mixes day-first ('13/03/2026 10:00') and month-first ('03/14/2026 10:00')" in (messages[0])
    )


def test_a_day_first_column_reads_its_ambiguous_dates_day_first(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["B1", "s1", "13/03/2026 10:00", "10", "1", "", "", "", "", "", ""],
        ["B2", "s1", "02/03/2026 10:00", "10", "1", "", "", "", "", "", ""],
    ]
    orders = write(tmp_path / "orders.csv", rows)
    fast, _, result = read(orders)
    slow, _, _ = read(orders, fast=False)
    assert result.read_by == {str(orders): "sql"}
    assert (
        [(r[0], r[2]) for r in fast]
        == [(r[0], r[2]) for r in slow]
        == [
            ("B1", utc("2026-03-13T02:00Z")),
            ("B2", utc("2026-03-02T02:00Z")),
        ]
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda rows: rows[1].__setitem__(2, "1772416800"), "Unix seconds"),
        (lambda rows: rows.append(list(rows[1])), "a repeated order"),
        (lambda rows: rows[1].__setitem__(5, "浙江\n省"), "a line break in a cell"),
        (lambda rows: rows[1].__setitem__(9, "ｗ１"), "a waybill that is not ASCII"),
        (lambda rows: rows[1].append("extra"), "more cells than the header"),
        (lambda rows: rows.insert(2, []), "an empty line"),
        (lambda rows: rows[1].__setitem__(2, "２０２６-03-02 10:00"), "Unicode digits"),
    ],
)
def test_a_file_sql_cannot_decide_goes_to_the_python_reader_whole(
    tmp_path: Path, change: Any, why: str
) -> None:
    rows = [list(HEADER), *(list(r) for r in ROWS)]
    change(rows)
    orders = write(tmp_path / "orders.csv", rows)
    tracking = write(tmp_path / "scans.csv", SCANS)

    fast_rows, fast_rejected, fast = read(orders, tracking)
    slow_rows, slow_rejected, _ = read(orders, tracking, fast=False)

    assert fast.read_by == {str(orders): "python", str(tracking): "sql"}, why
    assert plain(fast_rows) == plain(slow_rows)
    assert fast_rejected == slow_rejected


def test_an_xlsx_export_is_read_by_the_python_reader(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in [HEADER, ROWS[0]]:
        ws.append(row)
    wb.save(tmp_path / "orders.xlsx")
    got, _, result = read(tmp_path / "orders.xlsx")
    assert result.read_by == {str(tmp_path / "orders.xlsx"): "python"}
    assert [r[0] for r in got] == ["A1"]


def test_utf8_at_the_head_and_gbk_further_down_is_read_as_the_python_reader_does(
    tmp_path: Path,
) -> None:
    """The reader sniffs 64 KiB; DuckDB refuses the GBK bytes further down, and the Python reader,
    which switches to GB18030, reads the file."""
    rows = [[*HEADER[:-1], "buyer_phone"]] + [
        [f"H{i}", "s1", "2026-03-02 10:00:00", "10", "1", "", "", "", "", "", ""]
        for i in range(2000)
    ]
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerows(rows)
    last = "Z1,店铺,2026-03-02 10:00:00,10,1,浙江省,,,,,\n"
    orders = tmp_path / "orders.csv"
    orders.write_bytes(head.getvalue().encode("ascii") + last.encode("gbk"))
    assert len(head.getvalue()) > 64 * 1024

    fast_rows, _, result = read(orders)
    slow_rows, _, _ = read(orders, fast=False)
    assert result.read_by == {str(orders): "python"}
    assert plain(fast_rows) == plain(slow_rows)
    assert [r[:2] for r in fast_rows if r[0] == "Z1"] == [("Z1", "店铺")]


@pytest.mark.parametrize(
    "cell",
    [
        "",
        " ",
        "a",
        "ab",
        " a",
        "a ",
        "\u3000顺丰\u3000",
        "a\u00a0",
        "\u2028",
        "e\u0301",  # a combining mark last: not white space
        "\u0301",
        "a\tb",
        "\ta b\r\n",
        "\x1c",  # white space to str.strip() though not to a regular expression's \s
        "é",
    ],
)
def test_a_cell_is_trimmed_as_str_strip_trims_it(cell: str) -> None:
    from lanshou.imports.sql_time import text_sql

    with duckdb.connect() as con:
        row = con.execute(f"SELECT {text_sql('c')} FROM (SELECT ?::VARCHAR AS c)", [cell])
        assert row.fetchall() == [(cell.strip() or None,)]
