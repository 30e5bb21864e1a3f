"""快递100 (kuaidi100) subscription pushes: signature, mapping tables, parsing.

A push is a form POST with ``param`` (JSON) and ``sign`` = uppercase hex MD5(param + salt), the
salt being the one given when the waybill was subscribed. ``param.status`` is the subscription's
state: ``polling`` (still watching), ``shutdown`` (finished, e.g. signed), ``abort`` (快递100 gave
up: no scan within 3 days or no change within 60 days — the feed has *stalled*), ``updateall``
(re-pushed everything, usually after the carrier was corrected: ``comOld`` → ``comNew``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from lanshou.domain.tracking import TrackingUpdate, normalise_waybill
from lanshou.feeds.errors import MalformedFeed
from lanshou.feeds.traces import Scan, label_trace, parse_local_time
from lanshou.orders import CarrierResolver

SOURCE = "kuaidi100"

# lastResult.state and data[].statusCode (basic and "advanced" codes) → our vocabulary.
STATE: dict[str, str] = {
    "0": "in_transit",  # 在途
    "1": "picked_up",  # 揽收
    "2": "exception",  # 疑难
    "3": "delivered",  # 签收
    "4": "returned",  # 退签
    "5": "out_for_delivery",  # 派件
    "6": "returned",  # 退回
    "7": "in_transit",  # 转单 / 转投
    "8": "in_transit",  # 清关
    "14": "exception",  # 拒签
    "101": "created",  # 已下单
    "102": "awaiting_pickup",  # 待揽收
    "103": "picked_up",  # 已揽收
    "1001": "in_transit",  # 到达派件城市
    "1002": "in_transit",  # 干线
    "1003": "in_transit",  # 转递
    "501": "out_for_delivery",  # 投柜或驿站
    "301": "delivered",  # 本人签收
    "302": "delivered",  # 派件异常后签收
    "303": "delivered",  # 代签
    "304": "delivered",  # 投柜或站签收
    "401": "exception",  # 已销单
    "402": "returned",  # 退签
    "201": "exception",  # 超时未签收
    "202": "exception",  # 超时未更新
    "203": "exception",  # 拒收
    "204": "exception",  # 派件异常
    "205": "exception",  # 柜或驿站超时未取
    "206": "exception",  # 无法联系
    "207": "exception",  # 超区
    "208": "exception",  # 滞留
    "209": "exception",  # 破损
    "210": "exception",  # 销单
    "10": "in_transit",  # 待清关
    "11": "in_transit",  # 清关中
    "12": "in_transit",  # 已清关
    "13": "exception",  # 清关异常
}

# data[].status as text (subscribe with resultv2=1 to get it).
STATUS_TEXT: dict[str, str] = {
    "在途": "in_transit",
    "揽收": "picked_up",
    "已揽收": "picked_up",
    "疑难": "exception",
    "签收": "delivered",
    "退签": "returned",
    "派件": "out_for_delivery",
    "退回": "returned",
    "转单": "in_transit",
    "转投": "in_transit",
    "清关": "in_transit",
    "拒签": "exception",
    "下单": "created",
    "已下单": "created",
    "待揽收": "awaiting_pickup",
    "干线": "in_transit",
    "到达派件城市": "in_transit",
    "投柜或驿站": "out_for_delivery",
    "已销单": "exception",
}

ACK_OK: dict[str, Any] = {"result": True, "returnCode": "200", "message": "成功"}


def sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode()).hexdigest().upper()  # noqa: S324 - their format


def verify(param: str, given: str, salt: str) -> bool:
    """Constant-time comparison, case-insensitive on the hex digits."""
    return hmac.compare_digest(sign(param, salt).encode(), given.strip().upper().encode())


def ack(ok: bool, message: str, return_code: str) -> dict[str, Any]:
    return ACK_OK if ok else {"result": False, "returnCode": return_code, "message": message}


@dataclass
class Kuaidi100Push:
    status: str
    message: str
    waybill: str
    com: str | None
    com_old: str | None
    com_new: str | None
    state: str | None
    updates: list[TrackingUpdate] = field(default_factory=list)

    @property
    def carrier_changed(self) -> bool:
        return bool(self.com_new) and (self.com_new or "") != (self.com_old or "")


def _scan_status(item: dict[str, Any]) -> str | None:
    code = item.get("statusCode")
    if code not in (None, "") and str(code) in STATE:
        return STATE[str(code)]
    text = item.get("status")
    return STATUS_TEXT.get(str(text).strip()) if text else None


def _obj(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedFeed(path, "an object is required")
    return value


def parse_push(param: str, carriers: CarrierResolver) -> Kuaidi100Push:
    """Read ``param``; carrier codes go through the resolver (unknown → ``None``)."""
    try:
        body = _obj(json.loads(param), "param")
    except json.JSONDecodeError as exc:
        raise MalformedFeed("param", f"not JSON ({exc.msg} at {exc.pos})") from exc
    status = str(body.get("status") or "polling")
    last = _obj(body.get("lastResult") or {}, "param.lastResult")
    waybill = normalise_waybill(str(last.get("nu") or ""))
    if not waybill:
        raise MalformedFeed("param.lastResult.nu", "the waybill number is missing")
    com_new = body.get("comNew") or None
    com = com_new or last.get("com") or None
    carrier_code = carriers.code(str(com)) if com else None
    state = str(last["state"]) if last.get("state") not in (None, "") else None
    data = last.get("data") or []
    if not isinstance(data, list):
        raise MalformedFeed("param.lastResult.data", "a list is required")
    scans: list[Scan] = []
    for i, item in enumerate(data):
        item = _obj(item, f"param.lastResult.data[{i}]")
        at = parse_local_time(
            item.get("time") or item.get("ftime"), f"param.lastResult.data[{i}].time"
        )
        scans.append(
            Scan(
                time=at,
                text=item.get("context"),
                location=item.get("areaName"),
                feed_status=_scan_status(item),
                raw=item,
            )
        )
    trace = {"com": com, "state": state, "status": status}
    updates = label_trace(
        scans,
        STATE.get(state or ""),
        waybill=waybill,
        carrier_code=carrier_code,
        source=SOURCE,
        extra_raw=trace,
    )
    return Kuaidi100Push(
        status=status,
        message=str(body.get("message") or ""),
        waybill=waybill,
        com=str(com) if com else None,
        com_old=body.get("comOld") or None,
        com_new=com_new,
        state=state,
        updates=updates,
    )
