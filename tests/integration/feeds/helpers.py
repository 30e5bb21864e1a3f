"""Signed pushes built the way 快递100 and 快递鸟 document them, signatures computed here; an
order waiting to be marked shipped."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Order, Shipment
from tests.integration.web.world import bearer

K100_SALT = "salt-k100-abc"
KDN_KEY = "appkey-kdn-xyz"
KDN_ID = "1234567"


def configure_feeds(client: TestClient) -> None:
    admin = bearer(client, "admin")
    for body in (
        {"kind": "kuaidi100", "name": "快递100 主账号", "secret": K100_SALT},
        {"kind": "kdniao", "name": "快递鸟", "secret": KDN_KEY, "account_id": KDN_ID},
    ):
        response = client.post("/api/v1/feeds", json=body, headers=admin)
        assert response.status_code == 201, response.text


def k100_form(param: dict[str, Any], salt: str = K100_SALT) -> dict[str, str]:
    text = json.dumps(param, ensure_ascii=False)
    return {"param": text, "sign": hashlib.md5((text + salt).encode()).hexdigest().upper()}


def k100_param(
    nu: str,
    data: list[dict[str, Any]],
    *,
    state: str = "0",
    status: str = "polling",
    com: str = "shunfeng",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "status": status,
        "billstatus": "got",
        "message": extra.pop("message", ""),
        "lastResult": {
            "message": "ok",
            "state": state,
            "status": "200",
            "condition": "F00",
            "ischeck": "0",
            "com": com,
            "nu": nu,
            "data": sorted(data, key=lambda d: d["time"], reverse=True),
        },
        **extra,
    }


def scan(time: str, context: str, status: str | None = None) -> dict[str, Any]:
    item = {"context": context, "time": time, "ftime": time, "areaName": "浙江,杭州市"}
    if status is not None:
        item["status"] = status
    return item


def kdn_form(entries: list[dict[str, Any]], key: str = KDN_KEY) -> dict[str, str]:
    data = json.dumps(
        {
            "PushTime": "2026-11-04 12:00:00",
            "EBusinessID": KDN_ID,
            "Data": entries,
            "Count": str(len(entries)),
        },
        ensure_ascii=False,
    )
    digest = hashlib.md5((data + key).encode()).hexdigest()
    return {
        "RequestData": data,
        "DataSign": base64.b64encode(digest.encode()).decode(),
        "RequestType": "101",
    }


def kdn_entry(
    code: str,
    shipper: str,
    traces: list[tuple[str, str, str]],
    state: str = "2",
    state_ex: str = "2",
) -> dict[str, Any]:
    return {
        "EBusinessID": KDN_ID,
        "ShipperCode": shipper,
        "LogisticCode": code,
        "Success": True,
        "State": state,
        "StateEx": state_ex,
        "Traces": [
            {"AcceptTime": at, "AcceptStation": text, "Action": action}
            for at, text, action in traces
        ],
    }


def unshipped_order(sessions: sessionmaker[Session], ext: str, shop: int = 1) -> int:
    """A paid order of ``shop`` with one shipment and no waybill yet; returns the order id."""
    paid = datetime(2026, 11, 3, 9, tzinfo=timezone(timedelta(hours=8)))
    with sessions() as s:
        order = Order(
            shop_id=shop,
            external_id=ext,
            status="paid",
            paid_at=paid,
            amount_fen=5000,
            quantity=1,
            created_at=paid,
            updated_at=paid,
        )
        s.add(order)
        s.flush()
        s.add(
            Shipment(
                order_id=order.id,
                key=ext,
                status="created",
                amount_fen=5000,
                max_unit_price_fen=5000,
            )
        )
        s.commit()
        return order.id
