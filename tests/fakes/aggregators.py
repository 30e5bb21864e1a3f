"""Local stand-ins for 快递100's ``poll`` and 快递鸟's 1008 subscription, strict about the contract.

Each is a real HTTP server on 127.0.0.1 (a thread), so the real client, its egress guard and its
form encoding are what is tested. They refuse what the real services refuse (a wrong key or
DataSign, a missing field, 顺丰/中通 without a phone, a second subscription of a watched waybill)
and can be told to throttle (HTTP 429) or fail (HTTP 500 / returnCode 500) for the next n calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus

Answer = tuple[int, dict[str, Any]]

K100_COMPANIES = frozenset(
    {"shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd"}
)
K100_NEED_PHONE = frozenset({"shunfeng", "shunfengkuaiyun", "zhongtong"})
KDN_SHIPPERS = frozenset({"SF", "ZTO", "YTO", "YD", "STO", "JTSD", "EMS", "JD"})
KDN_NEED_PHONE = frozenset({"SF", "ZTO"})


@dataclass
class _Trouble:
    throttle: int = 0
    fail: int = 0


@dataclass
class FakeAggregator:
    """The server and what both fakes share: the request log and trouble on demand."""

    requests: list[dict[str, str]] = field(default_factory=list)
    trouble: _Trouble = field(default_factory=_Trouble)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status, body = owner._answer(self.headers.get("Content-Type") or "", raw)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def throttle(self, times: int) -> None:
        self.trouble.throttle = times

    def fail(self, times: int) -> None:
        self.trouble.fail = times

    def _answer(self, content_type: str, raw: str) -> Answer:
        with self._lock:
            if not content_type.startswith("application/x-www-form-urlencoded"):
                return 415, {"message": "form posts only"}
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            self.requests.append(form)
            if self.trouble.throttle:
                self.trouble.throttle -= 1
                return 429, {"message": "too many requests"}
            return self.handle(raw, form)

    def handle(self, raw: str, form: dict[str, str]) -> Answer:
        raise NotImplementedError


@dataclass
class FakeKuaidi100(FakeAggregator):
    """``poll``: {result, returnCode, message}; 501 while a waybill is watched."""

    key: str = "k100-customer-key"
    watched: set[tuple[str, str]] = field(default_factory=set)
    per_month: Counter[tuple[str, str]] = field(default_factory=Counter)
    accepted: list[dict[str, Any]] = field(default_factory=list)

    def stop_watching(self, company: str, number: str) -> None:
        """What an ``abort`` means on their side: the waybill may be subscribed again."""
        self.watched.discard((company, number))

    def handle(self, raw: str, form: dict[str, str]) -> Answer:
        if self.trouble.fail:
            self.trouble.fail -= 1
            return 200, _k100(False, "500", "服务器错误")
        if form.get("schema") != "json" or "param" not in form:
            return 200, _k100(False, "700", "schema=json and param are required")
        try:
            param = json.loads(form["param"])
        except json.JSONDecodeError:
            return 200, _k100(False, "700", "param is not JSON")
        parameters = param.get("parameters") if isinstance(param, dict) else None
        if not isinstance(parameters, dict):
            return 200, _k100(False, "700", "parameters is required")
        if param.get("key") != self.key:
            return 200, _k100(False, "600", "您不是合法的订阅者")
        company, number = str(param.get("company") or ""), str(param.get("number") or "")
        if company != company.lower() or company not in K100_COMPANIES:
            return 200, _k100(False, "700", f"不支持的快递公司 {company!r}")
        if not 0 < len(number) <= 32:
            return 200, _k100(False, "700", "单号为空或超长")
        callback = str(parameters.get("callbackurl") or "")
        if not callback.startswith(("http://", "https://")):
            return 200, _k100(False, "700", "错误的回调地址")
        phone = str(parameters.get("phone") or "")
        if company in K100_NEED_PHONE and not (len(phone) >= 4 and phone.isdigit()):
            return 200, _k100(False, "700", "顺丰、中通单号需提供手机号")
        if (company, number) in self.watched or self.per_month[(company, number)] >= 4:
            return 200, _k100(False, "501", "重复订阅")
        self.watched.add((company, number))
        self.per_month[(company, number)] += 1
        self.accepted.append(param)
        return 200, _k100(True, "200", "提交成功")


def _k100(result: bool, code: str, message: str) -> dict[str, Any]:
    return {"result": result, "returnCode": code, "message": message}


def kdniao_sign(request_data: str, app_key: str) -> str:
    digest = hashlib.md5((request_data + app_key).encode()).hexdigest()
    return base64.b64encode(digest.encode()).decode()


@dataclass
class FakeKdniao(FakeAggregator):
    """1008: {EBusinessID, UpdateTime, Success, Reason}; checks DataSign on the decoded form
    and that the raw body carried it URL-encoded."""

    business_id: str = "1234567"
    app_key: str = "appkey-kdn-xyz"
    accepted: list[dict[str, Any]] = field(default_factory=list)

    def _reply(self, ok: bool, reason: str = "") -> Answer:
        body = {
            "EBusinessID": self.business_id,
            "UpdateTime": "2026-11-04 12:00:00",
            "Success": ok,
            "Reason": reason,
        }
        return 200, body

    def handle(self, raw: str, form: dict[str, str]) -> Answer:
        if self.trouble.fail:
            self.trouble.fail -= 1
            return 500, {"message": "internal error"}
        missing = [
            name
            for name in ("RequestType", "EBusinessID", "RequestData", "DataSign", "DataType")
            if not form.get(name)
        ]
        if missing:
            return self._reply(False, f"缺少必要参数 {','.join(missing)}")
        if form["RequestType"] != "1008" or form["DataType"] != "2":
            return self._reply(False, "RequestType 1008 and DataType 2 are required")
        if form["EBusinessID"] != self.business_id:
            return self._reply(False, "用户ID不存在")
        raw_sign = next(p.split("=", 1)[1] for p in raw.split("&") if p.startswith("DataSign="))
        if any(c in raw_sign for c in "=+/"):
            return self._reply(False, "DataSign must be URL-encoded")
        if unquote_plus(raw_sign) != kdniao_sign(form["RequestData"], self.app_key):
            return self._reply(False, "数据签名错误")
        try:
            data = json.loads(form["RequestData"])
        except json.JSONDecodeError:
            return self._reply(False, "RequestData is not JSON")
        shipper, code = str(data.get("ShipperCode") or ""), str(data.get("LogisticCode") or "")
        if shipper not in KDN_SHIPPERS or not code:
            return self._reply(False, "ShipperCode and LogisticCode are required")
        customer = str(data.get("CustomerName") or "")
        if shipper in KDN_NEED_PHONE and not (len(customer) == 4 and customer.isdigit()):
            return self._reply(False, "CustomerName (phone tail) is required for this carrier")
        self.accepted.append(data)
        return self._reply(True)
