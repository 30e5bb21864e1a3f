"""Subscription requests, answers, back-off and what 快递100's pushes mean: pure, exact values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lanshou.feeds.subscribe_contracts import (
    CannotSubscribe,
    Waybill,
    aggregator_code,
    kdniao_form,
    kdniao_outcome,
    kuaidi100_form,
    kuaidi100_outcome,
    phone_tail,
)
from lanshou.feeds.subscription_rules import (
    Outcome,
    OutcomeKind,
    PushDecision,
    RetryPolicy,
    SubState,
    after_attempt,
    on_kuaidi100_push,
)

NOW = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)
CALLBACK = "https://lanshou.example/api/v1/tracking/kuaidi100"
MINUTE = timedelta(minutes=1)


def test_the_kuaidi100_poll_form_is_schema_json_and_compact_param_with_the_phone_tail() -> None:
    form = kuaidi100_form(
        Waybill("SF1234567890", "shunfeng", "138-0013-8000"),
        key="KEY1",
        salt="salt-k100-abc",
        callback_url=CALLBACK,
    )
    assert form == {
        "schema": "json",
        "param": '{"company":"shunfeng","number":"SF1234567890","key":"KEY1",'
        '"parameters":{"callbackurl":"https://lanshou.example/api/v1/tracking/kuaidi100",'
        '"salt":"salt-k100-abc","resultv2":"4","phone":"8000"}}',
    }


def test_carriers_that_need_no_phone_get_none_even_when_the_shop_has_one() -> None:
    form = kuaidi100_form(
        Waybill("YT1", "yuantong", "13800138000"), key="K", salt="S", callback_url=CALLBACK
    )
    assert json.loads(form["param"])["parameters"] == {
        "callbackurl": CALLBACK,
        "salt": "S",
        "resultv2": "4",
    }
    data = kdniao_form(Waybill("YT1", "YTO", "13800138000"), business_id="1", app_key="k")
    assert data["RequestData"] == '{"ShipperCode":"YTO","LogisticCode":"YT1"}'


def test_the_kdniao_1008_form_signs_request_data_as_base64_of_the_lower_hex_md5() -> None:
    form = kdniao_form(
        Waybill("SF1234567890", "SF", "138-0013-8000"),
        business_id="1234567",
        app_key="appkey-kdn-xyz",
    )
    assert form == {
        "RequestType": "1008",
        "EBusinessID": "1234567",
        "DataType": "2",
        "RequestData": '{"ShipperCode":"SF","LogisticCode":"SF1234567890","CustomerName":"8000"}',
        # md5 = 824e3cdc50d16055125ac6c42d9ef53f, base64 of those 32 lower-case characters
        "DataSign": "ODI0ZTNjZGM1MGQxNjA1NTEyNWFjNmM0MmQ5ZWY1M2Y=",
    }


def test_a_request_that_cannot_be_built_says_why() -> None:
    with pytest.raises(CannotSubscribe, match="shunfeng needs the shop's sender phone"):
        kuaidi100_form(Waybill("SF1", "shunfeng", None), key="K", salt="S", callback_url=CALLBACK)
    with pytest.raises(CannotSubscribe, match="ZTO needs the shop's sender phone"):
        kdniao_form(Waybill("ZT1", "ZTO", "12"), business_id="1", app_key="k")
    with pytest.raises(CannotSubscribe, match=r"no kuaidi100 code for carrier \(unknown\)"):
        aggregator_code("kuaidi100", None)
    assert (aggregator_code("kuaidi100", "YUNDA"), aggregator_code("kdniao", "YUNDA")) == (
        "yunda",
        "YD",
    )
    assert (phone_tail("0571-8888 1234"), phone_tail("123"), phone_tail(None)) == (
        "1234",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"result": True, "returnCode": "200", "message": "提交成功"}, "subscribed"),
        (200, {"result": False, "returnCode": "501", "message": "重复订阅"}, "subscribed"),
        (200, {"result": False, "returnCode": "500", "message": "服务器错误"}, "retry"),
        (200, {"result": False, "returnCode": "600", "message": "key"}, "refused"),
        (200, {"result": False, "returnCode": "601", "message": "expired"}, "refused"),
        (200, {"result": False, "returnCode": "700", "message": "data"}, "refused"),
        (200, {"result": False, "returnCode": "701", "message": "carrier"}, "refused"),
        (200, {"result": False, "returnCode": "702", "message": "unknown"}, "refused"),
        (200, {"result": False, "returnCode": "200", "message": "?"}, "retry"),
        (200, {"result": False, "returnCode": "999", "message": "new"}, "retry"),
        (429, {"message": "slow"}, "throttled"),
        (503, {"message": "down"}, "retry"),
        (404, {"message": "no"}, "refused"),
    ],
)
def test_kuaidi100_answers(status: int, body: dict[str, object], expected: str) -> None:
    assert kuaidi100_outcome(status, json.dumps(body)).kind == expected


def test_answers_keep_the_aggregators_code_and_message() -> None:
    answer = json.dumps({"result": False, "returnCode": "600", "message": "您不是合法的订阅者"})
    assert kuaidi100_outcome(200, answer) == Outcome(
        OutcomeKind.REFUSED, "600", "您不是合法的订阅者"
    )
    assert kuaidi100_outcome(200, "<html>") == Outcome(
        OutcomeKind.RETRY, "HTTP 200", "the answer is not JSON"
    )
    refusal = json.dumps({"EBusinessID": "1", "Success": False, "Reason": "数据签名错误"})
    assert kdniao_outcome(200, refusal) == Outcome(
        OutcomeKind.REFUSED, "Success=false", "数据签名错误"
    )
    accepted = json.dumps({"EBusinessID": "1", "Success": True, "Reason": ""})
    assert kdniao_outcome(200, accepted) == Outcome(OutcomeKind.SUBSCRIBED, "100", "")
    assert kdniao_outcome(502, "bad gateway").kind is OutcomeKind.RETRY


def test_the_back_off_doubles_from_one_minute_and_stops_at_six_hours() -> None:
    policy = RetryPolicy()
    assert policy.schedule() == [MINUTE * n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256)]
    assert policy.delay(10) == timedelta(hours=6)
    assert policy.delay(200) == timedelta(hours=6)
    with pytest.raises(ValueError, match="failures counts from 1"):
        policy.delay(0)


def test_after_an_attempt_a_row_is_subscribed_retried_or_failed() -> None:
    policy = RetryPolicy()
    ok = Outcome(OutcomeKind.SUBSCRIBED, "200", "提交成功")
    down = Outcome(OutcomeKind.RETRY, "500", "服务器错误")
    slow = Outcome(OutcomeKind.THROTTLED, "HTTP 429", "")
    bad = Outcome(OutcomeKind.REFUSED, "600", "您不是合法的订阅者")
    assert after_attempt(ok, 3, NOW, policy).state is SubState.SUBSCRIBED
    assert after_attempt(ok, 3, NOW, policy).attempts == 0
    first = after_attempt(down, 0, NOW, policy)
    assert (first.state, first.next_attempt_at, first.attempts, first.error) == (
        SubState.PENDING,
        NOW + MINUTE,
        1,
        "500: 服务器错误",
    )
    assert after_attempt(slow, 2, NOW, policy).next_attempt_at == NOW + 4 * MINUTE
    last = after_attempt(down, 9, NOW, policy)
    assert (last.state, last.next_attempt_at, last.attempts) == (SubState.FAILED, None, 10)
    refused = after_attempt(bad, 0, NOW, policy)
    assert (refused.state, refused.error) == (SubState.FAILED, "600: 您不是合法的订阅者")


def _push(
    status: str, com_new: str | None = None, *, done: bool = False, resubscribed: int = 0
) -> PushDecision:
    return on_kuaidi100_push(
        status,
        com_new,
        parcel_done=done,
        resubscriptions=resubscribed,
        now=NOW,
        policy=RetryPolicy(),
    )


def test_an_abort_stalls_the_feed_and_resubscribes_half_an_hour_later() -> None:
    stalled = _push("abort")
    assert (stalled.state, stalled.resubscribe_at, stalled.aggregator_code) == (
        SubState.STALLED,
        NOW + timedelta(minutes=30),
        None,
    )
    corrected = _push("abort", "zhongtong")
    assert (corrected.state, corrected.aggregator_code) == (SubState.STALLED, "zhongtong")
    watched = _push("polling", "zhongtong")
    assert (watched.state, watched.resubscribe_at, watched.aggregator_code) == (
        SubState.SUBSCRIBED,
        None,
        "zhongtong",
    )
    assert _push("shutdown").state is SubState.FINISHED


def test_a_delivered_parcel_or_a_used_up_month_is_not_resubscribed() -> None:
    done, used_up = _push("abort", done=True), _push("abort", resubscribed=3)
    assert (done.state, done.resubscribe_at) == (SubState.STALLED, None)
    assert (used_up.state, used_up.resubscribe_at) == (SubState.STALLED, None)
    assert _push("abort", resubscribed=2).resubscribe_at == NOW + timedelta(minutes=30)
