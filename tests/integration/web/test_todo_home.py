"""The to-do home: each role's counts, the first window to close, and the filtered lists the
counts link to showing exactly the counted rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Appeal,
    Complaint,
    ComplaintTask,
    Deadline,
    Shipment,
    User,
)
from lanshou.adapters.db.models.alerts import Assignment
from tests.integration.appeals.conftest import client, runtime, world
from tests.integration.web.world import NOW, World, insert_violation, login

__all__ = ["client", "runtime", "world"]

CARD = re.compile(
    r'<a class="card todo-card[^"]*" href="([^"]+)">\s*<span class="todo-count">(\d+)</span>'
    r'\s*<span class="todo-title">[^<]*</span>\s*(?:<span class="todo-closes">([^<]*)</span>)?'
)


@dataclass(frozen=True)
class Todo:
    appealable: list[int]  # violation ids, newest first
    reconsider: int  # violation id
    due_today: int  # appeal ids
    overdue: int
    later: int
    complaint_open: int
    task_open: int  # complaint ids
    task_overdue: int


def _appeal(s: Session, violation_id: int, state: str, **times: object) -> int:
    merchant = s.execute(select(User.id).where(User.username == "merchant")).scalar_one()
    a = Appeal(
        violation_id=violation_id,
        shop_id=1,
        round=1,
        state=state,
        channel="online",
        venue="internal",
        statement="快递员未上门",
        created_by=merchant,
        created_at=NOW - timedelta(days=1),
        version=0,
        **times,
    )
    s.add(a)
    s.flush()
    return a.id


def _complaint(s: Session, order_id: int, state: str, task_due: timedelta | None = None) -> int:
    c = Complaint(order_id=order_id, shop_id=1, state=state, reason="没揽收", created_at=NOW)
    s.add(c)
    s.flush()
    if task_due is not None:
        s.add(
            ComplaintTask(
                complaint_id=c.id,
                shop_id=1,
                kind="refund",
                state="open",
                due_at=NOW + task_due,
                escalated=False,
                created_at=NOW,
                note="",
            )
        )
        s.flush()
    return c.id


def _deadline(s: Session, order_id: int, shop: int, left: timedelta) -> None:
    sid = s.execute(select(Shipment.id).where(Shipment.order_id == order_id)).scalar_one()
    s.add(
        Deadline(
            shipment_id=sid,
            shop_id=shop,
            profile="douyin",
            rule_id="ship_by",
            started_at=NOW - timedelta(hours=20),
            due_at=NOW + left,
            state="pending",
            evaluated_at=NOW,
        )
    )


@pytest.fixture
def todo(sessions: sessionmaker[Session], world: World) -> Todo:
    o = world.order_ids
    with sessions() as s:
        v_new = insert_violation(s, 1, o["A000"], 1)  # appeal by 11-10 12:00
        insert_violation(s, 1, o["A001"], 8)  # window closed on 11-04 12:00 - 1 day
        v_rejected = insert_violation(s, 1, o["A002"], 2)
        _appeal(s, v_rejected, "rejected", decided_at=NOW - timedelta(hours=2))
        v_withdrawn = insert_violation(s, 1, o["A003"], 3)  # appeal by 11-08 12:00
        _appeal(s, v_withdrawn, "withdrawn")
        today = _appeal(
            s, insert_violation(s, 1, o["A005"], 1), "submitted", due_at=NOW + timedelta(hours=2)
        )
        late = _appeal(
            s, insert_violation(s, 1, o["A006"], 1), "under_review", due_at=NOW - timedelta(hours=1)
        )
        later = _appeal(
            s,
            insert_violation(s, 1, o["A007"], 1),
            "reconsideration",
            due_at=NOW + timedelta(days=1),
        )
        _deadline(s, o["A004"], 1, timedelta(hours=7))  # not within 6 hours
        _deadline(s, o["B000"], 2, timedelta(hours=1))  # another shop's
        open_c = _complaint(s, o["A008"], "open")
        task_c = _complaint(s, o["A009"], "upheld", timedelta(days=1))
        late_c = _complaint(s, o["A010"], "upheld", -timedelta(hours=1))
        _complaint(s, o["A011"], "dismissed")
        ids = dict(s.execute(select(User.username, User.id)).all())
        for due in (NOW - timedelta(hours=1), None):
            s.add(
                Assignment(
                    shop_id=1,
                    entity_type="violation",
                    entity_id=v_new,
                    assignee_id=ids["merchant"],
                    due_at=due,
                    state="open",
                    note="",
                    created_by=ids["staff"],
                    created_at=NOW - timedelta(days=1),
                )
            )
        s.commit()
    return Todo([v_new, v_withdrawn], v_rejected, today, late, later, open_c, task_c, late_c)


def _cards(client: TestClient) -> dict[str, tuple[int, str | None]]:
    page = client.get("/")
    assert page.status_code == 200, page.text
    return {href: (int(n), closes or None) for href, n, closes in CARD.findall(page.text)}


def test_the_owner_sees_deadlines_windows_reconsiderations_and_tasks(
    client: TestClient, todo: Todo
) -> None:
    login(client, "merchant")
    assert _cards(client) == {
        "/at-risk?within=6": (1, None),
        "/violations?todo=appealable": (2, "最早 2026-11-08 12:00 截止"),
        "/violations?todo=reconsider": (1, "最早 2026-11-11 10:00 截止"),
        "/tasks": (2, None),
        "/tasks?overdue=1": (1, None),
    }


def test_each_merchant_count_links_to_a_list_of_exactly_those_rows(
    client: TestClient, todo: Todo, world: World
) -> None:
    login(client, "merchant")
    board = client.get("/at-risk?within=6").text
    assert re.findall(r'<a class="mono" href="/orders/\d+">([AB]\d{3})</a>', board) == ["A000"]
    assert "仅显示 6 小时内到期的时限。" in board
    appealable = client.get("/violations?todo=appealable").text
    assert re.findall(r'<tr id="violation-(\d+)">', appealable) == [
        str(todo.appealable[0]),
        str(todo.appealable[1]),
    ]
    reconsider = client.get("/violations?todo=reconsider").text
    assert re.findall(r'<tr id="violation-(\d+)">', reconsider) == [str(todo.reconsider)]
    tasks = client.get("/tasks?overdue=1").text
    assert re.findall(r'<tr class="(task[^"]*)">', tasks) == ["task task-overdue"]
    assert "仅显示已超期的任务。" in tasks
    assert client.get("/violations?todo=everything").status_code == 422


def test_a_reviewer_sees_cases_due_today_overdue_and_unclaimed(
    client: TestClient, todo: Todo
) -> None:
    login(client, "reviewer")
    assert _cards(client) == {
        "/review?due=today": (1, None),
        "/review?due=overdue": (1, None),
        "/review?unclaimed=1": (2, None),
        "/complaints?state=open": (1, None),  # only a reviewer (or admin) may decide them
        "/tasks": (0, None),
        "/tasks?overdue=1": (0, None),
    }

    def queue(url: str) -> list[int]:
        return [int(i) for i in re.findall(r'data-appeal="(\d+)"', client.get(url).text)]

    assert queue("/review?due=today") == [todo.due_today]
    assert queue("/review?due=overdue") == [todo.overdue]
    assert queue("/review?unclaimed=1") == [todo.due_today, todo.later]
    assert client.get("/review?due=tomorrow").status_code == 422
    complaints = client.get("/complaints?state=open").text
    assert re.findall(r'<tr id="complaint-(\d+)"', complaints) == [str(todo.complaint_open)]
    assert f'action="/complaints/{todo.complaint_open}/decision"' in complaints


def test_customer_service_sees_complaints_to_answer_and_open_tasks(
    client: TestClient, todo: Todo
) -> None:
    login(client, "agent")
    cards = _cards(client)
    assert {k: v for k, v in cards.items() if k.startswith("/complaints")} == {
        "/complaints?state=open": (1, None),
        "/complaints?task=open": (2, None),
        "/complaints?task=overdue": (1, None),
    }

    def listed(url: str) -> list[int]:
        page = client.get(url)
        assert page.status_code == 200
        return sorted(int(i) for i in re.findall(r'<tr id="complaint-(\d+)"', page.text))

    assert listed("/complaints?state=open") == [todo.complaint_open]
    assert listed("/complaints?task=open") == sorted([todo.task_open, todo.task_overdue])
    assert listed("/complaints?task=overdue") == [todo.task_overdue]


def test_an_admin_sees_every_section_across_shops(client: TestClient, todo: Todo) -> None:
    login(client, "admin")
    cards = _cards(client)
    assert cards["/at-risk?within=6"] == (2, None)  # shop B's deadline too
    assert cards["/review?unclaimed=1"] == (2, None)
    assert cards["/complaints?task=overdue"] == (1, None)


def test_the_due_soon_card_says_the_hours_it_counts_in_both_languages(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card's words come from DUE_SOON_HOURS, as its count and its link do."""
    from lanshou.entrypoints.web.routes import home

    titles = re.compile(r'href="(/at-risk\?within=\d+)">.*?<span class="todo-title">([^<]*)<', re.S)
    login(client, "merchant")
    assert titles.findall(client.get("/").text) == [("/at-risk?within=6", "6 小时内到期的时限")]
    monkeypatch.setattr(home, "DUE_SOON_HOURS", 4)
    assert titles.findall(client.get("/").text) == [("/at-risk?within=4", "4 小时内到期的时限")]
    client.cookies.set("lanshou_locale", "en")
    assert titles.findall(client.get("/").text) == [
        ("/at-risk?within=4", "Deadlines passing within 4 hours")
    ]
