"""Courier reminders land in the contact log; tasks: assign, my tasks, overdue, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AuditEvent, Communication, Shipment, User
from lanshou.adapters.db.models.alerts import AlertDelivery, Assignment
from lanshou.adapters.notify import LoggingSmsSender
from lanshou.alerts import reminders
from lanshou.domain.roles import Role
from lanshou.errors import InvalidInput, NotFound
from lanshou.identity import tasks
from lanshou.identity.auth import Principal
from lanshou.identity.scope import Scope
from tests.integration.web.world import NOW, World

SHOP_A = Scope(frozenset({1}))


def _shipment(sessions: sessionmaker[Session], world: World, ext: str) -> int:
    with sessions() as s:
        return s.execute(
            select(Shipment.id).where(Shipment.order_id == world.order_ids[ext])
        ).scalar_one()


def _who(sessions: sessionmaker[Session], username: str) -> Principal:
    with sessions() as s:
        u = s.execute(select(User).where(User.username == username)).scalar_one()
        return Principal(u.id, u.username, u.display_name, Role(u.role), None)


def test_the_reminder_is_filled_from_the_shipment_and_logged_when_sent(
    sessions: sessionmaker[Session], world: World
) -> None:
    sid = _shipment(sessions, world, "A000")
    with sessions.begin() as s:
        r = reminders.reminder_for(s, SHOP_A, sid, "zh_CN")
        assert r.text == (
            "师傅您好，这里是甜橙小铺。订单 A000（运单号 WBA000）的包裹请在 "
            "2026-11-04 15:20 前上门揽收。揽收地址：—。谢谢！"
        )
        sms = LoggingSmsSender()
        result = sms.send_sms("13800000009", r.text)
        reminders.record_sms_reminder(
            s,
            SHOP_A,
            r,
            phone="13800000009",
            user_id=None,
            result=result,
            sender_name=sms.name,
            now=NOW,
        )
        reminders.record_copied_reminder(s, SHOP_A, r, user_id=None, now=NOW)
    with sessions() as s:
        log = [
            (c.channel, c.counterpart_kind, c.shipment_id, c.summary)
            for c in s.execute(select(Communication).order_by(Communication.id)).scalars()
        ]
        [delivery] = s.execute(select(AlertDelivery)).scalars()
    assert log == [("sms", "courier", sid, r.text), ("reminder", "courier", sid, r.text)]
    assert (delivery.channel_kind, delivery.target, delivery.ok) == ("sms", "log:13800000009", True)


def test_another_shops_shipment_has_no_reminder(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as s, pytest.raises(NotFound):
        reminders.reminder_for(s, Scope(frozenset({2})), _shipment(sessions, world, "A000"), "en")


def test_assign_my_tasks_overdue_and_history(sessions: sessionmaker[Session], world: World) -> None:
    owner, staff = _who(sessions, "merchant"), _who(sessions, "staff")
    a000, a004 = _shipment(sessions, world, "A000"), _shipment(sessions, world, "A004")
    with sessions.begin() as s:
        late = tasks.assign(
            s,
            owner,
            entity_type="shipment",
            entity_id=a000,
            assignee_id=staff.user_id,
            due_at=NOW - timedelta(hours=1),
            note="催快递员",
            now=NOW - timedelta(hours=3),
        )
        tasks.assign(
            s,
            owner,
            entity_type="shipment",
            entity_id=a004,
            assignee_id=staff.user_id,
            due_at=NOW + timedelta(hours=5),
            note="",
            now=NOW,
        )
    with sessions() as s:
        mine = tasks.my_tasks(s, staff, NOW)
        assert [(v.entity.order_external_id, v.overdue) for v in mine] == [
            ("A000", True),
            ("A004", False),
        ]
        assert tasks.my_tasks(s, owner, NOW) == []
    with sessions.begin() as s:
        tasks.complete(s, staff, late.id, NOW, "已揽收")
    with sessions() as s:
        assert [v.entity.order_external_id for v in tasks.my_tasks(s, staff, NOW)] == ["A004"]
        history = [(e.action, e.actor, e.reason) for e in tasks.task_history(s, [late.id])]
    assert history == [("assigned", "merchant", "催快递员"), ("completed", "staff", "已揽收")]


def test_tasks_respect_the_tenant_boundary(sessions: sessionmaker[Session], world: World) -> None:
    other, staff = _who(sessions, "other"), _who(sessions, "staff")
    a000 = _shipment(sessions, world, "A000")
    with sessions() as s:
        before = s.execute(select(AuditEvent)).all()
        with pytest.raises(NotFound):
            tasks.assign(
                s,
                other,
                entity_type="shipment",
                entity_id=a000,
                assignee_id=other.user_id,
                due_at=None,
                note="",
                now=NOW,
            )
        with pytest.raises(InvalidInput):  # shop B's owner cannot be given shop A's work
            tasks.assign(
                s,
                _who(sessions, "merchant"),
                entity_type="shipment",
                entity_id=a000,
                assignee_id=other.user_id,
                due_at=None,
                note="",
                now=NOW,
            )
        s.rollback()
        assert s.execute(select(Assignment)).all() == []
        assert s.execute(select(AuditEvent)).all() == before
    with sessions.begin() as s:
        row = tasks.assign(
            s,
            _who(sessions, "merchant"),
            entity_type="shipment",
            entity_id=a000,
            assignee_id=staff.user_id,
            due_at=None,
            note="",
            now=NOW,
        )
    with sessions() as s, pytest.raises(NotFound):
        tasks.complete(s, other, row.id, NOW)
