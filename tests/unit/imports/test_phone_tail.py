"""The buyer phone's tail (尾号): four trailing digits of a phone-shaped value, or nothing; the
Python reader and check's DuckDB path count the phones without a tail alike."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lanshou.domain.rules import load_profile
from lanshou.imports.mapping import load_mapping
from lanshou.imports.phone import phone_tail
from lanshou.imports.run import ImportSummary, ReadRun
from lanshou.imports.sql_orders import sql_orders
from lanshou.imports.stream import read_orders


@pytest.mark.parametrize(
    ("value", "tail"),
    [
        ("13800138000", "8000"),
        ("138****1234", "1234"),  # 抖店 export mask
        ("*******1035", "1035"),  # 即时零售 mask: the last four in clear
        ("+86 138-0013-8000", "8000"),
        ("(0571) 8888 6666", "6666"),
        ("1234", "1234"),
        ("1********35", None),  # e-commerce mask: two digits only
        ("123", None),
        ("0571-8888-123", None),  # an extension, not the number's end
        ("$Zm9vYmFy$1234$", None),  # a ciphertext
        ("#Zm9vYmFy1234", None),
        ("１３８００１３８０００", None),  # full-width digits are not read as digits
        ("138 0013 8000 ", None),  # callers trim; an untrimmed value is not phone-shaped
        ("", None),
        (None, None),
    ],
)
def test_phone_tail(value: str | None, tail: str | None) -> None:
    assert phone_tail(value) == tail


def test_both_readers_count_the_phones_without_a_tail(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,shop_id,paid_at,amount,联系电话\n"
        "P1,s1,2026-03-02 10:00,10,138****1234\n"
        "P2,s1,2026-03-02 10:00,10,1********35\n"
        "P3,s1,2026-03-02 10:00,10,\n"
        "P4,s1,2026-03-02 10:00,-1,1********35\n",  # a rejected row: no warning
        encoding="utf-8",
    )
    layout = load_mapping("generic")
    tz = load_profile("douyin").tz

    slow = ReadRun(ImportSummary("generic"))
    records = [r for chunk, _ in read_orders("generic", orders, layout, slow, tz=tz) for r in chunk]
    assert [(r.external_id, r.buyer_phone_tail) for r in records] == [
        ("P1", "1234"),
        ("P2", None),
        ("P3", None),
    ]

    fast = ReadRun(ImportSummary("generic"))
    with duckdb.connect() as con:
        table = sql_orders(
            con, orders, layout, fast, tz=tz, shop=None, date_order=None, scratch=tmp_path
        )
        assert table is not None
        tails = con.execute(
            f"SELECT order_id, buyer_phone_tail FROM {table} WHERE ok ORDER BY order_id"
        ).fetchall()
    assert tails == [("P1", "1234"), ("P2", None), ("P3", None)]
    assert (slow.summary.phones_without_tail, fast.summary.phones_without_tail) == (1, 1)
    assert (slow.summary.rejected, fast.summary.rejected) == (1, 1)
