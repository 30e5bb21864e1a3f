"""Reading a 抖店 route push (both node shapes the SDKs show) and its callback token."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from lanshou.feeds import douyin_route
from lanshou.feeds.errors import MalformedFeed
from lanshou.orders.carriers import CarrierResolver

RESOLVER = CarrierResolver()
T = [datetime(2026, 11, 4, h, 0, tzinfo=UTC) for h in (1, 2, 3)]


def _body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def test_query_package_route_shape_maps_opcode_then_text() -> None:
    # The oldest scan's text says nothing: only its opcode proves the parcel moving (without
    # it, the oldest scan would be awaiting_pickup).
    oldest = {
        "content": "【杭州中转场】 操作完成",
        "state": "0",
        "state_time": str(int(T[0].timestamp())),
        "opcode": "TRANS_ARRIVE",
    }
    body = _body(
        {
            "track_no": " sf300 ",
            "express": "shunfeng",
            "track_routes": [  # newest first: the parser orders by time
                {"content": "快件已签收", "state": "3", "state_time": int(T[2].timestamp())},
                {"content": "快递员正在派送", "state_time": int(T[1].timestamp()) * 1000},
                oldest,
            ],
        }
    )
    push = douyin_route.parse_route(body, RESOLVER, {"shunfeng": "SF"})
    assert (push.waybill, push.express) == ("SF300", "shunfeng")
    assert [(u.status, u.event_time, u.carrier_code, u.source) for u in push.updates] == [
        ("in_transit", T[0], "SF", "douyin"),
        ("out_for_delivery", T[1], "SF", "douyin"),
        ("delivered", T[2], "SF", "douyin"),
    ]
    assert push.updates[0].raw == {**oldest, "_trace": {"express": "shunfeng"}}
    unmapped = _body({"track_no": "SF300", "track_routes": [{**oldest, "opcode": "OTHER"}]})
    (update,) = douyin_route.parse_route(unmapped, RESOLVER).updates
    assert (update.status, update.carrier_code) == ("awaiting_pickup", None)


def test_track_no_route_detail_shape_inside_data_is_read_too() -> None:
    body = _body(
        {
            "data": {
                "track_info": {"track_no": "YT9", "express": "yuantong"},
                "route__node_list": [
                    {
                        "content": "派件员正在派件",
                        "timestamp": str(int(T[0].timestamp())),
                        "state": "x",
                        "state_description": "派件",
                        "site_name": "杭州西湖网点",
                    }
                ],
            }
        }
    )
    push = douyin_route.parse_route(body, RESOLVER)
    (update,) = push.updates
    assert (update.waybill_no, update.status, update.location, update.carrier_code) == (
        "YT9",
        "out_for_delivery",
        "杭州西湖网点",
        "YTO",
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe", "body: not JSON"),
        (_body([]), "body: an object is required"),
        (_body({"track_routes": []}), "track_no: the waybill number is missing"),
        (_body({"track_no": "A1", "track_routes": {}}), "track_routes: a list is required"),
        (_body({"track_no": "A1", "track_routes": [3]}), "track_routes[0]: an object is required"),
        (
            _body({"track_no": "A1", "track_routes": [{"content": " ", "state_time": 1}]}),
            "track_routes[0].content: the scan text is missing",
        ),
        (
            _body({"track_no": "A1", "track_routes": [{"content": "到达", "state_time": True}]}),
            "track_routes[0].state_time: Unix seconds are required",
        ),
    ],
)
def test_a_malformed_push_names_the_field(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedFeed) as refused:
        douyin_route.parse_route(body, RESOLVER)
    assert refused.value.message == problem


def test_the_token_is_hmac_of_shop_and_normalised_waybill() -> None:
    expected = hmac.new(b"key-123456", b"880001|SF300", hashlib.sha256).hexdigest()
    assert douyin_route.callback_token("key-123456", "880001", "sf300") == expected
    assert douyin_route.verify_token("key-123456", "880001", "SF300", expected.upper())
    assert not douyin_route.verify_token("key-123456", "880002", "SF300", expected)
    assert not douyin_route.verify_token("other-key", "880001", "SF300", expected)
