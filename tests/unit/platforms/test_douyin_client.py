"""The gateway client against the local fake gateway: tokens, throttling, expiry, refusals."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.douyin_gateway import FakeDouyinGateway

from lanshou.adapters.platforms.douyin import (
    AccessTokenExpired,
    Credentials,
    DouyinClient,
    DouyinError,
    Token,
    TrafficLimited,
)

START = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(clock: Clock) -> FakeDouyinGateway:
    return FakeDouyinGateway("app-1", "s3cret-app", "880001", clock)


def _client(gateway: FakeDouyinGateway, clock: Clock, secret: str = "s3cret-app") -> DouyinClient:
    slept: list[float] = []
    client = DouyinClient(
        Credentials("app-1", secret, "https://gw.test"),
        gateway.transport(),
        clock,
        sleep=slept.append,
        self_shop_id="880001",
    )
    client.slept = slept  # type: ignore[attr-defined]
    return client


def test_self_use_token_then_a_signed_call(gateway: FakeDouyinGateway, clock: Clock) -> None:
    client = _client(gateway, clock)
    token = client.create_token_self("880001")
    assert token.shop_id == "880001"
    assert token.expires_at == START + timedelta(days=7)
    assert client.call("/order/logisticsCompanyList", {})[0] == {
        "id": 7,
        "code": "shunfeng",
        "name": "顺丰速运",
    }
    assert [p for p, _ in gateway.requests] == ["/token/create", "/order/logisticsCompanyList"]
    assert gateway.refusals == []


def test_a_wrong_secret_is_refused_with_the_platforms_code(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    with pytest.raises(DouyinError) as refused:
        _client(gateway, clock, secret="wrong").create_token_self("880001")
    assert str(refused.value) == "token.create: 40003 签名错误 (isv.sign-invalid: 签名错误)"
    assert gateway.requests == []


def test_a_shop_that_did_not_authorise_the_app_is_refused(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    with pytest.raises(DouyinError) as refused:
        _client(gateway, clock).create_token_self("999")
    assert refused.value.code == 50002
    assert refused.value.sub_code == "isv.business-failed:shop-not-authorized"


def test_throttling_backs_off_and_retries(gateway: FakeDouyinGateway, clock: Clock) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    gateway.throttle_next = 2
    assert len(client.call("/order/logisticsCompanyList", {})) == 3
    assert client.slept == [1.0, 2.0]  # type: ignore[attr-defined]
    assert gateway.refusals == ["isv.traffic-limited", "isv.traffic-limited"]


def test_throttling_that_does_not_stop_is_raised(gateway: FakeDouyinGateway, clock: Clock) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    gateway.throttle_next = 10
    with pytest.raises(TrafficLimited) as refused:
        client.call("/order/logisticsCompanyList", {})
    assert refused.value.code == 60000
    assert client.slept == [1.0, 2.0, 4.0, 8.0]  # type: ignore[attr-defined]


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    stored: list[Token] = []
    client = _client(gateway, clock)
    client.on_token = stored.append
    client.create_token_self("880001")
    gateway.expire_tokens()
    assert len(client.call("/order/logisticsCompanyList", {})) == 3
    assert [p for p, _ in gateway.requests] == [
        "/token/create",
        "/order/logisticsCompanyList",
        "/token/refresh",
        "/order/logisticsCompanyList",
    ]
    assert gateway.refusals == ["isv.access-token-expired"]
    assert [t.access_token for t in stored] == ["access-1", "access-2"]
    assert gateway.requests[2][1] == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}


def test_a_token_still_expired_after_the_refresh_is_an_error(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    gateway.token_ttl = timedelta(seconds=-1)  # every new token is born expired
    gateway.expire_tokens()
    with pytest.raises(AccessTokenExpired):
        client.call("/order/logisticsCompanyList", {})
    assert [p for p, _ in gateway.requests].count("/token/refresh") == 1


def test_a_token_near_expiry_is_refreshed_before_the_call(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    clock.at = START + timedelta(days=7) - timedelta(minutes=20)
    client.call("/order/logisticsCompanyList", {})
    assert [p for p, _ in gateway.requests][1:] == ["/token/refresh", "/order/logisticsCompanyList"]
    assert gateway.refusals == []


def test_a_refused_refresh_token_of_a_self_use_app_gets_a_new_token_by_shop_id(
    gateway: FakeDouyinGateway, clock: Clock
) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    gateway.refresh_tokens.clear()  # spent elsewhere
    gateway.expire_tokens()
    client.call("/order/logisticsCompanyList", {})
    assert [p for p, _ in gateway.requests][2:] == [
        "/token/refresh",
        "/token/create",
        "/order/logisticsCompanyList",
    ]


def _raw_post(gateway: FakeDouyinGateway, body: str) -> dict[str, object]:
    timestamp = str(int(START.timestamp()))
    pattern = (
        f"s3cret-appapp_keyapp-1methodorder.logisticsCompanyListparam_json{body}"
        f"timestamp{timestamp}v2s3cret-app"
    )
    signed = hmac.new(b"s3cret-app", pattern.encode(), hashlib.sha256).hexdigest()
    query = {
        "app_key": "app-1",
        "method": "order.logisticsCompanyList",
        "timestamp": timestamp,
        "v": "2",
        "sign": signed,
        "sign_method": "hmac-sha256",
        "access_token": "x",
    }
    with httpx.Client(transport=gateway.transport()) as http:
        answer = http.post(
            "https://gw.test/order/logisticsCompanyList", params=query, content=body.encode()
        )
    return dict(answer.json())


@pytest.mark.parametrize(
    "body",
    ['{"b":1,"a":2}', '{"a": 2}', '{"a":"\\u003cb\\u003e"}'],
    ids=["unsorted", "not-compact", "html-escaped"],
)
def test_the_fake_gateway_refuses_a_body_that_is_not_canonical(
    gateway: FakeDouyinGateway, body: str
) -> None:
    """A correctly signed but non-canonical param_json is refused, as the contract says."""
    answer = _raw_post(gateway, body)
    assert (answer["code"], answer["sub_code"]) == (40004, "isv.param-json-invalid")


def test_the_request_log_line_hides_the_access_token_and_the_sign(
    gateway: FakeDouyinGateway, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(gateway, clock)
    client.create_token_self("880001")
    with caplog.at_level(logging.INFO, logger="httpx"):
        client.call("/order/logisticsCompanyList", {})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert "access-1" not in line and "s3cret" not in line
    assert "access_token=%2A%2A%2A" in line and "sign=%2A%2A%2A" in line
    assert "method=order.logisticsCompanyList" in line
