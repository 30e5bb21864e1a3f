"""Buyer complaints: filed by a cs agent, upheld with a merchant task, escalated when overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

from lanshou.appeals import escalate_overdue
from tests.integration.web.world import NOW, bearer

API = "/api/v1"


def test_upheld_complaint_gives_a_task_that_escalates(client, sessions, world) -> None:  # type: ignore[no-untyped-def]
    order = world.order_ids["A001"]
    assert (
        client.post(
            f"{API}/complaints",
            json={"order_id": order, "reason": "x"},
            headers=bearer(client, "merchant"),
        ).status_code
        == 403
    )
    filed = client.post(
        f"{API}/complaints",
        json={"order_id": order, "reason": "迟迟不发货"},
        headers=bearer(client, "agent"),
    )
    assert filed.status_code == 201, filed.text
    cid = filed.json()["id"]
    upheld = client.post(
        f"{API}/complaints/{cid}/decision",
        headers=bearer(client, "reviewer"),
        json={"uphold": True, "task_kind": "compensate"},
    )
    assert upheld.status_code == 200, upheld.text
    task = upheld.json()["task"]
    # Two working days after Wed 2026-11-04 12:00 +08.
    assert datetime.fromisoformat(task["due_at"]) == NOW + timedelta(days=2)
    assert (
        client.post(
            f"{API}/complaints/{cid}/decision",
            headers=bearer(client, "reviewer"),
            json={"uphold": False},
        ).status_code
        == 409
    )
    assert client.get(f"{API}/complaints/{cid}", headers=bearer(client, "other")).status_code == 404
    with sessions() as s:
        assert escalate_overdue(s, NOW + timedelta(days=1)) == 0
        assert escalate_overdue(s, NOW + timedelta(days=3)) == 1
        assert escalate_overdue(s, NOW + timedelta(days=4)) == 0
        s.commit()
    seen = client.get(f"{API}/complaints?shop=1", headers=bearer(client, "merchant")).json()
    assert seen[0]["task"]["escalated"] is True
