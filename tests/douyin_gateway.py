"""A local 抖店 gateway for the tests: the documented contract, enforced strictly.

It refuses what the real gateway refuses — a wrong app key or signature, a ``param_json`` body
that is not sorted and compact or has HTML escapes, a missing or expired access token, a page
larger than 100 — and can throttle (code 60000) and expire tokens on demand. The signature is
computed here from the documented recipe, independently of lanshou's code.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

TOKEN_PATHS = {"/token/create", "/token/refresh"}


def _keys_sorted(value: Any) -> bool:
    if isinstance(value, dict):
        keys = list(value)
        return keys == sorted(keys) and all(_keys_sorted(v) for v in value.values())
    if isinstance(value, list):
        return all(_keys_sorted(v) for v in value)
    return True


def refused(code: int, msg: str, sub_code: str, sub_msg: str = "") -> dict[str, Any]:
    return {
        "code": code,
        "msg": msg,
        "sub_code": sub_code,
        "sub_msg": sub_msg or msg,
        "log_id": "fake-log",
        "data": None,
    }


def _missing_route_fields(params: dict[str, Any]) -> str:
    """The first required registerPackageRoute field that is absent or empty, or ''."""
    receiver = params.get("receiver") or {}
    contact, address = receiver.get("contact") or {}, receiver.get("address") or {}
    checks: list[tuple[str, Any]] = [
        ("express", params.get("express")),
        ("track_no", params.get("track_no")),
        ("callback_url", params.get("callback_url")),
        ("receiver.contact.name", contact.get("name")),
        ("receiver.contact.phone", contact.get("phone")),
        *[
            (f"receiver.address.{part}.name", (address.get(part) or {}).get("name"))
            for part in ("province", "city", "town", "street")
        ],
        ("receiver.address.detail", address.get("detail")),
        ("cargo_list", params.get("cargo_list")),
    ]
    for i, item in enumerate(params.get("cargo_list") or []):
        for name in ("total_weight", "total_net_weight"):
            checks.append((f"cargo_list[{i}].{name}", isinstance(item.get(name), int) or None))
    return next((name for name, value in checks if value in (None, "", [], {})), "")


@dataclass
class FakeDouyinGateway:
    app_key: str
    app_secret: str
    shop_id: str
    clock: Callable[[], datetime]
    shop_name: str = "测试小店"
    token_ttl: timedelta = timedelta(days=7)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    detail_only: set[str] = field(default_factory=set)  # orders listed without logistics_info
    companies: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 7, "code": "shunfeng", "name": "顺丰速运"},
            {"id": 12, "code": "zhongtong", "name": "中通快递"},
            {"id": 99, "code": "xiaoshan", "name": "小山快运"},
        ]
    )
    throttle_next: int = 0
    auth_codes: set[str] = field(default_factory=set)  # tool-app codes, each usable once
    refuse_next: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → answer
    access_tokens: dict[str, datetime] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    logistics_added: list[dict[str, Any]] = field(default_factory=list)
    routes_registered: list[dict[str, Any]] = field(default_factory=list)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working now (refresh tokens still do)."""
        for token in self.access_tokens:
            self.access_tokens[token] = self.clock() - timedelta(seconds=1)

    def handle(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request)
        if answer["code"] != 10000:
            self.refusals.append(str(answer["sub_code"]))
        return httpx.Response(200, json=answer)

    def _answer(self, request: httpx.Request) -> dict[str, Any]:
        if request.method != "POST":
            return refused(40001, "method not allowed", "isv.method-not-allowed")
        query = dict(request.url.params)
        path = request.url.path
        body = request.content.decode()
        for name in ("app_key", "method", "timestamp", "v", "sign", "sign_method"):
            if name not in query:
                return refused(40001, f"missing {name}", "isv.missing-parameter")
        if query["app_key"] != self.app_key:
            return refused(30001, "app_key 不存在", "isv.app-key-invalid")
        if query["method"] != path.strip("/").replace("/", "."):
            return refused(40001, "method 与路径不符", "isv.method-invalid")
        if query["v"] != "2" or query["sign_method"] != "hmac-sha256":
            return refused(40001, "v / sign_method", "isv.parameter-invalid")
        try:
            params = json.loads(body)
        except ValueError:
            return refused(40004, "param_json 不是 JSON", "isv.param-json-invalid")
        compact = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if not _keys_sorted(json.loads(body, object_pairs_hook=dict)) or body != compact:
            return refused(40004, "param_json 未排序或不紧凑", "isv.param-json-invalid")
        if any(e in body for e in ("\\u003c", "\\u003e", "\\u0026")):
            return refused(40004, "param_json 含 HTML 转义", "isv.param-json-invalid")
        pattern = (
            f"{self.app_secret}app_key{self.app_key}method{query['method']}param_json{body}"
            f"timestamp{query['timestamp']}v2{self.app_secret}"
        )
        expected = hmac.new(self.app_secret.encode(), pattern.encode(), hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), query["sign"]):
            return refused(40003, "签名错误", "isv.sign-invalid")
        if abs(int(query["timestamp"]) - self.clock().timestamp()) > 600:
            return refused(40001, "timestamp 过期", "isv.timestamp-invalid")
        self.requests.append((path, params))
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return refused(60000, "流量超限", "isv.traffic-limited", "调用频率超限")
        if path in self.refuse_next:
            return self.refuse_next.pop(path)
        if path in TOKEN_PATHS:
            return self._token(path, params)
        token = query.get("access_token")
        if token not in self.access_tokens:
            return refused(30002, "access_token 无效", "isv.access-token-invalid")
        if self.access_tokens[token] <= self.clock():
            return refused(30002, "access_token 已过期", "isv.access-token-expired")
        handler = {
            "/order/searchList": self._search,
            "/order/orderDetail": self._detail,
            "/order/logisticsCompanyList": lambda p: self.companies,
            "/order/logisticsAdd": self._logistics_add,
            "/logistics/registerPackageRoute": self._register_route,
        }.get(path)
        if handler is None:
            return refused(40001, "未知方法", "isv.method-not-exist")
        data = handler(params)
        if isinstance(data, dict) and "sub_code" in data:
            return data
        return {
            "code": 10000,
            "msg": "success",
            "sub_code": "",
            "sub_msg": "",
            "log_id": "fake-log",
            "data": data,
        }

    def _issue(self) -> dict[str, Any]:
        n = next(self._serial)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.access_tokens[access] = self.clock() + self.token_ttl
        self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.token_ttl.total_seconds()),
            "scope": "SCOPE",
            "shop_id": self.shop_id,
            "shop_name": self.shop_name,
        }

    def _token(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if path == "/token/create" and params.get("grant_type") == "authorization_code":
            if params.get("code") not in self.auth_codes:
                return refused(50002, "授权码无效", "isv.business-failed:code-invalid")
            self.auth_codes.discard(params["code"])
        elif path == "/token/create":
            if params.get("grant_type") != "authorization_self":
                return refused(50002, "grant_type 错误", "isv.business-failed")
            if str(params.get("shop_id")) != self.shop_id:
                return refused(50002, "店铺未授权该应用", "isv.business-failed:shop-not-authorized")
        else:
            if params.get("grant_type") != "refresh_token":
                return refused(50002, "grant_type 错误", "isv.business-failed")
            if params.get("refresh_token") not in self.refresh_tokens:
                return refused(30002, "refresh_token 无效", "isv.refresh-token-invalid")
            self.refresh_tokens.discard(params["refresh_token"])
        return {
            "code": 10000,
            "msg": "success",
            "sub_code": "",
            "sub_msg": "",
            "log_id": "fake-log",
            "data": self._issue(),
        }

    def _search(self, params: dict[str, Any]) -> dict[str, Any]:
        size, page = int(params.get("size", 10)), int(params.get("page", 0))
        if size > 100 or size < 1 or page < 0:
            return refused(40004, "size 超过 100", "isv.parameter-invalid")
        start, end = int(params["update_time_start"]), int(params["update_time_end"])
        hits = sorted(
            (o for o in self.orders.values() if start <= o["update_time"] <= end),
            key=lambda o: (o["update_time"], o["order_id"]),
        )
        listed = []
        for order in hits[page * size : (page + 1) * size]:
            item = dict(order)
            if order["order_id"] in self.detail_only:
                item.pop("logistics_info", None)
            listed.append(item)
        return {"page": page, "size": size, "total": len(hits), "shop_order_list": listed}

    def _detail(self, params: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(params.get("shop_order_id")))
        if order is None:
            return refused(50002, "订单不存在", "isv.business-failed:order-not-found")
        return {"shop_order_detail": order}

    def _logistics_add(self, params: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(params.get("order_id")))
        if order is None:
            return refused(50002, "订单不存在", "isv.business-failed:order-not-found")
        if params.get("company_code") not in {c["code"] for c in self.companies}:
            return refused(50002, "物流公司编码错误", "isv.business-failed:company-invalid")
        if order["order_status"] not in (2, 105):
            return refused(50002, "订单状态不允许发货", "isv.business-failed:status")
        self.logistics_added.append(params)
        return {}

    def _register_route(self, params: dict[str, Any]) -> dict[str, Any]:
        """Required fields as the official Java SDK's ``@OpField(required = true)`` marks them
        (``com.doudian.open.api.logistics_registerPackageRoute.param``)."""
        missing = _missing_route_fields(params)
        if missing:
            return refused(40004, f"缺少必填参数 {missing}", "isv.parameter-invalid")
        if params["express"] not in {c["code"] for c in self.companies}:
            return refused(50002, "物流商编码错误", "isv.business-failed:express-invalid")
        self.routes_registered.append(params)
        return {}

    def put_order(
        self,
        order_id: str,
        *,
        updated: datetime,
        status: int = 2,
        paid: datetime | None = None,
        exp_ship: datetime | None = None,
        amount_fen: int = 5990,
        parcel: tuple[str, str, datetime] | None = None,
        province: str = "浙江省",
        post_tel: str = "",
        mask_post_tel: str = "1********35",
    ) -> dict[str, Any]:
        """An order as searchList answers it; ``parcel`` is (company code, waybill, ship time)."""
        paid = paid or updated
        order: dict[str, Any] = {
            "order_id": order_id,
            "shop_id": int(self.shop_id),
            "order_status": status,
            "pay_time": int(paid.timestamp()),
            "update_time": int(updated.timestamp()),
            "create_time": int(paid.timestamp()),
            "exp_ship_time": int(exp_ship.timestamp()) if exp_ship else 0,
            "ship_time": int(parcel[2].timestamp()) if parcel else 0,
            "pay_amount": amount_fen,
            "order_amount": amount_fen,
            "post_tel": post_tel,  # empty, or a ciphertext since 抖店 encrypts buyer data
            "mask_post_tel": mask_post_tel,  # e-commerce mask by default: no four digits
            "post_addr": {
                "province": {"name": province, "id": "33"},
                "city": {"name": "杭州市", "id": "3301"},
                "town": {"name": "西湖区", "id": "330106"},
                "street": {"name": "文新街道", "id": "330106011"},
                "detail": "",
                "encrypt_detail": "#enc-detail#",
            },
            "post_receiver": "",
            "encrypt_post_receiver": "#enc-name#",
            "encrypt_post_tel": "#enc-tel#",
            "sku_order_list": [
                {
                    "order_id": f"{order_id}-1",
                    "parent_order_id": order_id,
                    "product_name": "保温杯 <大号> & 礼盒",
                    "origin_amount": amount_fen,
                    "item_num": 1,
                }
            ],
            "logistics_info": [],
        }
        if parcel:
            names = {c["code"]: c["name"] for c in self.companies}
            order["logistics_info"] = [
                {
                    "tracking_no": parcel[1],
                    "company": parcel[0],
                    "company_name": names.get(parcel[0], parcel[0]),
                    "ship_time": int(parcel[2].timestamp()),
                    "delivery_id": "d1",
                }
            ]
        self.orders[order_id] = order
        return order
