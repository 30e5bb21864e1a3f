"""Channels that would make the server reach itself or a private network: refused when saved
(form and API, with the reason), and refused again when sent (test button, worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import worker
from lanshou.adapters.db.models import Deadline, Shipment, Warning_
from lanshou.adapters.db.models.alerts import AlertChannel, AlertDelivery, AlertOutbox
from lanshou.adapters.notify import EgressPolicy
from lanshou.alerts.channels import create_channel, set_subscriptions
from lanshou.domain.roles import Role
from lanshou.entrypoints.app import create_app
from lanshou.errors import InvalidInput
from lanshou.identity.auth import Principal
from lanshou.identity.scope import Scope
from tests.integration.alerts.local_servers import http_server
from tests.integration.web.world import NOW, World, bearer, csrf_of, login, make_runtime

ADMIN = Principal(5, "admin", "Admin", Role.ADMIN, None)
REFUSAL = (
    "{host} resolves to {address}, a {kind} address; alert channels may only reach "
    "public Internet addresses"
)


def _create(
    sessions: sessionmaker[Session],
    kind: str,
    config: dict[str, object],
    egress: EgressPolicy | None = None,
) -> int:
    with sessions.begin() as s:
        return create_channel(
            s,
            ADMIN,
            Scope(None),
            shop_id=1,
            kind=kind,
            name="群",
            config=config,
            secret="SECx",
            now=NOW,
            egress=egress,
        ).id


def _channels(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(AlertChannel)).scalar_one()


@pytest.mark.parametrize(
    ("kind", "config", "host", "address", "reason"),
    [
        ("webhook", {"url": "https://localhost/hook"}, "localhost", "127.0.0.1", "loopback"),
        (
            "dingtalk",
            {"url": "https://2130706433/robot/send"},
            "2130706433",
            "127.0.0.1",
            "loopback",
        ),
        ("feishu", {"url": "https://[::1]:8443/hook"}, "::1", "::1", "loopback"),
        (
            "wecom",
            {"url": "https://[::ffff:127.0.0.1]/send"},
            "::ffff:127.0.0.1",
            "::ffff:127.0.0.1",
            "loopback",
        ),
        (
            "webhook",
            {"url": "https://169.254.169.254/latest/"},
            "169.254.169.254",
            "169.254.169.254",
            "metadata",
        ),
        (
            "email",
            {
                "host": "10.0.0.25",
                "port": 25,
                "sender": "a@shop.example",
                "recipients": "ops@shop.example",
            },
            "10.0.0.25",
            "10.0.0.25",
            "private",
        ),
        (
            "email",
            {
                "host": "localhost",
                "port": 587,
                "sender": "a@shop.example",
                "recipients": "ops@shop.example",
            },
            "localhost",
            "127.0.0.1",
            "loopback",
        ),
    ],
)
def test_saving_a_channel_to_a_refused_address_says_why_and_stores_nothing(
    sessions: sessionmaker[Session],
    world: World,
    kind: str,
    config: dict[str, object],
    host: str,
    address: str,
    reason: str,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(sessions, kind, config)
    assert refused.value.message == REFUSAL.format(
        host=host, address=address, kind=reason.replace("_", "-")
    )
    assert refused.value.details == {
        "field": "config",
        "reason": "egress_refused",
        "host": host,
        "address": address,
        "kind": reason,
    }
    assert _channels(sessions) == 0


def test_an_octal_ip_is_not_a_valid_url(sessions: sessionmaker[Session], world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        _create(sessions, "webhook", {"url": "https://0177.0.0.1/hook"})
    assert refused.value.message == "not a valid URL: Invalid IPv4 address: '0177.0.0.1'"
    assert _channels(sessions) == 0


def test_an_allow_listed_internal_relay_can_be_saved(
    sessions: sessionmaker[Session], world: World
) -> None:
    relay = {
        "host": "10.0.0.25",
        "port": 25,
        "sender": "a@shop.example",
        "recipients": "ops@shop.example",
    }
    _create(sessions, "email", relay, EgressPolicy.from_allow_list("10.0.0.25/32"))
    assert _channels(sessions) == 1


def test_the_form_explains_the_refusal_in_the_users_language(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "merchant")
    page = client.get("/alerts/settings")
    response = client.post(
        "/alerts/channels",
        data={
            "csrf_token": csrf_of(page.text),
            "shop_id": "1",
            "kind": "webhook",
            "name": "内网",
            "url": "https://localhost:8443/hook",
            "secret": "s",
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert (
        "无法保存：localhost 指向 127.0.0.1，即本服务器自身（回环地址）。通知只能发往公网地址；"
        "如需发往内网服务器，请联系运维人员将其加入允许列表。"
    ) in response.text
    assert _channels(sessions) == 0


def test_the_api_refuses_with_the_reason_in_details(client: TestClient) -> None:
    response = client.post(
        "/api/v1/alerts/channels",
        headers=bearer(client, "merchant"),
        json={
            "shop_id": 1,
            "kind": "webhook",
            "name": "x",
            "secret": "s",
            "config": {"url": "https://169.254.169.254/latest/meta-data/"},
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid_input",
            "message": REFUSAL.format(
                host="169.254.169.254", address="169.254.169.254", kind="metadata"
            ),
            "details": {
                "field": "config",
                "reason": "egress_refused",
                "host": "169.254.169.254",
                "address": "169.254.169.254",
                "kind": "metadata",
            },
        }
    }


def _stored_channel(sessions: sessionmaker[Session], url: str) -> int:
    """A channel saved before the check existed (or an address that changed since)."""
    with sessions.begin() as s:
        row = AlertChannel(
            shop_id=1,
            kind="webhook",
            name="旧通道",
            config={"url": url},
            secret="whsec",
            is_active=True,
            created_at=NOW,
        )
        s.add(row)
        s.flush()
        return row.id


def test_the_test_button_refuses_a_stored_loopback_channel_without_connecting(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with http_server() as (port, seen):
        channel = _stored_channel(sessions, f"http://127.0.0.1:{port}/hook")
        login(client, "merchant")
        page = client.get("/alerts/settings")
        sent = client.post(
            f"/alerts/channels/{channel}/test", data={"csrf_token": csrf_of(page.text)}
        )
    assert sent.status_code == 502
    assert seen.requests == []
    with sessions() as s:
        error = s.execute(select(AlertDelivery.error)).scalar_one()
    assert error == "EgressRefused: " + REFUSAL.format(
        host="127.0.0.1", address="127.0.0.1", kind="loopback"
    )


def test_the_test_button_reaches_a_server_the_operator_allowed(
    sessions: sessionmaker[Session], world: World
) -> None:
    runtime = make_runtime(sessions, egress_allow="127.0.0.1/32")
    with http_server() as (port, seen), TestClient(create_app(runtime)) as client:
        channel = _stored_channel(sessions, f"http://127.0.0.1:{port}/hook")
        login(client, "merchant")
        page = client.get("/alerts/settings")
        sent = client.post(
            f"/alerts/channels/{channel}/test", data={"csrf_token": csrf_of(page.text)}
        )
    assert sent.status_code == 200 and "测试消息已发送" in sent.text
    assert len(seen.requests) == 1


def _warning_due(sessions: sessionmaker[Session], world: World, channel: int) -> None:
    with sessions.begin() as s:
        set_subscriptions(s, ADMIN, Scope(None), channel, [("at_risk", 0)], NOW - timedelta(days=1))
        deadline = s.execute(
            select(Deadline)
            .join(Shipment, Shipment.id == Deadline.shipment_id)
            .where(Shipment.order_id == world.order_ids["A000"])
        ).scalar_one()
        s.add(Warning_(deadline_id=deadline.id, lead_minutes=120, fired_at=NOW, suppressed=False))


@pytest.mark.parametrize(("allow", "delivered"), [("", 0), ("127.0.0.1/32", 1)])
def test_the_worker_sends_only_where_the_settings_allow(
    sessions: sessionmaker[Session], world: World, allow: str, delivered: int
) -> None:
    with http_server() as (port, seen):
        channel = _stored_channel(sessions, f"http://127.0.0.1:{port}/hook")
        _warning_due(sessions, world, channel)
        worker.sweep_once(make_runtime(sessions, egress_allow=allow))
    assert len(seen.requests) == delivered
    with sessions() as s:
        row = s.execute(select(AlertOutbox)).scalar_one()
    assert (row.state, row.last_error) == (
        ("sent", None)
        if delivered
        else (
            "pending",
            "EgressRefused: "
            + REFUSAL.format(host="127.0.0.1", address="127.0.0.1", kind="loopback"),
        )
    )
