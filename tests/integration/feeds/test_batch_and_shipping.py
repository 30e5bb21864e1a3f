"""The generic JSON batch and marking shipped: auth, limits, error paths, orphans, tenancy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AuditEvent, Order, Shipment, TrackingEvent
from lanshou.entrypoints.api.routes import tracking as tracking_routes
from tests.integration.feeds.helpers import unshipped_order
from tests.integration.web.world import World, bearer

CST = timezone(timedelta(hours=8))
EVENTS = "/api/v1/tracking/events"
JUDGED = EVENTS + "?wait=10"  # answer with the verdicts


def ev(waybill: str, time: str, status: str, carrier: str = "顺丰", **more: str) -> dict[str, str]:
    return {"carrier": carrier, "waybill": waybill, "time": time, "status": status, **more}


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(TrackingEvent)).scalar_one())


def test_the_batch_needs_an_administrators_token(client: TestClient, world: World) -> None:
    body = {"events": [ev("WBA000", "2026-11-01T15:00:00+08:00", "picked_up")]}
    assert client.post(EVENTS, json=body).status_code == 401
    forged = client.post(EVENTS, json=body, headers={"Authorization": "Bearer lsi_forged"})
    assert forged.status_code == 401
    assert client.post(EVENTS, json=body, headers=bearer(client, "merchant")).status_code == 403


def test_the_batch_stores_once_and_flags_unknown_carriers(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    admin = bearer(client, "admin")
    body = {
        "events": [
            ev("WBA000", "2026-11-01T15:00:00+08:00", "picked_up", location="杭州"),
            ev(
                "wba000", "2026-11-01T07:00:00Z", "picked_up", carrier="SF", location="杭州"
            ),  # the same scan, other spelling
            ev("ZZ0001", "2026-11-01T16:00:00+08:00", "in_transit", carrier="火星快递"),
        ]
    }
    first = client.post(JUDGED, json=body, headers=admin)
    assert first.status_code == 200
    assert first.json() == {
        "receipt_id": 1,
        "received": 3,
        "judged": 3,
        "stored": 2,
        "duplicates": 1,
        "unmatched": 1,
        "unknown_carriers": 1,
        "unknown_carrier_names": ["火星快递"],
        "judged_at": first.json()["judged_at"],
        "violations": [],
        "dead_letters": 0,
    }
    assert first.json()["judged_at"] is not None
    again = client.post(JUDGED, json=body, headers=admin).json()
    assert (again["receipt_id"], again["stored"], again["duplicates"]) == (2, 0, 3)
    assert again["unknown_carriers"] == 1
    with sessions() as s:
        unknown = s.execute(
            select(TrackingEvent).where(TrackingEvent.waybill_no == "ZZ0001")
        ).scalar_one()
        shipment = s.execute(select(Shipment).where(Shipment.waybill_no == "WBA000")).scalar_one()
    assert (unknown.carrier_code, unknown.shipment_id) == (None, None)
    assert unknown.raw == {
        "carrier": "火星快递",
        "waybill": "ZZ0001",
        "time": "2026-11-01T16:00:00+08:00",
        "status": "in_transit",
    }
    assert (shipment.status, shipment.picked_up_at) == (
        "picked_up",
        datetime(2026, 11, 1, 15, tzinfo=CST),
    )


def test_an_older_event_arriving_late_never_moves_a_shipment_back(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    admin = bearer(client, "admin")
    client.post(
        JUDGED,
        json={"events": [ev("WBA000", "2026-11-02T09:00:00+08:00", "delivered")]},
        headers=admin,
    )
    client.post(
        JUDGED,
        json={"events": [ev("WBA000", "2026-11-01T15:00:00+08:00", "picked_up")]},
        headers=admin,
    )
    with sessions() as s:
        shipment = s.execute(select(Shipment).where(Shipment.waybill_no == "WBA000")).scalar_one()
    assert (shipment.status, shipment.picked_up_at) == (
        "delivered",
        datetime(2026, 11, 1, 15, tzinfo=CST),
    )


def test_10001_events_are_refused_clearly(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    events = [ev(f"N{i:06d}", "2026-11-01T15:00:00+08:00", "in_transit") for i in range(10_001)]
    response = client.post(EVENTS, json={"events": events}, headers=bearer(client, "admin"))
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "loc": ["body", "events"],
            "msg": "Value error, at most 10000 events per request (got 10001); split the batch",
        }
    ]
    assert _count(sessions) == 3


def test_malformed_events_name_the_path(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    admin = bearer(client, "admin")
    events = [ev("WBA000", "2026-11-01T15:00:00+08:00", "picked_up") for _ in range(3)]
    events.append(ev("WBA000", "2026-11-01T15:00:00", "picked_up"))  # no offset
    events.append(ev("WBA000", "2026-11-01T15:00:00+08:00", "lost"))
    response = client.post(EVENTS, json={"events": events}, headers=admin)
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [d["loc"] for d in details] == [
        ["body", "events", 3, "time"],
        ["body", "events", 4, "status"],
    ]
    assert details[0]["msg"] == "Input should have timezone info"
    broken = client.post(
        EVENTS, content=b'{"events": [', headers={**admin, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["details"][0]["loc"] == ["body"]
    assert broken.json()["error"]["details"][0]["msg"].startswith("Invalid JSON")
    assert _count(sessions) == 3


def test_an_oversized_batch_is_413_by_header_and_by_streamed_size(
    client: TestClient,
    sessions: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = bearer(client, "admin")
    big = b'{"events": [], "pad": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = client.post(
        EVENTS, content=big, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "invalid_input", "message": "request body is larger than 20971520 bytes"}
    }
    monkeypatch.setattr(tracking_routes, "BATCH_MAX_BYTES", 1000)

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the streamed size can tell
        yield b'{"events": ['
        for _ in range(20):
            yield json.dumps(ev("WBA000", "2026-11-01T15:00:00+08:00", "picked_up")).encode()
            yield b","
        yield b"]}"

    streamed = client.post(
        EVENTS, content=chunks(), headers={**admin, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert _count(sessions) == 3


def test_an_early_scan_is_kept_then_attached_when_the_order_is_marked_shipped(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = unshipped_order(sessions, "N001")
    admin = bearer(client, "admin")
    scans = {"events": [ev("YT9001", "2026-11-03T16:00:00+08:00", "picked_up", carrier="圆通")]}
    assert client.post(JUDGED, json=scans, headers=admin).json()["unmatched"] == 1
    merchant = bearer(client, "merchant")
    body = {
        "external_id": "N001",
        "carrier": "yuantong",
        "waybill": "yt9001",
        "shipped_at": "2026-11-03T15:00:00+08:00",
    }
    response = client.post("/api/v1/shipments", json=body, headers=merchant)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data == {
        "shipment_id": data["shipment_id"],
        "order_id": order_id,
        "carrier_code": "YTO",
        "carrier_known": True,
        "waybill_no": "YT9001",
        "shipped_at": "2026-11-03T15:00:00+08:00",
        "status": "picked_up",
        "picked_up_at": "2026-11-03T16:00:00+08:00",
        "attached_events": 1,
        "violations_new": 0,
        "platform": None,  # the shop is not connected to its platform
    }
    with sessions() as s:
        assert s.get_one(Order, order_id).status == "shipped"
        event = s.execute(
            select(TrackingEvent).where(TrackingEvent.waybill_no == "YT9001")
        ).scalar_one()
        assert event.shipment_id == data["shipment_id"]
        audit = s.execute(
            select(AuditEvent).where(AuditEvent.action == "marked_shipped")
        ).scalar_one()
        assert (audit.entity_id, audit.actor, audit.data["carrier_code"]) == (
            data["shipment_id"],
            "merchant",
            "YTO",
        )
    # every shipment of the order is now marked: a second waybill is a conflict
    body["waybill"] = "YT9002"
    conflict = client.post("/api/v1/shipments", json=body, headers=merchant)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"


def test_another_shops_order_is_404_and_nothing_changes(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = unshipped_order(sessions, "N002", shop=1)
    body = {
        "order_id": order_id,
        "carrier": "中通",
        "waybill": "ZT1",
        "shipped_at": "2026-11-03T15:00:00+08:00",
    }
    response = client.post("/api/v1/shipments", json=body, headers=bearer(client, "other"))
    assert response.status_code == 404
    with sessions() as s:
        shipment = s.execute(select(Shipment).where(Shipment.order_id == order_id)).scalar_one()
        audits = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert (shipment.waybill_no, shipment.carrier_id, shipment.status) == (None, None, "created")
    assert audits == 0


def test_an_unknown_carrier_is_recorded_as_unknown_and_bad_input_is_refused(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = unshipped_order(sessions, "N003")
    merchant = bearer(client, "merchant")
    base = {"order_id": order_id, "carrier": "火星快递", "waybill": "MX1"}
    future = client.post(
        "/api/v1/shipments",
        json={**base, "shipped_at": "2026-11-05T15:00:00+08:00"},
        headers=merchant,
    )
    assert future.status_code == 422
    naive = client.post(
        "/api/v1/shipments", json={**base, "shipped_at": "2026-11-03T15:00:00"}, headers=merchant
    )
    assert naive.status_code == 422
    taken = client.post(
        "/api/v1/shipments",
        json={**base, "waybill": "WBA001", "shipped_at": "2026-11-03T15:00:00+08:00"},
        headers=merchant,
    )
    assert taken.status_code == 409
    ok = client.post(
        "/api/v1/shipments",
        json={**base, "shipped_at": "2026-11-03T15:00:00+08:00"},
        headers=merchant,
    )
    assert ok.status_code == 200
    assert (ok.json()["carrier_code"], ok.json()["carrier_known"], ok.json()["status"]) == (
        None,
        False,
        "awaiting_pickup",
    )
