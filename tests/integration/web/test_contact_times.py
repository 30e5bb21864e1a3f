"""A contact carries when it happened (the user's to say, by default now) and when it was
logged: the at-risk form, the case page's form, the API, the order's contact log and the dossier.

The world's clock stands at 2026-11-04 12:00 Beijing; order A000 was paid at 2026-11-01 10:00.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Communication, Shipment
from tests.integration.appeals.conftest import add_violation
from tests.integration.web.world import NOW, World, bearer, csrf_of, login

API = "/api/v1"
CST = NOW.tzinfo


def _stored(sessions: sessionmaker[Session]) -> list[tuple[datetime, datetime, str]]:
    with sessions() as s:
        return [
            (c.occurred_at, c.recorded_at, c.summary)
            for c in s.scalars(select(Communication).order_by(Communication.id))
        ]


def _shipment(sessions: sessionmaker[Session], order_id: int) -> int:
    with sessions() as s:
        return s.scalars(select(Shipment.id).where(Shipment.order_id == order_id)).one()


def test_the_board_logs_the_time_the_call_happened_and_defaults_to_now(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    login(client, "merchant")
    shipment = _shipment(sessions, world.order_ids["A000"])
    board = client.get("/at-risk").text
    assert 'name="occurred_at" value="2026-11-04T12:00" max="2026-11-04T12:00"' in board
    base = {
        "shipment_id": str(shipment),
        "counterpart_kind": "courier",
        "channel": "phone",
        "next": "/at-risk",
        "csrf_token": csrf_of(board),
    }
    called = client.post(
        "/at-risk/contacts",
        data={**base, "summary": "上午已电话催促", "occurred_at": "2026-11-04T09:10"},
        follow_redirects=False,
    )
    assert called.status_code == 303
    blank = client.post(
        "/at-risk/contacts",
        data={**base, "summary": "刚刚又打了一次", "occurred_at": ""},
        follow_redirects=False,
    )
    assert blank.status_code == 303
    assert _stored(sessions) == [
        (datetime(2026, 11, 4, 9, 10, tzinfo=CST), NOW, "上午已电话催促"),
        (NOW, NOW, "刚刚又打了一次"),
    ]
    log = client.get(f"/orders/{world.order_ids['A000']}").text.split('id="contacts"')[1]
    assert "<th>发生时间</th>" in log
    assert log.index("刚刚又打了一次") < log.index("上午已电话催促")  # by when they happened
    assert (
        '2026-11-04 09:10<div class="small muted">记录于 2026-11-04 12:00</div>' in log
    )  # typed later than it happened: both times show
    assert log.count("记录于") == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-11-04T12:01", "later than now"),
        ("2026-11-01T09:59", "before the order was paid"),
        ("yesterday", "not a date"),
    ],
)
def test_a_time_in_the_future_before_payment_or_unreadable_is_refused(
    client: TestClient, sessions: sessionmaker[Session], world: World, value: str, reason: str
) -> None:
    login(client, "merchant")
    board = client.get("/at-risk").text
    response = client.post(
        "/at-risk/contacts",
        data={
            "shipment_id": str(_shipment(sessions, world.order_ids["A000"])),
            "counterpart_kind": "courier",
            "channel": "phone",
            "summary": "催促揽收",
            "occurred_at": value,
            "csrf_token": csrf_of(board),
        },
        follow_redirects=False,
    )
    assert response.status_code == 422, reason
    assert "联系发生的时间须在订单付款之后、当前时间之前。" in response.text
    assert _stored(sessions) == []


def test_the_case_page_form_and_the_dossier_carry_both_times(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    violation_id = add_violation(sessions, world.order_ids["A000"])
    merchant = bearer(client, "merchant")
    filed = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": "快递员未上门"},
        headers=merchant,
    )
    aid = filed.json()["id"]
    login(client, "merchant")
    case = client.get(f"/appeals/{aid}").text
    assert 'name="occurred_at" value="2026-11-04T12:00"' in case
    added = client.post(
        f"/appeals/{aid}/contacts",
        data={
            "counterpart_kind": "outlet",
            "channel": "phone",
            "summary": "网点称当天停电",
            "occurred_at": "2026-11-03T18:45",
            "csrf_token": csrf_of(case),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(f"/appeals/{aid}").text.split('id="contacts"')[1]
    assert '2026-11-03 18:45<div class="small muted">记录于 2026-11-04 12:00</div>' in page
    refused = client.post(
        f"/appeals/{aid}/contacts",
        data={
            "counterpart_kind": "outlet",
            "channel": "phone",
            "summary": "x",
            "occurred_at": "2026-11-05T08:00",
            "csrf_token": csrf_of(case),
        },
    )
    assert refused.status_code == 422
    assert "联系发生的时间须在订单付款之后、当前时间之前。" in refused.text
    dossier = client.get(f"/appeals/{aid}/dossier")
    log = json.loads(zipfile.ZipFile(io.BytesIO(dossier.content)).read("contact_log.json"))
    assert [(c["summary"], c["occurred_at"], c["recorded_at"]) for c in log] == [
        ("网点称当天停电", "2026-11-03T10:45:00+00:00", "2026-11-04T04:00:00+00:00")
    ]


def test_the_api_logs_and_lists_contacts_with_both_times(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    merchant = bearer(client, "merchant")
    order_id = world.order_ids["A000"]
    shipment = _shipment(sessions, order_id)
    earlier = client.post(
        f"{API}/shipments/{shipment}/contacts",
        json={
            "counterpart_kind": "courier",
            "counterpart_name": "王师傅",
            "channel": "wechat",
            "summary": "微信催促",
            "occurred_at": "2026-11-04T01:30:00+00:00",
        },
        headers=merchant,
    )
    assert earlier.status_code == 201
    body = earlier.json()
    assert (body["occurred_at"], body["recorded_at"]) == (
        "2026-11-04T09:30:00+08:00",
        "2026-11-04T12:00:00+08:00",
    )
    now = client.post(
        f"{API}/shipments/{shipment}/contacts",
        json={"counterpart_kind": "outlet", "channel": "phone", "summary": "致电网点"},
        headers=merchant,
    )
    assert (now.json()["occurred_at"], now.json()["recorded_at"]) == (
        "2026-11-04T12:00:00+08:00",
        "2026-11-04T12:00:00+08:00",
    )
    listed = client.get(f"{API}/orders/{order_id}/contacts", headers=merchant).json()
    assert [(c["summary"], c["occurred_at"], c["logged_by"]) for c in listed] == [
        ("致电网点", "2026-11-04T12:00:00+08:00", now.json()["logged_by"]),
        ("微信催促", "2026-11-04T09:30:00+08:00", now.json()["logged_by"]),
    ]
    future = client.post(
        f"{API}/shipments/{shipment}/contacts",
        json={
            "counterpart_kind": "courier",
            "channel": "phone",
            "summary": "x",
            "occurred_at": (NOW + timedelta(seconds=1)).isoformat(),
        },
        headers=merchant,
    )
    assert future.status_code == 422
    assert future.json()["error"]["details"] == {
        "field": "occurred_at",
        "latest": "2026-11-04T12:00:00+08:00",
    }
    assert len(_stored(sessions)) == 2
