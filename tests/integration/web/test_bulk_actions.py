"""Bulk actions: remind couriers and assign from the at-risk board; assign and file appeals from
the violations list. Every row goes through the single action's service (same audit records),
a refused row is reported and leaves the others done, and appeals are shown for review first."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Appeal,
    AppealEvent,
    AuditEvent,
    Communication,
    Evidence,
    Shipment,
    User,
)
from lanshou.adapters.db.models.alerts import Assignment
from lanshou.adapters.notify.sms import LoggingSmsSender
from tests.integration.appeals.conftest import client, runtime, world
from tests.integration.web.world import World, csrf_of, insert_violation, login

__all__ = ["client", "runtime", "world"]

OUTCOME = re.compile(
    r'<tr class="bulk-(ok|failed)">\s*<td class="mono">([^<]+)</td>.*?<td>([^<]+?)\s*(?:<a|</td>)',
    re.S,
)


def _shipment(sessions: sessionmaker[Session], world: World, ext: str) -> int:
    with sessions() as s:
        return s.execute(
            select(Shipment.id).where(Shipment.order_id == world.order_ids[ext])
        ).scalar_one()


def _user(sessions: sessionmaker[Session], username: str) -> int:
    with sessions() as s:
        return s.execute(select(User.id).where(User.username == username)).scalar_one()


def _count(sessions: sessionmaker[Session], model: type, *where: object) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())  # type: ignore[arg-type]


def _post(client: TestClient, page: str, url: str, data: dict[str, object]) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


@pytest.fixture
def violations(sessions: sessionmaker[Session], world: World) -> dict[str, int]:
    with sessions() as s:
        ids = {
            "open": insert_violation(s, 1, world.order_ids["A000"], 1),
            "open2": insert_violation(s, 1, world.order_ids["A003"], 3),
            "closed": insert_violation(s, 1, world.order_ids["A001"], 8),
            "other": insert_violation(s, 2, world.order_ids["B000"], 1),
        }
        s.commit()
    return ids


def test_reminding_couriers_sends_where_a_phone_is_known_and_says_why_not_elsewhere(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    sms = LoggingSmsSender()
    client.app.state.sms_sender = sms  # type: ignore[attr-defined]
    login(client, "merchant")
    with_phone, without = _shipment(sessions, world, "A002"), _shipment(sessions, world, "A000")
    foreign = _shipment(sessions, world, "B000")
    response = _post(
        client,
        "/at-risk",
        "/at-risk/bulk",
        {"action": "remind", "shipment_id": [str(with_phone), str(without), str(foreign)]},
    )
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert OUTCOME.findall(text) == [
        ("ok", "A002", "短信已发送并记入沟通记录。"),
        ("failed", "A000", "这个包裹没有快递员手机号。"),
        ("failed", f"#{foreign}", "未找到，或不属于您的店铺。"),
    ]
    assert "完成 1 项，未完成 2 项。" in text
    assert [phone for phone, _ in sms.sent] == ["13800000001"]
    assert _count(sessions, Communication, Communication.channel == "sms") == 1


def test_assigning_board_rows_audits_each_and_reports_the_refused_one(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    login(client, "merchant")
    rows = [_shipment(sessions, world, e) for e in ("A000", "A004", "B000")]
    staff = _user(sessions, "staff")
    response = _post(
        client,
        "/at-risk",
        "/at-risk/bulk",
        {
            "action": "assign",
            "shipment_id": [str(r) for r in rows],
            "assignee_id": str(staff),
            "due_at": "2026-11-05T09:00",
            "note": "明早前催揽收",
        },
    )
    assert [(ok, label) for ok, label, _ in OUTCOME.findall(response.text)] == [  # type: ignore[attr-defined]
        ("ok", "A000"),
        ("ok", "A004"),
        ("failed", f"#{rows[2]}"),
    ]
    with sessions() as s:
        made = s.execute(
            select(Assignment.entity_type, Assignment.entity_id, Assignment.assignee_id)
        ).all()
        audited = s.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.data).where(
                AuditEvent.entity_type == "assignment"
            )
        ).all()
    assert sorted(made) == [("shipment", rows[0], staff), ("shipment", rows[1], staff)]
    assert [(a, actor, d["entity"]) for a, actor, d in audited] == [
        ("assigned", "merchant", f"shipment:{rows[0]}"),
        ("assigned", "merchant", f"shipment:{rows[1]}"),
    ]


def test_a_bulk_action_without_rows_or_colleague_is_refused_in_words(
    client: TestClient, sessions: sessionmaker[Session], world: World, violations: dict[str, int]
) -> None:
    login(client, "merchant")
    empty = _post(client, "/at-risk", "/at-risk/bulk", {"action": "remind"})
    assert empty.status_code == 422 and "请先至少勾选一行。" in empty.text  # type: ignore[attr-defined]
    nobody = _post(
        client,
        "/violations",
        "/violations/bulk",
        {"action": "assign", "violation_id": [str(violations["open"])]},
    )
    assert nobody.status_code == 422 and "请选择要分派给哪位同事。" in nobody.text  # type: ignore[attr-defined]
    assert _count(sessions, Assignment) == 0


def test_appeals_are_drafted_for_review_and_only_the_ticked_ones_are_submitted(
    client: TestClient, sessions: sessionmaker[Session], violations: dict[str, int]
) -> None:
    login(client, "merchant")
    chosen = [violations[k] for k in ("open", "open2", "closed", "other")]
    review = _post(
        client,
        "/violations",
        "/violations/bulk",
        {"action": "appeal", "violation_id": [str(v) for v in chosen]},
    )
    assert review.status_code == 200  # type: ignore[attr-defined]
    page = review.text  # type: ignore[attr-defined]
    assert re.findall(r'<section class="card bulk-draft" id="draft-(\d+)">', page) == [
        str(violations["open"]),
        str(violations["open2"]),
    ]
    statements = re.findall(r'<textarea name="statement"[^>]*>([^<]+)</textarea>', page)
    assert len(statements) == 2 and all(0 < len(s) <= 200 for s in statements)
    assert f"A001、#{violations['other']}" in page  # refused: window closed, another shop's
    assert "2026-11-10 12:00" in page and "2026-11-08 12:00" in page  # each window's close
    assert _count(sessions, Appeal) == 0  # nothing filed while reviewing

    filed = _post(
        client,
        "/violations",
        "/violations/bulk/appeals",
        {
            "violation_id": [str(violations["open"]), str(violations["open2"])],
            "statement": ["快递员当天未上门揽收，已多次电话催促。", statements[1]],
            "confirm": [str(violations["open"])],
        },
    )
    assert OUTCOME.findall(filed.text) == [("ok", "A000", "申诉已提交。")]  # type: ignore[attr-defined]
    with sessions() as s:
        appeal = s.execute(select(Appeal)).scalar_one()
        events = s.execute(
            select(AppealEvent.event).where(AppealEvent.appeal_id == appeal.id)
        ).scalars()
        system = s.execute(
            select(Evidence.filename).where(
                Evidence.appeal_id == appeal.id, Evidence.kind == "system"
            )
        ).scalars()
        assert (appeal.violation_id, appeal.state, appeal.statement) == (
            violations["open"],
            "submitted",
            "快递员当天未上门揽收，已多次电话催促。",
        )
        assert list(events) == ["create", "submit"] and list(system) == ["system-round1.json"]
        audited = s.execute(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "appeal", AuditEvent.entity_id == appeal.id
            )
        ).scalars()
        assert list(audited) == ["create", "submit"]
    again = _post(
        client,
        "/violations",
        "/violations/bulk/appeals",
        {
            "violation_id": [str(violations["open"])],
            "statement": ["再次申诉"],
            "confirm": [str(violations["open"])],
        },
    )
    assert OUTCOME.findall(again.text) == [("failed", "A000", "这条违规已有进行中的申诉。")]  # type: ignore[attr-defined]
    assert _count(sessions, Appeal) == 1


def test_violations_are_assigned_in_bulk(
    client: TestClient, sessions: sessionmaker[Session], violations: dict[str, int]
) -> None:
    login(client, "merchant")
    agent = _user(sessions, "agent")
    response = _post(
        client,
        "/violations",
        "/violations/bulk",
        {
            "action": "assign",
            "violation_id": [str(violations["open"]), str(violations["closed"])],
            "assignee_id": str(agent),
        },
    )
    assert [(ok, label) for ok, label, _ in OUTCOME.findall(response.text)] == [  # type: ignore[attr-defined]
        ("ok", "A000"),
        ("ok", "A001"),
    ]
    assert _count(sessions, AuditEvent, AuditEvent.entity_type == "assignment") == 2
