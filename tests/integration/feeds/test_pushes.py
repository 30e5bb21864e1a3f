"""快递100 and 快递鸟 pushes through the API: verified first, stored once, carrier and stall."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AuditEvent, Carrier, Shipment, TrackingEvent
from lanshou.audit.chain import verify_chain
from lanshou.enforcement.inbox import DrainResult
from tests.integration.web.world import World, bearer

from .helpers import (
    KDN_ID,
    configure_feeds,
    k100_form,
    k100_param,
    kdn_entry,
    kdn_form,
    scan,
)

CST = timezone(timedelta(hours=8))
Drain = Callable[[], DrainResult]
K100 = "/api/v1/tracking/kuaidi100"
KDN = "/api/v1/tracking/kdniao"


def _events(sessions: sessionmaker[Session], waybill: str) -> list[tuple[str, datetime, str]]:
    with sessions() as s:
        rows = s.execute(
            select(TrackingEvent.status, TrackingEvent.event_time, TrackingEvent.source)
            .where(TrackingEvent.waybill_no == waybill)
            .order_by(TrackingEvent.event_time)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _shipment(sessions: sessionmaker[Session], waybill: str) -> Shipment:
    with sessions() as s:
        return s.execute(select(Shipment).where(Shipment.waybill_no == waybill)).scalar_one()


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_signed_kuaidi100_push_is_stored_and_acknowledged(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    configure_feeds(client)
    param = k100_param(
        "WBA000",
        [
            scan("2026-11-01 15:10:00", "顺丰速运 已收取快件", "揽收"),
            scan("2026-11-01 18:00:00", "快件已发往 上海", "在途"),
        ],
    )
    response = client.post(K100, data=k100_form(param))
    assert response.status_code == 200
    assert response.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert response.headers["X-Lanshou-Receipt"] == "1"
    assert _events(sessions, "WBA000") == []  # accepted, not yet folded
    assert (drain().records, drain().records) == (2, 0)
    assert _events(sessions, "WBA000") == [
        ("picked_up", datetime(2026, 11, 1, 15, 10, tzinfo=CST), "kuaidi100"),
        ("in_transit", datetime(2026, 11, 1, 18, 0, tzinfo=CST), "kuaidi100"),
    ]
    shipment = _shipment(sessions, "WBA000")
    assert shipment.status == "in_transit"
    assert shipment.picked_up_at == datetime(2026, 11, 1, 15, 10, tzinfo=CST)
    with sessions() as s:
        raw = s.execute(
            select(TrackingEvent.raw)
            .where(TrackingEvent.waybill_no == "WBA000")
            .order_by(TrackingEvent.event_time)
            .limit(1)
        ).scalar_one()
    assert raw["context"] == "顺丰速运 已收取快件" and raw["status"] == "揽收"
    assert raw["_trace"] == {"com": "shunfeng", "state": "0", "status": "polling"}
    # the same push again (快递100 retries) stores nothing new
    assert client.post(K100, data=k100_form(param)).status_code == 200
    assert (drain().records, drain().stored) == (2, 0)
    assert _count(sessions, TrackingEvent) == 3 + 2  # the world's three A002 events + ours


def test_a_wrong_kuaidi100_signature_is_401_and_stores_nothing(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    param = k100_param("WBA000", [scan("2026-11-01 15:10:00", "已收取快件", "揽收")])
    no_integration = client.post(K100, data=k100_form(param))
    configure_feeds(client)
    wrong_salt = client.post(K100, data=k100_form(param, salt="not-the-salt"))
    tampered = k100_form(param)
    tampered["param"] = tampered["param"].replace("15:10", "09:10")
    for response in (no_integration, wrong_salt, client.post(K100, data=tampered)):
        assert response.status_code == 401
        assert response.json() == {
            "result": False,
            "returnCode": "500",
            "message": "kuaidi100 push signature does not match any active integration",
        }
    assert _count(sessions, TrackingEvent) == 3
    assert _shipment(sessions, "WBA000").status == "awaiting_pickup"


def test_a_lowercase_kuaidi100_sign_is_accepted(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    configure_feeds(client)
    form = k100_form(k100_param("WBA000", [scan("2026-11-01 15:10:00", "已收取快件", "揽收")]))
    form["sign"] = form["sign"].lower()
    assert client.post(K100, data=form).status_code == 200
    drain()
    assert len(_events(sessions, "WBA000")) == 1


def test_a_malformed_kuaidi100_param_is_422_with_the_path(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    configure_feeds(client)
    bad_time = k100_param(
        "WBA000",
        [
            scan("2026-11-01 15:10:00", "已收取快件", "揽收"),
            scan("yesterday", "快件已发往 上海", "在途"),
        ],
    )
    response = client.post(K100, data=k100_form(bad_time))
    assert response.status_code == 422
    assert response.json() == {
        "result": False,
        "returnCode": "400",
        "message": "param.lastResult.data[0].time: 'yesterday' is not a time like "
        "2026-11-01 14:05:00",
    }
    missing = client.post(K100, data={"param": "{}"})
    assert missing.status_code == 422
    assert missing.json()["message"] == "sign: form field is missing"
    assert _count(sessions, TrackingEvent) == 3


def test_abort_marks_the_feed_stalled_and_audits_it(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    configure_feeds(client)
    param = k100_param(
        "WBA000",
        [scan("2026-11-01 15:10:00", "已收取快件", "揽收")],
        status="abort",
        message="3天查询无记录",
    )
    assert client.post(K100, data=k100_form(param)).status_code == 200
    shipment = _shipment(sessions, "WBA000")
    assert shipment.feed_stalled is True
    with sessions() as s:
        audits = (
            s.execute(select(AuditEvent).where(AuditEvent.entity_type == "shipment"))
            .scalars()
            .all()
        )
        assert [(a.entity_id, a.action, a.actor, a.reason, a.data) for a in audits] == [
            (
                shipment.id,
                "feed_stalled",
                "kuaidi100:快递100 主账号",
                "3天查询无记录",
                {"waybill": "WBA000", "status": "abort"},
            )
        ]
        assert verify_chain(s).ok
    # a later polling push means the feed is alive again
    resumed = k100_param("WBA000", [scan("2026-11-02 08:00:00", "快件到达 上海", "在途")])
    assert client.post(K100, data=k100_form(resumed)).status_code == 200
    assert _shipment(sessions, "WBA000").feed_stalled is False
    with sessions() as s:
        actions = (
            s.execute(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "shipment")
                .order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["feed_stalled", "feed_resumed"]


def test_comnew_corrects_the_shipment_carrier(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    configure_feeds(client)
    param = k100_param(
        "WBA000",
        [scan("2026-11-01 15:10:00", "中通快递 已揽收", "揽收")],
        status="updateall",
        com="zhongtong",
        comOld="shunfeng",
        comNew="zhongtong",
        autoCheck="1",
    )
    assert client.post(K100, data=k100_form(param)).status_code == 200
    drain()
    shipment = _shipment(sessions, "WBA000")
    with sessions() as s:
        assert s.get_one(Carrier, shipment.carrier_id).code == "ZTO"
        audit = s.execute(
            select(AuditEvent).where(AuditEvent.action == "carrier_corrected")
        ).scalar_one()
        assert (audit.entity_type, audit.entity_id) == ("shipment", shipment.id)
        assert audit.data == {
            "from": "SF",
            "to": "ZTO",
            "com_old": "shunfeng",
            "com_new": "zhongtong",
            "waybill": "WBA000",
        }
        codes = (
            s.execute(
                select(TrackingEvent.carrier_code).where(TrackingEvent.waybill_no == "WBA000")
            )
            .scalars()
            .all()
        )
    assert codes == ["ZTO"]
    # the same correction again changes nothing and audits nothing
    assert client.post(K100, data=k100_form(param)).status_code == 200
    assert _count(sessions, AuditEvent) == 1 + 2  # the correction and the two feeds


def test_a_kdniao_push_is_verified_and_repeated_full_traces_collapse(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    configure_feeds(client)
    first = [
        ("2026-11-01 15:10:00", "【杭州】中通快递 已揽收", "1"),
        ("2026-11-01 19:00:00", "快件已发往 上海", "2"),
    ]
    response = client.post(KDN, data=kdn_form([kdn_entry("WBA004", "ZTO", first)]))
    assert response.status_code == 200
    assert response.json() == {
        "EBusinessID": KDN_ID,
        "UpdateTime": "2026-11-04 12:00:00",
        "Success": True,
        "Reason": "",
    }
    full = [*first, ("2026-11-02 09:30:00", "【上海】快递员正在派件", "202")]
    for _ in range(3):  # 快递鸟 sends the whole trace every time
        assert (
            client.post(KDN, data=kdn_form([kdn_entry("WBA004", "ZTO", full, "2", "202")])).json()[
                "Success"
            ]
            is True
        )
    assert (drain().records, drain().records) == (11, 0)  # four pushes of three scans
    assert [e[0] for e in _events(sessions, "WBA004")] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
    ]
    shipment = _shipment(sessions, "WBA004")
    assert shipment.status == "out_for_delivery"
    assert shipment.picked_up_at == datetime(2026, 11, 1, 15, 10, tzinfo=CST)


def test_kdniao_signatures_are_checked_and_a_still_encoded_sign_is_accepted(
    client: TestClient, sessions: sessionmaker[Session], world: World, drain: Drain
) -> None:
    configure_feeds(client)
    entry = kdn_entry("WBA004", "ZTO", [("2026-11-01 15:10:00", "已揽收", "1")])
    wrong = client.post(KDN, data=kdn_form([entry], key="other-key"))
    assert wrong.status_code == 401
    assert wrong.json() == {
        "EBusinessID": KDN_ID,
        "UpdateTime": "2026-11-04 12:00:00",
        "Success": False,
        "Reason": "kdniao push signature does not match any active integration",
    }
    assert _events(sessions, "WBA004") == []
    form = kdn_form([entry])
    expected = base64.b64encode(
        hashlib.md5((form["RequestData"] + "appkey-kdn-xyz").encode()).hexdigest().encode()
    ).decode()
    assert form["DataSign"] == expected
    form["DataSign"] = quote(expected)  # encoded once more by the sender
    assert client.post(KDN, data=form).status_code == 200
    drain()
    assert len(_events(sessions, "WBA004")) == 1


def test_an_oversized_push_is_413_before_anything_is_read(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    configure_feeds(client)
    param = k100_param("WBA000", [scan("2026-11-01 15:10:00", "x" * (2 * 1024 * 1024), "揽收")])
    response = client.post(K100, data=k100_form(param))
    assert response.status_code == 413
    assert response.json() == {
        "result": False,
        "returnCode": "400",
        "message": "request body is larger than 2097152 bytes",
    }
    assert _count(sessions, TrackingEvent) == 3


def test_feed_integrations_are_admin_only_and_never_show_the_secret(
    client: TestClient, world: World
) -> None:
    merchant = bearer(client, "merchant")
    body = {"kind": "kuaidi100", "name": "mine", "secret": "salt-123456"}
    assert client.post("/api/v1/feeds", json=body, headers=merchant).status_code == 403
    assert client.get("/api/v1/feeds", headers=merchant).status_code == 403
    configure_feeds(client)
    listed = client.get("/api/v1/feeds", headers=bearer(client, "admin")).json()
    assert [(f["kind"], f["name"], f["account_id"], f["callback_path"]) for f in listed] == [
        ("kuaidi100", "快递100 主账号", None, "/api/v1/tracking/kuaidi100"),
        ("kdniao", "快递鸟", KDN_ID, "/api/v1/tracking/kdniao"),
    ]
    assert all("secret" not in f for f in listed)
    again = client.post(
        "/api/v1/feeds",
        json={"kind": "kuaidi100", "name": "快递100 主账号", "secret": "another-salt"},
        headers=bearer(client, "admin"),
    )
    assert again.status_code == 409
    no_account = client.post(
        "/api/v1/feeds",
        json={"kind": "kdniao", "name": "x", "secret": "key-123456"},
        headers=bearer(client, "admin"),
    )
    assert no_account.status_code == 422
