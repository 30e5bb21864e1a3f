"""Appeal windows, review and complaint-task deadlines at day, month, year, leap-day and holiday
boundaries.

Douyin: an appeal may be filed within 7 calendar days of the breach (the platform records it
when the pickup deadline passes, whenever lanshou happens to evaluate it), the window's last
instant included; a submitted appeal is due for review, and an upheld buyer
complaint's merchant task is due, 2 working days later (China calendar, same time of day; from a
non-working day, 00:00 of the second workday after it). Expected instants are written out by
hand from the 2026 schedule (see ``test_deadlines_at_boundaries``); 2027 and 2028 count their
statutory holidays and weekends, without make-up workdays.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    Appeal,
    AuditEvent,
    ComplaintTask,
    Shipment,
    User,
    Violation,
)
from lanshou.adapters.storage.local import LocalDirectoryStorage
from lanshou.appeals import (
    AppealsContext,
    complete_task,
    create_appeal,
    decide_complaint,
    escalate_overdue,
    expire_overdue,
    file_complaint,
    list_violations,
    submit_appeal,
)
from lanshou.domain.roles import Role
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.errors import Conflict
from lanshou.identity.auth import Principal, create_user
from lanshou.identity.scope import Scope
from lanshou.settings import load_settings
from tests.integration.enforcement.world import World
from tests.integration.time.instants import bj, weekends_only_years_expected

SETTINGS = load_settings(env="test", secret_key="x" * 32)
US = timedelta(microseconds=1)


@pytest.fixture
def actx(tmp_path: Path) -> Iterator[AppealsContext]:
    with weekends_only_years_expected():
        yield AppealsContext(RulesContext(), LocalDirectoryStorage(tmp_path / "evidence"))


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    """One douyin shop and its owner."""
    w = World(sessions).setup("douyin")
    with unit_of_work(sessions) as s:
        create_user(
            s,
            "merchant",
            "correct-horse-battery",
            Role.MERCHANT_OWNER,
            "店主",
            [w.shop_id],
            datetime(2026, 1, 1, tzinfo=UTC),
        )
    return w


def owner(sessions: sessionmaker[Session]) -> Principal:
    """The shop owner as a logged-in caller (logging in is not what these tests are about)."""
    with sessions() as s:
        user = s.scalars(select(User).where(User.username == "merchant")).one()
        return Principal(user.id, user.username, user.display_name, Role(user.role), None)


def violation_breached_at(
    w: World, breach: datetime, ext: str = "AP1", detected: datetime | None = None
) -> int:
    """A 24-hour pickup timeout due at ``breach`` that the sweep finds at ``detected`` (an hour
    after the breach unless said otherwise)."""
    detected = detected or breach + timedelta(hours=1)
    shipped = breach - timedelta(hours=24)
    sid = w.order(ext, shipped - timedelta(hours=1), shipped=shipped)
    with unit_of_work(w.sessions) as s:
        evaluate_shipments(s, [sid], shipped, RulesContext())
    run_sweep(w.sessions, detected, SETTINGS, ctx=RulesContext())
    with w.sessions() as s:
        vid, deadline, at = s.execute(
            select(Violation.id, Violation.deadline, Violation.detected_at).where(
                Violation.shipment_id == sid
            )
        ).one()
    assert (deadline, at) == (breach, detected)
    return vid


def file(
    sessions: sessionmaker[Session],
    actx: AppealsContext,
    vid: int,
    now: datetime,
    submit: bool = False,
) -> Appeal:
    with unit_of_work(sessions) as s:
        merchant = owner(sessions)
        appeal = create_appeal(s, actx, merchant, vid, "online", "快递员未上门", now)
        if submit:
            appeal = submit_appeal(s, actx, merchant, appeal.id, now)
        return appeal


WINDOWS = [
    # breach (the deadline), last instant to file = breach + 7 days
    (bj(2026, 11, 30, 23, 59, 59), bj(2026, 12, 7, 23, 59, 59)),  # Beijing month end
    (bj(2027, 1, 1, 0, 0), bj(2027, 1, 8, 0, 0)),  # Beijing new year, 2026-12-31T16:00Z
    (bj(2026, 12, 31, 23, 59, 59), bj(2027, 1, 7, 23, 59, 59)),
    (bj(2028, 2, 22, 20, 0), bj(2028, 2, 29, 20, 0)),  # closes on the leap day
    (bj(2026, 2, 12, 10, 0), bj(2026, 2, 19, 10, 0)),  # calendar days: the festival counts
]


@pytest.mark.parametrize(
    ("breach", "closes"), WINDOWS, ids=[f"{n:%Y-%m-%dT%H:%M:%S}" for n, _ in WINDOWS]
)
def test_the_appeal_window_includes_its_last_instant_and_nothing_after(
    sessions: sessionmaker[Session],
    world: World,
    actx: AppealsContext,
    breach: datetime,
    closes: datetime,
) -> None:
    vid = violation_breached_at(world, breach)
    with pytest.raises(Conflict) as refused:
        file(sessions, actx, vid, closes + US)
    assert refused.value.details["closed_at"] == closes.astimezone(UTC).isoformat()
    appeal = file(sessions, actx, vid, closes)
    assert (appeal.state, appeal.due_at) == ("draft", closes)


TWO_WORKING_DAYS = [
    # from (Beijing), 2 working days later (Beijing)
    (bj(2026, 9, 30, 23, 59), bj(2026, 10, 9, 23, 59)),  # eve of National Day
    (bj(2026, 10, 1, 0, 1), bj(2026, 10, 10, 0, 0)),  # a holiday; Saturday 10/10 is a workday
    (bj(2026, 2, 13, 23, 59), bj(2026, 2, 24, 23, 59)),  # make-up Saturday 2/14, then 2/24
    (bj(2026, 2, 17, 10, 0), bj(2026, 2, 26, 0, 0)),  # Spring Festival day
    (bj(2026, 12, 31, 23, 59), bj(2027, 1, 5, 23, 59)),  # 2027: 元旦 1/1 is a holiday
    (bj(2027, 2, 5, 23, 59), bj(2027, 2, 11, 0, 0)),  # 除夕 2/5 to 2/8 off: from 2/9
    (bj(2027, 2, 12, 23, 59), bj(2027, 2, 16, 23, 59)),
    (bj(2028, 2, 28, 12, 0), bj(2028, 3, 1, 12, 0)),  # across the leap day
]


@pytest.mark.parametrize(
    ("submitted", "review_by"),
    TWO_WORKING_DAYS,
    ids=[f"{s:%Y-%m-%dT%H:%M}" for s, _ in TWO_WORKING_DAYS],
)
def test_the_review_is_due_two_working_days_after_submission(
    sessions: sessionmaker[Session],
    world: World,
    actx: AppealsContext,
    submitted: datetime,
    review_by: datetime,
) -> None:
    vid = violation_breached_at(world, submitted - timedelta(hours=2))
    appeal = file(sessions, actx, vid, submitted, submit=True)
    assert (appeal.state, appeal.submitted_at, appeal.due_at) == ("submitted", submitted, review_by)


def test_a_draft_expires_only_after_the_last_instant_it_could_be_submitted(
    sessions: sessionmaker[Session], world: World, actx: AppealsContext
) -> None:
    """Filing and submitting accept the window's last instant, so the sweep must not expire a
    draft at that instant (it once did: ``due_at <= now``)."""
    breach = bj(2026, 12, 3, 23, 59, 59)  # 15:59:59Z
    closes = breach + timedelta(days=7)
    kept = file(sessions, actx, violation_breached_at(world, breach, "AP1"), breach)
    lapsed = file(sessions, actx, violation_breached_at(world, breach, "AP2"), breach)
    with unit_of_work(sessions) as s:
        assert expire_overdue(s, closes) == 0
    with unit_of_work(sessions) as s:
        assert submit_appeal(s, actx, owner(sessions), kept.id, closes).state == "submitted"
    with unit_of_work(sessions) as s:
        assert expire_overdue(s, closes + US) == 1
    with sessions() as s:
        states = dict(s.execute(select(Appeal.id, Appeal.state)).all())
    assert states == {kept.id: "submitted", lapsed.id: "expired"}


def _listed(sessions: sessionmaker[Session], actx: AppealsContext, now: datetime) -> object:
    with sessions() as s:
        [row] = list_violations(s, actx, Scope(None), now)
        return (row.appeal_closes_at, row.appealable, row.window_closed)


def test_a_breach_found_days_late_keeps_the_window_the_platform_opened_at_the_breach(
    sessions: sessionmaker[Session], world: World, actx: AppealsContext
) -> None:
    """A breach of 29 November evaluated only on 4 December: the window still closes on
    6 December, and a draft filed then expires in the sweep right after that instant."""
    breach = bj(2026, 11, 29, 10, 14)
    closes = bj(2026, 12, 6, 10, 14)
    vid = violation_breached_at(world, breach, detected=bj(2026, 12, 4, 9, 0))
    assert _listed(sessions, actx, bj(2026, 12, 4, 9, 0)) == (closes, True, False)
    appeal = file(sessions, actx, vid, bj(2026, 12, 5, 8, 0))
    assert (appeal.state, appeal.due_at) == ("draft", closes)
    with unit_of_work(sessions) as s:
        assert expire_overdue(s, closes) == 0
    with unit_of_work(sessions) as s:
        assert expire_overdue(s, closes + US) == 1
    with sessions() as s:
        assert s.scalars(select(Appeal.state).where(Appeal.id == appeal.id)).one() == "expired"
    # the expired draft does not reopen a window that has passed
    assert _listed(sessions, actx, closes + US) == (closes, False, True)


def test_a_breach_found_after_its_window_closed_cannot_be_appealed(
    sessions: sessionmaker[Session], world: World, actx: AppealsContext
) -> None:
    breach = bj(2026, 11, 29, 10, 14)
    closes = bj(2026, 12, 6, 10, 14)
    detected = bj(2026, 12, 8, 2, 14)
    vid = violation_breached_at(world, breach, detected=detected)
    assert _listed(sessions, actx, detected) == (closes, False, True)
    with pytest.raises(Conflict) as refused:
        file(sessions, actx, vid, detected)
    assert refused.value.details == {
        "window": "appeal",
        "window_days": 7,
        "closed_at": closes.astimezone(UTC).isoformat(),
    }
    with sessions() as s:
        assert s.scalars(select(Appeal.id)).all() == []


# --------------------------------------------------------------- buyer complaints' merchant tasks


def admin(sessions: sessionmaker[Session]) -> Principal:
    with unit_of_work(sessions) as s:
        user = create_user(
            s,
            "admin",
            "correct-horse-battery",
            Role.ADMIN,
            "管理员",
            [],
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        return Principal(user.id, user.username, user.display_name, Role.ADMIN, None)


def upheld_task(world: World, caller: Principal, at: datetime, ext: str = "CP1") -> int:
    """A complaint about a new order, upheld at ``at`` with a task for the merchant."""
    sid = world.order(ext, at - timedelta(days=1))
    with unit_of_work(world.sessions) as s:
        order_id = s.scalars(select(Shipment.order_id).where(Shipment.id == sid)).one()
        complaint = file_complaint(s, caller, order_id, "迟迟不发货", at)
        view = decide_complaint(s, RulesContext(), caller, complaint.id, True, at, "compensate")
        assert view.task is not None
        return complaint.id


@pytest.mark.parametrize(
    ("upheld", "task_due"),
    TWO_WORKING_DAYS,
    ids=[f"{s:%Y-%m-%dT%H:%M}" for s, _ in TWO_WORKING_DAYS],
)
def test_a_complaint_task_is_due_two_working_days_after_the_decision(
    sessions: sessionmaker[Session], world: World, upheld: datetime, task_due: datetime
) -> None:
    with weekends_only_years_expected():
        cid = upheld_task(world, admin(sessions), upheld)
    with sessions() as s:
        assert (
            s.scalars(select(ComplaintTask.due_at).where(ComplaintTask.complaint_id == cid)).one()
            == task_due
        )


def test_a_complaint_task_escalates_only_after_the_instant_it_is_still_on_time(
    sessions: sessionmaker[Session], world: World
) -> None:
    """Completing a task at its deadline's instant is on time, so the sweep must not escalate
    it at that instant (it once did: ``due_at <= now``)."""
    caller = admin(sessions)
    upheld = bj(2026, 12, 3, 23, 59, 59)  # Thursday, 15:59:59Z
    due = bj(2026, 12, 7, 23, 59, 59)  # Monday: Friday and Monday are the two working days
    done = upheld_task(world, caller, upheld, "CP1")
    left = upheld_task(world, caller, upheld, "CP2")
    with unit_of_work(sessions) as s:
        assert escalate_overdue(s, due) == 0
        complete_task(s, caller, done, "已补偿买家", due)
    with unit_of_work(sessions) as s:
        assert escalate_overdue(s, due + US) == 1
    with sessions() as s:
        tasks = dict(s.execute(select(ComplaintTask.complaint_id, ComplaintTask.escalated)).all())
        late = [
            e.data["late"]
            for e in s.scalars(
                select(AuditEvent).where(
                    AuditEvent.entity_type == "complaint", AuditEvent.action == "task_done"
                )
            )
        ]
    assert (tasks, late) == ({done: False, left: True}, [False])
