"""快递鸟 (kdniao) track pushes: signature, mapping tables, parsing.

A push is a form POST with ``RequestData`` (JSON), ``DataSign`` and ``RequestType`` (101 for
track pushes). ``DataSign`` = base64 of the *lowercase hex string* of MD5(RequestData + AppKey);
form decoding already undid the URL encoding. ``RequestData.Data`` holds one entry per waybill,
each with the **full** trace every time: dedup collapses the repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from lanshou.domain.tracking import TrackingUpdate, normalise_waybill
from lanshou.feeds.errors import MalformedFeed
from lanshou.feeds.traces import Scan, label_trace, parse_local_time
from lanshou.orders import CarrierResolver

SOURCE = "kdniao"
SHANGHAI = ZoneInfo("Asia/Shanghai")

STATE: dict[str, str | None] = {
    "0": None,  # 无轨迹: nothing to say yet
    "1": "picked_up",  # 已揽收
    "2": "in_transit",  # 在途中
    "3": "delivered",  # 签收
    "4": "exception",  # 问题件
}

# StateEx (trace level) and Action (per scan) share one code list.
STATE_EX: dict[str, str] = {
    "1": "picked_up",
    "2": "in_transit",
    "3": "delivered",
    "4": "exception",
    "10": "awaiting_pickup",  # 待揽件
    "201": "in_transit",  # 到达派件城市
    "202": "out_for_delivery",  # 派件中
    "204": "in_transit",  # 到达转运中心
    "205": "in_transit",  # 到达派件网点
    "206": "in_transit",  # 寄件网点发件
    "211": "out_for_delivery",  # 已放入快递柜或驿站
    "301": "delivered",  # 正常签收
    "302": "delivered",  # 派件异常后最终签收
    "304": "delivered",  # 代收签收
    "311": "delivered",  # 快递柜或驿站签收
    "401": "exception",  # 发货无信息
    "402": "exception",  # 超时未签收
    "403": "exception",  # 超时未更新
    "404": "exception",  # 拒收(退件)
    "405": "exception",  # 派件异常
    "406": "returned",  # 退货签收
    "407": "returned",  # 退货未签收
    "412": "exception",  # 快递柜或驿站超时未取
}


def sign(request_data: str, app_key: str) -> str:
    digest = hashlib.md5((request_data + app_key).encode()).hexdigest()  # noqa: S324 - their format
    return base64.b64encode(digest.encode()).decode()


def verify(request_data: str, given: str, app_key: str) -> bool:
    """Constant-time; a DataSign that arrives still URL-encoded (``%3D``) is decoded first."""
    given = given.strip()
    if "%" in given:
        given = unquote(given)
    return hmac.compare_digest(sign(request_data, app_key).encode(), given.encode())


def ack(business_id: str, now: datetime, ok: bool, reason: str = "") -> dict[str, Any]:
    return {
        "EBusinessID": business_id,
        "UpdateTime": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "Success": ok,
        "Reason": reason,
    }


@dataclass
class KdniaoPush:
    business_id: str
    updates: list[TrackingUpdate] = field(default_factory=list)
    waybills: list[str] = field(default_factory=list)


def business_id_of(request_data: str) -> str:
    """The account that pushed, read before verifying (it picks the AppKey to verify with)."""
    try:
        body = json.loads(request_data)
    except json.JSONDecodeError:
        return ""
    return str(body.get("EBusinessID") or "") if isinstance(body, dict) else ""


def parse_push(request_data: str, carriers: CarrierResolver) -> KdniaoPush:
    try:
        body = json.loads(request_data)
    except json.JSONDecodeError as exc:
        raise MalformedFeed("RequestData", f"not JSON ({exc.msg} at {exc.pos})") from exc
    if not isinstance(body, dict):
        raise MalformedFeed("RequestData", "an object is required")
    data = body.get("Data") or []
    if not isinstance(data, list):
        raise MalformedFeed("RequestData.Data", "a list is required")
    push = KdniaoPush(business_id=str(body.get("EBusinessID") or ""))
    for i, entry in enumerate(data):
        path = f"RequestData.Data[{i}]"
        if not isinstance(entry, dict):
            raise MalformedFeed(path, "an object is required")
        waybill = normalise_waybill(str(entry.get("LogisticCode") or ""))
        if not waybill:
            raise MalformedFeed(f"{path}.LogisticCode", "the waybill number is missing")
        shipper = str(entry.get("ShipperCode") or "") or None
        state_ex, state = str(entry.get("StateEx") or ""), str(entry.get("State") or "")
        trace_status = STATE_EX.get(state_ex) or STATE.get(state)
        traces = entry.get("Traces") or []
        if not isinstance(traces, list):
            raise MalformedFeed(f"{path}.Traces", "a list is required")
        scans = []
        for j, tr in enumerate(traces):
            if not isinstance(tr, dict):
                raise MalformedFeed(f"{path}.Traces[{j}]", "an object is required")
            at = parse_local_time(tr.get("AcceptTime"), f"{path}.Traces[{j}].AcceptTime")
            action = str(tr.get("Action") or "")
            scans.append(
                Scan(
                    time=at,
                    text=tr.get("AcceptStation"),
                    location=tr.get("Location"),
                    feed_status=STATE_EX.get(action),
                    raw=tr,
                )
            )
        trace = {"ShipperCode": shipper, "State": state, "StateEx": state_ex}
        push.waybills.append(waybill)
        push.updates.extend(
            label_trace(
                scans,
                trace_status,
                waybill=waybill,
                carrier_code=carriers.code(shipper) if shipper else None,
                source=SOURCE,
                extra_raw=trace,
            )
        )
    return push
