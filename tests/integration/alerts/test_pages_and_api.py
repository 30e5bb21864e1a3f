"""Alert settings, delivery log, reminder page, my tasks, and the API, through the app."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Communication, Shipment
from lanshou.adapters.notify import Sender, build_sender
from tests.integration.web.world import World, bearer, csrf_of, login


def _sid(sessions: sessionmaker[Session], world: World, ext: str) -> int:
    with sessions() as s:
        return s.execute(
            select(Shipment.id).where(Shipment.order_id == world.order_ids[ext])
        ).scalar_one()


def test_owner_adds_a_channel_the_secret_is_never_shown_and_test_send_is_logged(
    client: TestClient,
) -> None:
    seen: list[httpx.Request] = []

    def factory(kind: str, config: Mapping[str, Any], secret: str | None) -> Sender:
        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json={"errcode": 0})

        return build_sender(kind, config, secret, transport=httpx.MockTransport(handle))

    client.app.state.runtime.alert_senders = factory
    login(client, "merchant")
    page = client.get("/alerts/settings")
    assert page.status_code == 200 and "通知设置" in page.text
    response = client.post(
        "/alerts/channels",
        data={
            "csrf_token": csrf_of(page.text),
            "shop_id": "1",
            "kind": "dingtalk",
            "name": "店铺群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "secret": "SECtopsecret",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get("/alerts/settings")
    assert "店铺群" in page.text and "SECtopsecret" not in page.text
    headers = bearer(client, "merchant")
    [channel] = client.get("/api/v1/alerts/channels", headers=headers).json()
    assert channel["has_secret"] is True and "secret" not in channel
    assert len(channel["subscriptions"]) == 6
    sent = client.post(
        f"/alerts/channels/{channel['id']}/test", data={"csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 200 and "测试消息已发送" in sent.text
    assert "sign=" in str(seen[0].url)
    log = client.get("/alerts/deliveries")
    assert log.status_code == 200 and "店铺群" in log.text


@pytest.mark.parametrize(
    ("locale", "filter_label", "labels"),
    [
        ("zh_CN", "状态", ["时间", "方式", "第几次", "结果"]),
        ("en", "State", ["Time", "Channel", "Attempt", "Result"]),
    ],
)
def test_the_delivery_log_filter_is_a_labelled_field_and_each_attempt_names_its_fields(
    client: TestClient, locale: str, filter_label: str, labels: list[str]
) -> None:
    def factory(kind: str, config: Mapping[str, Any], secret: str | None) -> Sender:
        def refuse(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200, json={"errcode": 310000, "errmsg": "keywords not in content"}
            )

        return build_sender(kind, config, secret, transport=httpx.MockTransport(refuse))

    client.app.state.runtime.alert_senders = factory
    login(client, "merchant")
    token = csrf_of(client.get("/alerts/settings").text)
    client.post(
        "/alerts/channels",
        data={
            "csrf_token": token,
            "shop_id": "1",
            "kind": "dingtalk",
            "name": "店铺群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        },
    )
    [channel] = client.get("/api/v1/alerts/channels", headers=bearer(client, "merchant")).json()
    client.post(f"/alerts/channels/{channel['id']}/test", data={"csrf_token": token})
    answer = client.post(
        "/language",
        data={"locale": locale, "next": "/alerts/deliveries", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/alerts/deliveries").text
    # the filter is its own box under the title (stacked on a phone), its field named
    assert re.search(
        r'<h1>[^<]*</h1></div>\s*<form method="get" action="/alerts/deliveries" '
        r'class="filters delivery-filter">\s*<label>' + filter_label + r"\s*<select",
        page,
    )
    assert re.findall(r'data-label="([^"]*)"', page) == labels


def test_other_shops_cannot_see_or_add_channels(client: TestClient) -> None:
    headers = bearer(client, "other")
    refused = client.post(
        "/api/v1/alerts/channels",
        headers=headers,
        json={
            "shop_id": 1,
            "kind": "wecom",
            "name": "x",
            "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        },
    )
    assert refused.status_code == 404
    staff = client.post(
        "/api/v1/alerts/channels",
        headers=bearer(client, "staff"),
        json={
            "shop_id": 1,
            "kind": "wecom",
            "name": "x",
            "config": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        },
    )
    assert staff.status_code == 403
    assert client.get("/api/v1/alerts/deliveries", headers=headers).json() == []


def test_reminder_page_copies_and_sends_sms_into_the_contact_log(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    sid = _sid(sessions, world, "A002")
    login(client, "staff")
    board = client.get("/at-risk")
    page = client.get(f"/reminders/{sid}")
    assert page.status_code == 200 and "王师傅您好" in page.text and "WBA002" in page.text
    sms = client.post(f"/reminders/{sid}/sms", data={"csrf_token": csrf_of(page.text)})
    assert sms.status_code == 200 and "短信已发送" in sms.text
    client.post(f"/reminders/{sid}/copied", data={"csrf_token": csrf_of(page.text)})
    with sessions() as s:
        assert [
            c.channel
            for c in s.execute(
                select(Communication)
                .where(Communication.shipment_id == sid)
                .order_by(Communication.id)
            ).scalars()
        ] == ["sms", "reminder"]
    assert board.status_code == 200
    login(client, "other")
    assert client.get(f"/reminders/{sid}").status_code == 404


def test_assign_from_the_page_and_see_it_in_my_tasks(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    sid = _sid(sessions, world, "A000")
    login(client, "merchant")
    page = client.get(f"/assign?entity=shipment:{sid}")
    assert page.status_code == 200
    options = dict(
        (name, int(v))
        for v, name in re.findall(r'<option value="(\d+)">[^<]*\((\w+)\)</option>', page.text)
    )
    staff_id = options["staff"]
    done = client.post(
        "/tasks",
        data={
            "csrf_token": csrf_of(page.text),
            "entity": f"shipment:{sid}",
            "assignee_id": staff_id,
            "due_at": "2026-11-04T10:00",
            "note": "跟进",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    api = client.get("/api/v1/tasks", headers=bearer(client, "staff")).json()
    assert [(t["entity_type"], t["entity_id"], t["overdue"]) for t in api] == [
        ("shipment", sid, True)
    ]
    login(client, "staff")
    mine = client.get("/tasks")
    assert mine.status_code == 200 and "task-overdue" in mine.text and "A000" in mine.text
    b000 = _sid(sessions, world, "B000")
    refused = client.post(
        "/api/v1/tasks",
        headers=bearer(client, "staff"),
        json={"entity_type": "shipment", "entity_id": b000, "assignee_id": staff_id},
    )
    assert refused.status_code == 404
    assert client.get(f"/assign?entity=shipment:{b000}").status_code == 404
