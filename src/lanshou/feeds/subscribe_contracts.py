"""The two subscription requests, built and answered as the aggregators document them (no I/O).

快递100 ``poll`` (https://apifox.com/apidoc/project-514987/api-8567477; kuaidi100-api/php-demo
``src/subscribe.php``): a form POST to ``https://poll.kuaidi100.com/poll`` with ``schema=json``
and ``param`` = JSON {company, number, key, parameters{callbackurl, salt, resultv2, phone}}.
The ``salt`` is what 快递100 signs its pushes with (``sign`` = MD5(param + salt)), so it is the
integration's secret. It answers {result, returnCode, message}: 200 提交成功, 501 重复订阅
(already watched: success for us), 500 服务器错误 (try again), 600 bad key, 601 key expired,
700 bad request data, 701 carrier refused, 702 carrier not recognised
(https://cloud.tencent.com/developer/article/1828132).

快递鸟 1008 轨迹订阅 (the vendor's demos: a C# ``orderTracesSubByJson`` and Go ``Subscribe``
posting to ``https://api.kdniao.com/api/dist``): form fields ``RequestType=1008``,
``EBusinessID``, ``DataType=2``, ``RequestData`` (JSON {ShipperCode, LogisticCode,
CustomerName}) and ``DataSign`` = base64 of the lower-case hex MD5 of RequestData + AppKey,
URL-encoded by the form encoding. ``CustomerName`` is the last four digits of the sender's or
recipient's phone for 顺丰 (and 中通). It answers {EBusinessID, UpdateTime, Success, Reason}.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lanshou.feeds import kdniao
from lanshou.feeds.subscription_rules import Outcome, OutcomeKind

KUAIDI100_URL = "https://poll.kuaidi100.com/poll"
KDNIAO_URL = "https://api.kdniao.com/api/dist"

# lanshou carrier code → 快递100 company code (lower case, their 编码表) / 快递鸟 ShipperCode.
KUAIDI100_COMPANY: dict[str, str] = {
    "SF": "shunfeng",
    "ZTO": "zhongtong",
    "YTO": "yuantong",
    "YUNDA": "yunda",
    "STO": "shentong",
    "JT": "jtexpress",
    "EMS": "ems",
    "JD": "jd",
}
KDNIAO_SHIPPER: dict[str, str] = {
    "SF": "SF",
    "ZTO": "ZTO",
    "YTO": "YTO",
    "YUNDA": "YD",
    "STO": "STO",
    "JT": "JTSD",
    "EMS": "EMS",
    "JD": "JD",
}
# Carriers that answer only for a waybill given with a phone (its last four digits suffice).
KUAIDI100_NEEDS_PHONE = frozenset({"shunfeng", "shunfengkuaiyun", "zhongtong"})
KDNIAO_NEEDS_PHONE = frozenset({"SF", "ZTO"})

# 快递100 returnCode → what it means for us.
_KUAIDI100_CODES: dict[str, OutcomeKind] = {
    "200": OutcomeKind.SUBSCRIBED,
    "501": OutcomeKind.SUBSCRIBED,  # 重复订阅: the waybill is being watched already
    "500": OutcomeKind.RETRY,
    "600": OutcomeKind.REFUSED,
    "601": OutcomeKind.REFUSED,
    "700": OutcomeKind.REFUSED,
    "701": OutcomeKind.REFUSED,
    "702": OutcomeKind.REFUSED,
}


class CannotSubscribe(ValueError):
    """The request cannot be built (no code for the carrier, a phone the carrier needs)."""


@dataclass(frozen=True)
class Waybill:
    """What both requests need: the waybill, the carrier as the aggregator names it, a phone."""

    number: str
    aggregator_code: str
    phone: str | None = None


def phone_tail(phone: str | None) -> str | None:
    """The last four digits (all a carrier checks, and all we send); None without four."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


# Each aggregator's own names for our carriers. A kind without a table (a platform's route
# source, ``douyin``) is sent our code: its sender maps it through the platform's own list.
CODE_TABLES: dict[str, dict[str, str]] = {
    "kuaidi100": KUAIDI100_COMPANY,
    "kdniao": KDNIAO_SHIPPER,
}


def aggregator_code(kind: str, carrier_code: str | None) -> str:
    """Our carrier code as ``kind`` names it, or :class:`CannotSubscribe`."""
    table = CODE_TABLES.get(kind)
    code = (table or {}).get(carrier_code or "") if table is not None else carrier_code
    if code is None:
        raise CannotSubscribe(f"no {kind} code for carrier {carrier_code or '(unknown)'}")
    return code


def _phone_for(code: str, needs: frozenset[str], phone: str | None) -> str | None:
    tail = phone_tail(phone)
    if code in needs and tail is None:
        raise CannotSubscribe(f"{code} needs the shop's sender phone to subscribe")
    return tail if code in needs else None


def kuaidi100_form(waybill: Waybill, *, key: str, salt: str, callback_url: str) -> dict[str, str]:
    """The ``poll`` form; ``resultv2=4`` asks for the advanced states the push parser maps."""
    parameters: dict[str, str] = {"callbackurl": callback_url, "salt": salt, "resultv2": "4"}
    phone = _phone_for(waybill.aggregator_code, KUAIDI100_NEEDS_PHONE, waybill.phone)
    if phone:
        parameters["phone"] = phone
    param = {
        "company": waybill.aggregator_code,
        "number": waybill.number,
        "key": key,
        "parameters": parameters,
    }
    return {"schema": "json", "param": json.dumps(param, ensure_ascii=False, separators=(",", ":"))}


def kdniao_form(waybill: Waybill, *, business_id: str, app_key: str) -> dict[str, str]:
    """The 1008 form; the form encoding URL-encodes ``DataSign`` as the contract wants."""
    data: dict[str, str] = {
        "ShipperCode": waybill.aggregator_code,
        "LogisticCode": waybill.number,
    }
    phone = _phone_for(waybill.aggregator_code, KDNIAO_NEEDS_PHONE, waybill.phone)
    if phone:
        data["CustomerName"] = phone
    request_data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return {
        "RequestType": "1008",
        "EBusinessID": business_id,
        "DataType": "2",
        "RequestData": request_data,
        "DataSign": kdniao.sign(request_data, app_key),
    }


def _body(status_code: int, text: str) -> dict[str, Any] | Outcome:
    """The answer's JSON object, or the outcome an answer without one means: 429 slows us
    down, 5xx and unreadable answers are retried, another HTTP status is a refusal."""
    if status_code == 429:
        return Outcome(OutcomeKind.THROTTLED, "HTTP 429", text[:200])
    if status_code >= 500:
        return Outcome(OutcomeKind.RETRY, f"HTTP {status_code}", text[:200])
    if status_code != 200:
        return Outcome(OutcomeKind.REFUSED, f"HTTP {status_code}", text[:200])
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return Outcome(OutcomeKind.RETRY, f"HTTP {status_code}", "the answer is not JSON")
    return body


def kuaidi100_outcome(status_code: int, text: str) -> Outcome:
    """Read ``poll``'s answer; an unknown returnCode is retried rather than trusted."""
    body = _body(status_code, text)
    if isinstance(body, Outcome):
        return body
    code = str(body.get("returnCode") or "")
    kind = _KUAIDI100_CODES.get(code, OutcomeKind.RETRY)
    if kind is OutcomeKind.SUBSCRIBED and code == "200" and body.get("result") is not True:
        kind = OutcomeKind.RETRY  # 200 without result=true contradicts itself
    return Outcome(kind, code or f"HTTP {status_code}", str(body.get("message") or ""))


def kdniao_outcome(status_code: int, text: str) -> Outcome:
    """Read 1008's answer: ``Success`` true, or a refusal with its ``Reason``."""
    body = _body(status_code, text)
    if isinstance(body, Outcome):
        return body
    reason = str(body.get("Reason") or "")
    if body.get("Success") is True:
        return Outcome(OutcomeKind.SUBSCRIBED, str(body.get("ResultCode") or "100"), reason)
    return Outcome(OutcomeKind.REFUSED, str(body.get("ResultCode") or "Success=false"), reason)
