"""Two shops may number their orders alike: `lanshou check` keys a shipment by (shop, order id),
so neither hides the other, and an exemption naming one shop leaves the other's order alone."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from lanshou.batch.cli import check_command
from lanshou.domain.rules import Exemption
from lanshou.imports.shipments_table import export_reader

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 10, tzinfo=CST)
ORDERS = (
    "order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill\n"
    "X1,s1,2026-03-02 10:00:00,50.00,1,浙江省,paid,,,\n"
    "X1,s2,2026-03-02 10:00:00,50.00,1,浙江省,paid,,,\n"
)


def _check(tmp_path: Path, exemptions: list[Exemption], fast: bool) -> dict[str, object]:
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, "utf-8")
    out, err = io.StringIO(), io.StringIO()
    rc = check_command(
        "douyin",
        export_reader("generic", orders, fast=fast),
        NOW,
        True,
        "en",
        out,
        err,
        exemptions=lambda: exemptions,
    )
    assert rc == 0, err.getvalue()
    data: dict[str, object] = json.loads(out.getvalue())
    return data


def test_the_same_order_id_in_two_shops_is_two_shipments(tmp_path: Path) -> None:
    for fast in (True, False):
        data = _check(tmp_path, [], fast)
        assert data["summary"] == {
            "shipments": 2,
            "evaluated": 2,
            "violations": {"ship_timeout": 2, "pickup_timeout": 0},
            "open": 0,
            "compensation_total": "6.00",
            "fine_total": "20.00",
            "auto_refund_total": "0.00",
        }
        violations = data["violations"]
        assert isinstance(violations, list)
        assert [(v["shop_id"], v["order_id"], v["fine"]) for v in violations] == [
            ("s1", "X1", "10.00"),
            ("s2", "X1", "10.00"),
        ]


def test_an_exemption_of_one_shop_spares_only_that_shops_order(tmp_path: Path) -> None:
    storm = Exemption(
        "fm-1",
        "force_majeure",
        dt.datetime(2026, 3, 3, tzinfo=CST),
        dt.datetime(2026, 3, 6, tzinfo=CST),
        shop_ids=frozenset({"s1"}),
    )
    data = _check(tmp_path, [storm], True)
    violations = data["violations"]
    assert isinstance(violations, list)
    assert [(v["shop_id"], v["exempt"], v["compensation"], v["fine"]) for v in violations] == [
        ("s1", True, "0.00", "0.00"),
        ("s2", False, "3.00", "10.00"),
    ]
