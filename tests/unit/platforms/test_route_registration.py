"""The registerPackageRoute request, built from an order detail and sent through the signed
client to the strict local fake, which refuses what the Java SDK marks required but absent."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.douyin_gateway import FakeDouyinGateway

from lanshou.adapters.platforms.douyin import Credentials, DouyinClient, DouyinError
from lanshou.platforms.routes import CannotRegister, callback_url, route_params

START = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
BASE = "https://lanshou.example/api/v1/platforms/douyin/route"


def _detail(gateway: FakeDouyinGateway) -> dict[str, Any]:
    return gateway.put_order("6001", updated=START, status=3)


def _client(gateway: FakeDouyinGateway) -> DouyinClient:
    client = DouyinClient(
        Credentials("app-1", "s3cret-app", "https://gw.test"),
        gateway.transport(),
        lambda: START,
        sleep=lambda _: None,
    )
    client.create_token_self("880001")
    return client


@pytest.fixture
def gateway() -> FakeDouyinGateway:
    return FakeDouyinGateway("app-1", "s3cret-app", "880001", lambda: START)


def test_the_callback_url_carries_the_shop_and_a_token_over_shop_and_waybill() -> None:
    token = hmac.new(b"route-key-1", b"880001|SF300", hashlib.sha256).hexdigest()
    assert callback_url(BASE, "route-key-1", "880001", " sf300 ") == (
        f"{BASE}?shop=880001&token={token}"
    )
    assert callback_url(f"{BASE}?v=1", "route-key-1", "880001", "SF300") == (
        f"{BASE}?v=1&shop=880001&token={token}"
    )


def test_a_registration_built_from_the_order_detail_is_accepted(
    gateway: FakeDouyinGateway,
) -> None:
    params = route_params(
        _detail(gateway), express="shunfeng", waybill="SF300", order_id="6001", callback=BASE
    )
    assert params["receiver"] == {
        "address": {
            "province": {"name": "浙江省", "code": "33"},
            "city": {"name": "杭州市", "code": "3301"},
            "town": {"name": "西湖区", "code": "330106"},
            "street": {"name": "文新街道", "code": "330106011"},
            "detail": "#enc-detail#",
        },
        "contact": {"name": "#enc-name#", "phone": "#enc-tel#"},
    }
    assert _client(gateway).call("/logistics/registerPackageRoute", params) == {}
    assert gateway.routes_registered == [params]


def test_plain_receiver_values_win_over_encrypted_ones(gateway: FakeDouyinGateway) -> None:
    detail = _detail(gateway)
    detail["post_receiver"], detail["post_tel"] = "张三", "13800138000"
    params = route_params(detail, express="shunfeng", waybill="SF3", order_id="6001", callback=BASE)
    assert params["receiver"]["contact"] == {"name": "张三", "phone": "13800138000"}


def test_the_fake_refuses_a_registration_without_a_required_field(
    gateway: FakeDouyinGateway,
) -> None:
    params = route_params(
        _detail(gateway), express="shunfeng", waybill="SF300", order_id="6001", callback=BASE
    )
    del params["receiver"]["address"]["street"]
    with pytest.raises(DouyinError) as refused:
        _client(gateway).call("/logistics/registerPackageRoute", params)
    assert (refused.value.code, refused.value.msg) == (
        40004,
        "缺少必填参数 receiver.address.street.name",
    )
    params = route_params(
        _detail(gateway), express="yunda", waybill="SF300", order_id="6001", callback=BASE
    )
    with pytest.raises(DouyinError) as unknown:
        _client(gateway).call("/logistics/registerPackageRoute", params)
    assert unknown.value.sub_code == "isv.business-failed:express-invalid"
    assert gateway.routes_registered == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.pop("post_addr"), "post_addr: the order detail has no address"),
        (
            lambda d: d["post_addr"].pop("town"),
            "post_addr.town.name: required by the registration",
        ),
        (
            lambda d: d.update(encrypt_post_tel=""),
            "phone: required by the registration, missing in the order",
        ),
        (
            lambda d: d.update(sku_order_list=[]),
            "sku_order_list: the order has no goods to list",
        ),
    ],
    ids=["no-address", "no-town", "no-phone", "no-goods"],
)
def test_an_order_detail_lacking_a_required_field_is_named(
    gateway: FakeDouyinGateway, change: Any, problem: str
) -> None:
    detail = _detail(gateway)
    change(detail)
    with pytest.raises(CannotRegister) as cannot:
        route_params(detail, express="shunfeng", waybill="SF3", order_id="6001", callback=BASE)
    assert str(cannot.value) == problem
