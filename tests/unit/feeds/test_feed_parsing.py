"""Signatures, mapping tables, status inference and carrier names, without a database."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from lanshou.adapters.db.models import Carrier
from lanshou.feeds import kdniao, kuaidi100
from lanshou.feeds.errors import MalformedFeed
from lanshou.orders.carriers import CarrierResolver

CST = timezone(timedelta(hours=8))
RESOLVER = CarrierResolver()


def test_kuaidi100_sign_is_uppercase_md5_of_param_and_salt() -> None:
    param = '{"status":"polling","lastResult":{"nu":"SF1"}}'
    expected = hashlib.md5((param + "s4lt").encode()).hexdigest().upper()
    assert kuaidi100.sign(param, "s4lt") == expected
    assert kuaidi100.verify(param, expected, "s4lt")
    assert kuaidi100.verify(param, expected.lower(), "s4lt")
    assert not kuaidi100.verify(param, expected, "other")
    assert not kuaidi100.verify(param + " ", expected, "s4lt")


def test_kdniao_sign_is_base64_of_the_lowercase_md5_hex() -> None:
    data = '{"EBusinessID":"1","Data":[]}'
    expected = base64.b64encode(hashlib.md5((data + "key").encode()).hexdigest().encode()).decode()
    assert kdniao.sign(data, "key") == expected
    assert kdniao.verify(data, expected, "key")
    assert kdniao.verify(data, expected.replace("=", "%3D"), "key")
    assert not kdniao.verify(data, expected, "kex")


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (("顺丰", "顺丰速运", "SF", "sf", "shunfeng"), "SF"),
        (("中通", "ZTO", "zhongtong"), "ZTO"),
        (("圆通", "YTO", "yuantong"), "YTO"),
        (("韵达", "YUNDA", "yunda", "YD"), "YUNDA"),
        (("申通", "STO", "shentong"), "STO"),
        (("极兔", "JT", "J&T", "Ｊ＆Ｔ", "jtexpress", "JTSD"), "JT"),
        (("邮政", "EMS", "ems", "youzhengguonei"), "EMS"),
        (("京东", "JD", "jd", "jingdong"), "JD"),
    ],
)
def test_every_spelling_resolves_to_one_carrier(names: tuple[str, ...], code: str) -> None:
    assert {RESOLVER.code(n) for n in names} == {code}


def test_unknown_names_stay_unknown_and_row_aliases_are_learnt() -> None:
    assert RESOLVER.code("火星快递") is None and RESOLVER.code("  ") is None
    row = Carrier(code="DBL", name_zh="德邦快递", name_en="Deppon", aliases=["debangwuliu"])
    assert CarrierResolver([row]).code("debangwuliu") == "DBL"


def _k100(data: list[dict[str, str]], state: str) -> list[tuple[str, datetime]]:
    param = json.dumps(
        {
            "status": "polling",
            "lastResult": {"state": state, "com": "zhongtong", "nu": "zt1", "data": data},
        }
    )
    push = kuaidi100.parse_push(param, RESOLVER)
    assert push.waybill == "ZT1" and {u.carrier_code for u in push.updates} <= {"ZTO"}
    return [(u.status, u.event_time) for u in push.updates]


def test_kuaidi100_per_scan_status_text_and_codes_win() -> None:
    got = _k100(
        [
            {"time": "2026-11-01 18:00:00", "context": "x", "statusCode": "1002"},
            {"time": "2026-11-01 15:00:00", "context": "y", "status": "揽收"},
            {"time": "2026-11-01 09:00:00", "context": "z", "statusCode": "102"},
        ],
        "0",
    )
    assert got == [
        ("awaiting_pickup", datetime(2026, 11, 1, 9, tzinfo=CST)),
        ("picked_up", datetime(2026, 11, 1, 15, tzinfo=CST)),
        ("in_transit", datetime(2026, 11, 1, 18, tzinfo=CST)),
    ]


def test_without_statuses_the_oldest_scan_does_not_prove_pickup() -> None:
    # The trace is in transit, but nothing says when it was collected: only the newest scan,
    # which the trace state vouches for, proves pickup.
    got = _k100(
        [
            {"time": "2026-11-02 08:00:00", "context": "【上海】运输中"},
            {"time": "2026-11-01 09:00:00", "context": "【杭州】包裹信息已录入"},
        ],
        "0",
    )
    assert [s for s, _ in got] == ["awaiting_pickup", "in_transit"]
    keywords = _k100(
        [
            {"time": "2026-11-02 08:00:00", "context": "快件已发往 上海"},
            {"time": "2026-11-01 15:00:00", "context": "【杭州】已揽收"},
            {"time": "2026-11-01 09:00:00", "context": "商家已下单"},
        ],
        "3",
    )
    assert [s for s, _ in keywords] == ["created", "picked_up", "in_transit"]


def test_kuaidi100_state_table_matches_the_documentation() -> None:
    expected = {
        "0": "in_transit",
        "1": "picked_up",
        "2": "exception",
        "3": "delivered",
        "4": "returned",
        "5": "out_for_delivery",
        "6": "returned",
        "7": "in_transit",
        "8": "in_transit",
        "14": "exception",
        "101": "created",
        "102": "awaiting_pickup",
        "103": "picked_up",
        "301": "delivered",
        "304": "delivered",
        "401": "exception",
    }
    assert {k: kuaidi100.STATE[k] for k in expected} == expected


def test_kuaidi100_malformed_params_name_the_path() -> None:
    with pytest.raises(MalformedFeed, match=r"^param: not JSON"):
        kuaidi100.parse_push("{", RESOLVER)
    with pytest.raises(MalformedFeed, match=r"^param\.lastResult\.nu: "):
        kuaidi100.parse_push('{"lastResult": {"data": []}}', RESOLVER)


def test_kdniao_actions_and_trace_state() -> None:
    data = json.dumps(
        {
            "EBusinessID": "1",
            "Data": [
                {
                    "ShipperCode": "YD",
                    "LogisticCode": "4300",
                    "State": "2",
                    "StateEx": "202",
                    "Traces": [
                        {
                            "AcceptTime": "2026-11-01 15:00:00",
                            "AcceptStation": "已揽件",
                            "Action": "1",
                        },
                        {"AcceptTime": "2026-11-02 10:00:00", "AcceptStation": "运输中"},
                    ],
                }
            ],
        }
    )
    push = kdniao.parse_push(data, RESOLVER)
    assert [(u.status, u.carrier_code) for u in push.updates] == [
        ("picked_up", "YUNDA"),
        ("out_for_delivery", "YUNDA"),
    ]
    assert kdniao.STATE_EX["10"] == "awaiting_pickup" and kdniao.STATE_EX["402"] == "exception"
    assert kdniao.STATE["0"] is None and kdniao.STATE["4"] == "exception"
