"""What each role has to do first, counted for the home page; the lists filter on the same rules.

A count and the list it links to share one predicate (:func:`appealable_violations`,
:func:`reconsiderable_appeals`, :func:`queue_filter`), so the number on the home page is the
number of rows the list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Complaint, ComplaintTask, Platform, Violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.filing import APPEALABLE_VIOLATION_STATES, appeal_window_closes_at
from lanshou.domain.appeals.limits import AppealLimits
from lanshou.domain.appeals.machine import AWAITING_REVIEW
from lanshou.domain.appeals.machine import AppealState as S
from lanshou.errors import InvalidInput
from lanshou.identity import Scope

# The working day of reviewers and merchants: "due today" is a Beijing calendar day.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
QUEUE_DUE = ("today", "overdue")
_CLOSED = (S.WITHDRAWN.value, S.EXPIRED.value)
UNCLAIMED = (S.SUBMITTED.value, S.RECONSIDERATION.value)


@dataclass(frozen=True)
class Window:
    """How many items have a window open, and when the first of those windows closes."""

    count: int
    closes_first: datetime | None


@dataclass(frozen=True)
class FilerTodo:
    appealable: Window
    reconsiderable: Window


@dataclass(frozen=True)
class ReviewerTodo:
    due_today: int
    overdue: int
    unclaimed: int


@dataclass(frozen=True)
class CsTodo:
    awaiting_decision: int  # filed complaints nobody has upheld or dismissed yet
    tasks_open: int  # upheld: the merchant still has to compensate / re-ship / refund
    tasks_overdue: int


def _in_scope(query: Select[Violation], scope: Scope) -> Select[Violation]:
    if scope.shop_ids is not None:
        query = query.where(Violation.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    return query


def appealable_violations(
    session: Session,
    actx: AppealsContext,
    scope: Scope,
    now: datetime,
    shop_id: int | None = None,
) -> list[tuple[Violation, datetime]]:
    """In-force violations without an open appeal whose window is still open, with its close,
    newest first (as the violations list)."""
    open_appeal = select(Appeal.id).where(
        Appeal.violation_id == Violation.id, Appeal.state.not_in(_CLOSED)
    )
    query = _in_scope(
        select(Violation).where(
            Violation.state.in_(APPEALABLE_VIOLATION_STATES),
            ~open_appeal.exists(),
            _window_may_be_open(session, actx, now),
        ),
        scope,
    )
    if shop_id is not None:
        query = query.where(Violation.shop_id == shop_id)
    rows = session.execute(query.order_by(Violation.detected_at.desc(), Violation.id.desc()))
    out = []
    for violation in rows.scalars():
        closes = appeal_window_closes_at(actx, violation)
        if now <= closes:
            out.append((violation, closes))
    return out


def _window_may_be_open(
    session: Session, actx: AppealsContext, now: datetime
) -> ColumnElement[bool]:
    """Only breaches recent enough for their profile's window (read from the index, so the
    home page does not load every violation a shop ever had); exact check in Python."""
    profiles = session.execute(select(Platform.profile).distinct()).scalars()
    recent = [
        and_(
            Violation.profile == name,
            Violation.deadline >= now - timedelta(days=_window_days(actx, name)),
        )
        for name in profiles
    ]
    return or_(*recent) if recent else false()


def _window_days(actx: AppealsContext, profile: str) -> int:
    return AppealLimits.from_profile(actx.rules.profile(profile).appeal).window_days


def reconsiderable_appeals(
    session: Session,
    actx: AppealsContext,
    scope: Scope,
    now: datetime,
    shop_id: int | None = None,
) -> list[tuple[Appeal, Violation, datetime]]:
    """Rejected appeals with a round left whose reconsideration window is still open."""
    query = (
        select(Appeal, Violation)
        .join(Violation, Violation.id == Appeal.violation_id)
        .where(Appeal.state == S.REJECTED.value, Appeal.decided_at.is_not(None))
    )
    if scope.shop_ids is not None:
        query = query.where(Appeal.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        query = query.where(Appeal.shop_id == shop_id)
    out = []
    for appeal, violation in session.execute(query.order_by(Appeal.id)).all():
        assert appeal.decided_at is not None
        closes = actx.limits(violation).reconsideration_closes_at(appeal.decided_at)
        if now <= closes:
            out.append((appeal, violation, closes))
    return out


def _first(closes: list[datetime]) -> datetime | None:
    return min(closes) if closes else None


def filer_todo(session: Session, actx: AppealsContext, scope: Scope, now: datetime) -> FilerTodo:
    """Owner, staff (and cs, admin as filers): what can still be appealed, and by when."""
    appealable = [closes for _, closes in appealable_violations(session, actx, scope, now)]
    reconsider = [closes for _, _, closes in reconsiderable_appeals(session, actx, scope, now)]
    return FilerTodo(
        Window(len(appealable), _first(appealable)),
        Window(len(reconsider), _first(reconsider)),
    )


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The Beijing calendar day holding ``now``: [its midnight, the next midnight)."""
    day = now.astimezone(BUSINESS_TZ).date()
    start = datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)
    return start, start + timedelta(days=1)


def queue_filter(due: str | None, unclaimed: bool, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions on ``Appeal`` for the review queue's ``due`` and ``unclaimed`` filters:
    due today = due later today (not yet overdue); overdue = due before now."""
    if due is not None and due not in QUEUE_DUE:
        raise InvalidInput(f"unknown due filter {due!r}; use one of {QUEUE_DUE}", field="due")
    conditions: list[ColumnElement[bool]] = []
    if due == "today":
        _, end = local_day_bounds(now)
        conditions.append(and_(Appeal.due_at >= now, Appeal.due_at < end))
    elif due == "overdue":
        conditions.append(Appeal.due_at < now)
    if unclaimed:
        conditions.append(Appeal.state.in_(UNCLAIMED))
    return conditions


def reviewer_todo(session: Session, scope: Scope, now: datetime) -> ReviewerTodo:
    """Cases waiting for review: due later today, past their review deadline, unclaimed."""

    def count(*conditions: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Appeal).where(Appeal.state.in_(AWAITING_REVIEW))
        if scope.shop_ids is not None:
            query = query.where(Appeal.shop_id.in_(sorted(scope.shop_ids) or [-1]))
        return int(session.execute(query.where(*conditions)).scalar_one())

    return ReviewerTodo(
        count(*queue_filter("today", False, now)),
        count(*queue_filter("overdue", False, now)),
        count(*queue_filter(None, True, now)),
    )


def cs_todo(session: Session, scope: Scope, now: datetime) -> CsTodo:
    """Customer service: complaints still to be answered, and the merchants' open tasks."""
    shops = None if scope.shop_ids is None else sorted(scope.shop_ids) or [-1]
    open_q = select(func.count()).select_from(Complaint).where(Complaint.state == "open")
    task_q = select(func.count()).select_from(ComplaintTask).where(ComplaintTask.state == "open")
    if shops is not None:
        open_q = open_q.where(Complaint.shop_id.in_(shops))
        task_q = task_q.where(ComplaintTask.shop_id.in_(shops))
    return CsTodo(
        int(session.execute(open_q).scalar_one()),
        int(session.execute(task_q).scalar_one()),
        int(session.execute(task_q.where(ComplaintTask.due_at < now)).scalar_one()),
    )
