"""`lanshou check`: olist sample against an independent SQL count; generic files; JSON shape."""

import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lanshou.batch.check import CheckInputError, CheckResult, render_table, run_check
from lanshou.batch.cli import check_command
from lanshou.domain.rules import load_profile
from lanshou.errors import InvalidInput
from lanshou.imports.shipments_table import export_reader

OLIST = Path("/work/shared/datasets/olist-sample")
SP = ZoneInfo("America/Sao_Paulo")
NOW = dt.datetime(2026, 1, 1, tzinfo=SP)


def _independent_olist_counts() -> dict[str, int]:
    """Plain sqlite over csv-module rows; shares no code with the engine."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE o (order_id, status, carrier)")
    db.execute("CREATE TABLE i (order_id, seller_id, limit_at)")
    with (OLIST / "olist_orders_dataset.csv").open(newline="", encoding="utf-8") as fh:
        db.executemany(
            "INSERT INTO o VALUES (?,?,?)",
            [
                (r["order_id"], r["order_status"], r["order_delivered_carrier_date"] or None)
                for r in csv.DictReader(fh)
            ],
        )
    with (OLIST / "olist_order_items_dataset.csv").open(newline="", encoding="utf-8") as fh:
        db.executemany(
            "INSERT INTO i VALUES (?,?,?)",
            [(r["order_id"], r["seller_id"], r["shipping_limit_date"]) for r in csv.DictReader(fh)],
        )
    q = """
    WITH s AS (SELECT i.order_id, i.seller_id, min(i.limit_at) AS lim, o.status, o.carrier
               FROM i JOIN o ON o.order_id = i.order_id GROUP BY i.order_id, i.seller_id)
    SELECT (SELECT count(*) FROM s),
           (SELECT count(*) FROM s WHERE status NOT IN ('canceled', 'unavailable')),
           (SELECT count(*) FROM s WHERE status NOT IN ('canceled', 'unavailable')
              AND (carrier > lim OR carrier IS NULL)),
           (SELECT count(*) FROM o WHERE order_id NOT IN (SELECT order_id FROM i)),
           (SELECT count(DISTINCT order_id) FROM i WHERE order_id NOT IN (SELECT order_id FROM o))
    """
    row = db.execute(q).fetchone()
    return dict(
        zip(
            ["shipments", "evaluated", "violations", "orphan_orders", "orphan_items"],
            row,
            strict=True,
        )
    )


def _olist_sample() -> CheckResult:
    return run_check(load_profile("olist"), export_reader("olist", OLIST), NOW)


def test_olist_sample_counts_match_an_independent_computation() -> None:
    result = _olist_sample()
    expected = _independent_olist_counts()
    assert {
        "shipments": result.shipments,
        "evaluated": result.evaluated,
        "violations": result.violation_counts["pickup_timeout"],
        "orphan_orders": result.orphan_orders,
        "orphan_items": result.orphan_items,
    } == expected
    assert expected["shipments"] > 100 and expected["violations"] > 0
    assert result.rejected == []
    data = result.to_json_dict()
    assert data["summary"]["compensation_total"] == "0.00"
    assert data["summary"]["open"] == 0
    v = data["violations"][0]
    assert list(v) == [
        "order_id",
        "shipment_key",
        "shop_id",
        "rule",
        "started_at",
        "deadline",
        "satisfied_at",
        "compensation",
        "fine",
        "auto_refund",
        "exempt",
    ]
    assert v["deadline"].endswith("-02:00") or v["deadline"].endswith("-03:00")
    deadlines = [x["deadline"] for x in data["violations"]]
    assert [dt.datetime.fromisoformat(d) for d in deadlines] == sorted(
        dt.datetime.fromisoformat(d) for d in deadlines
    )


ORDERS = """order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill
A1,s1,2026-03-02 10:00,50.00,1,浙江,,2026-03-03 09:00,ZTO,W1
A2,s1,bad,50.00,,,,,,
A3,s1,2026-03-02T10:00:00+08:00,600.00,2,,,2026-03-03 09:00,SF,W3
A4,s1,2026-03-02 10:00,5,1,,cancelled,,,
A5,s2,2026-03-09 10:00,20.00,,,,,,
A6,s2,2026-03-01 10:00,-1,,,,,,
"""
TRACKING = """carrier,waybill,time,status,location,description
zto,W1,2026-03-03 20:00,picked_up,杭州,已揽收
SF,W3,2026-03-04 20:00,awaiting_pickup,,
SF,W3,2026-03-05 20:00,in_transit,,
SF,W3,2026-03-05 2x,in_transit,,
SF,W3,2026-03-05 20:00,teleported,,
"""


def test_generic_check_json_exact(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS, "utf-8")
    (tmp_path / "tracking.csv").write_text(TRACKING, "utf-8")
    out = io.StringIO()
    rc = check_command(
        "douyin",
        export_reader("generic", tmp_path / "orders.csv", tracking=tmp_path / "tracking.csv"),
        "2026-03-10T00:00:00+08:00",
        True,
        "en",
        out,
    )
    assert rc == 0
    data = json.loads(out.getvalue())
    o, t = str(tmp_path / "orders.csv"), str(tmp_path / "tracking.csv")
    assert data == {
        "profile": "douyin",
        "now": "2026-03-10T00:00:00+08:00",
        "summary": {
            "shipments": 4,
            "evaluated": 3,
            "violations": {"ship_timeout": 0, "pickup_timeout": 1},
            "open": 1,
            "compensation_total": "3.00",
            "fine_total": "10.00",
            "auto_refund_total": "0.00",
        },
        "violations": [
            {
                "order_id": "A3",
                "shipment_key": "A3",
                "shop_id": "s1",
                "rule": "pickup_timeout",
                "started_at": "2026-03-03T09:00:00+08:00",
                "deadline": "2026-03-04T09:00:00+08:00",
                "satisfied_at": "2026-03-05T20:00:00+08:00",
                "compensation": "3.00",  # unit 300.00 -> 1 %
                "fine": "10.00",
                "auto_refund": "0.00",  # picked up before the refund was due (3/7 09:00)
                "exempt": False,
            }
        ],
        "rejected": [
            {
                "file": o,
                "row": 3,
                "column": "paid_at",
                "code": "bad_time",
                "reason": "paid_at: is not a time ('bad' is not a time)",
            },
            {
                "file": o,
                "row": 7,
                "column": "amount",
                "code": "bad_amount",
                "reason": "amount: '-1' is not a non-negative amount",
            },
            {
                "file": t,
                "row": 5,
                "column": "time",
                "code": "bad_time",
                "reason": "time: is not a time ('2026-03-05 2x' is not a time)",
            },
            {
                "file": t,
                "row": 6,
                "column": "status",
                "code": "unknown_status",
                "reason": "status: 'teleported' is not one of awaiting_pickup, created, "
                "delivered, exception, in_transit, out_for_delivery, picked_up, returned",
            },
        ],
    }


def test_unreadable_input_is_a_check_input_error(tmp_path: Path) -> None:
    douyin = load_profile("douyin")
    with pytest.raises(InvalidInput, match="no such file"):
        run_check(douyin, export_reader("generic", tmp_path / "missing.csv"), NOW)
    (tmp_path / "o.csv").write_text("id,shop\n1,2\n", "utf-8")
    with pytest.raises(InvalidInput, match="the header does not match"):
        run_check(douyin, export_reader("generic", tmp_path / "o.csv"), NOW)
    err = io.StringIO()
    assert check_command("douyin", export_reader("generic", tmp_path / "o.csv"), NOW, err=err) == 2
    assert err.getvalue().startswith("lanshou: ")
    (tmp_path / "o.csv").write_text(
        "order_id,shop_id,paid_at,amount\n1,s,2026-03-02 10:00,-1\n", "utf-8"
    )
    with pytest.raises(CheckInputError) as caught:
        run_check(douyin, export_reader("generic", tmp_path / "o.csv"), NOW)
    assert str(caught.value) == (
        f"no valid shipment could be read; 1 row(s) unreadable, the first {tmp_path / 'o.csv'}, "
        "row 2: amount: '-1' is not a non-negative amount"
    )
    assert caught.value.text("zh_CN") == (
        f"没有读到任何有效包裹；无法读取 1 行，第一行：{tmp_path / 'o.csv'} 第 2 行："
        "amount：「-1」不是有效金额（不能为负数）"
    )
    for lang, said in (
        (
            "zh-CN",
            f"lanshou: 没有读到任何有效包裹；无法读取 1 行，第一行：{tmp_path / 'o.csv'} 第 2 行：",
        ),
        ("en", "lanshou: no valid shipment could be read; 1 row(s) unreadable, the first "),
    ):
        err = io.StringIO()
        reader = export_reader("generic", tmp_path / "o.csv")
        assert check_command("douyin", reader, NOW, lang=lang, err=err) == 2
        assert err.getvalue().startswith(said)


def test_render_table_in_both_languages() -> None:
    result = _olist_sample()
    zh, en = render_table(result, "zh-CN"), render_table(result, "en")
    assert "包裹：" in zh and "无商品明细的订单" in zh
    assert "Shipments: " in en and "Orders without items" in en
