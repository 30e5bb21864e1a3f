"""The local doubles refuse what the real services refuse, so passing against them means
something: an unsigned or wrongly encoded 快递鸟 request, a wrong 快递100 key, a missing phone, a
second subscription of a watched waybill."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.aggregators import FakeKdniao, FakeKuaidi100, kdniao_sign


@pytest.fixture
def k100() -> Iterator[FakeKuaidi100]:
    fake = FakeKuaidi100(key="KEY")
    yield fake
    fake.close()


@pytest.fixture
def kdn() -> Iterator[FakeKdniao]:
    fake = FakeKdniao(business_id="1", app_key="APPKEY")
    yield fake
    fake.close()


def _poll(fake: FakeKuaidi100, **param: object) -> dict[str, object]:
    base: dict[str, object] = {
        "company": "shunfeng",
        "number": "SF1",
        "key": "KEY",
        "parameters": {"callbackurl": "https://x.example/cb", "salt": "s", "phone": "8000"},
    }
    body = {"schema": "json", "param": json.dumps({**base, **param})}
    return dict(httpx.post(fake.url, data=body).json())


def test_the_kuaidi100_double_answers_as_poll_documents(k100: FakeKuaidi100) -> None:
    assert _poll(k100, key="WRONG")["returnCode"] == "600"
    no_phone = {"callbackurl": "https://x.example/cb", "salt": "s"}
    assert _poll(k100, parameters=no_phone)["returnCode"] == "700"
    assert _poll(k100, company="SHUNFENG")["returnCode"] == "700"  # codes are lower case
    assert _poll(k100) == {"result": True, "returnCode": "200", "message": "提交成功"}
    assert _poll(k100)["returnCode"] == "501"  # watched already
    k100.fail(1)
    assert _poll(k100, number="SF2")["returnCode"] == "500"
    k100.throttle(1)
    assert httpx.post(k100.url, data={"schema": "json", "param": "{}"}).status_code == 429
    assert httpx.post(k100.url, json={"schema": "json"}).status_code == 415  # form posts only


def test_the_kdniao_double_checks_data_sign_and_its_url_encoding(kdn: FakeKdniao) -> None:
    data = '{"ShipperCode":"YTO","LogisticCode":"YT1"}'
    form = {"RequestType": "1008", "EBusinessID": "1", "DataType": "2", "RequestData": data}
    sign = kdniao_sign(data, "APPKEY")
    assert httpx.post(kdn.url, data={**form, "DataSign": sign}).json()["Success"] is True
    wrong = httpx.post(kdn.url, data={**form, "DataSign": kdniao_sign(data, "OTHER")}).json()
    assert (wrong["Success"], wrong["Reason"]) == (False, "数据签名错误")
    raw = "&".join(f"{k}={v}" for k, v in {**form, "DataSign": sign}.items())  # not encoded
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    unencoded = httpx.post(kdn.url, content=raw.encode(), headers=headers).json()
    assert (unencoded["Success"], unencoded["Reason"]) == (False, "DataSign must be URL-encoded")
    missing = httpx.post(kdn.url, data={"RequestType": "1008"}).json()
    assert missing["Reason"] == "缺少必要参数 EBusinessID,RequestData,DataSign,DataType"
    sf = '{"ShipperCode":"SF","LogisticCode":"SF1"}'
    no_phone = {**form, "RequestData": sf, "DataSign": kdniao_sign(sf, "APPKEY")}
    assert httpx.post(kdn.url, data=no_phone).json()["Success"] is False
    assert kdn.accepted == [{"ShipperCode": "YTO", "LogisticCode": "YT1"}]
