"""Buyer complaints (投诉): filed for an order, upheld or dismissed by a reviewer; an upheld
complaint gives the merchant a task (compensate / re-ship / refund) with a working-day deadline,
escalated by the sweep when it passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Complaint, ComplaintTask, Order, Platform, Shop
from lanshou.appeals.access import REVIEWERS, require_role
from lanshou.domain.roles import Role
from lanshou.domain.rules.calendar import from_us, to_us
from lanshou.enforcement import RulesContext
from lanshou.errors import Conflict, InvalidInput, NotFound
from lanshou.identity import Principal, Scope, scope_for, scoped_orders

TASK_KINDS = ("compensate", "reship", "refund")
TASK_WORKING_DAYS = 2
FILERS = frozenset({Role.CS_AGENT, Role.ADMIN, Role.REVIEWER})


@dataclass(frozen=True)
class ComplaintView:
    complaint: Complaint
    task: ComplaintTask | None


def _visible(session: Session, caller: Principal, complaint_id: int) -> Complaint:
    row = session.get(Complaint, complaint_id)
    scope = scope_for(session, caller)
    if row is None or (scope.shop_ids is not None and row.shop_id not in scope.shop_ids):
        raise NotFound(f"complaint {complaint_id} not found")
    return row


def _task(session: Session, complaint_id: int) -> ComplaintTask | None:
    return session.execute(
        select(ComplaintTask).where(ComplaintTask.complaint_id == complaint_id)
    ).scalar_one_or_none()


def _audit(
    session: Session,
    row: Complaint,
    action: str,
    actor: str,
    now: datetime,
    reason: str = "",
    **data: object,
) -> None:
    audit.record(
        session,
        entity_type="complaint",
        entity_id=row.id,
        action=action,
        actor=actor,
        at=now,
        reason=reason,
        data={"state": row.state, **data},
    )


def file_complaint(
    session: Session, caller: Principal, order_id: int, reason: str, now: datetime
) -> Complaint:
    """我要投诉: a cs agent (or platform staff) records a buyer's complaint about an order."""
    require_role(caller, FILERS, "file buyer complaints")
    if not reason.strip() or len(reason) > 2000:
        raise InvalidInput("a complaint needs a reason of 1–2000 characters", field="reason")
    order = session.execute(
        scoped_orders(scope_for(session, caller)).where(Order.id == order_id)
    ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} not found")
    row = Complaint(
        order_id=order.id,
        shop_id=order.shop_id,
        state="open",
        reason=reason,
        created_by=caller.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, row, "filed", caller.username, now, order_id=order.id)
    return row


def _due(session: Session, rules: RulesContext, shop_id: int, now: datetime) -> datetime:
    profile_name = session.execute(
        select(Platform.profile)
        .join(Shop, Shop.platform_id == Platform.id)
        .where(Shop.id == shop_id)
    ).scalar_one()
    profile = rules.profile(profile_name)
    cal = rules.calendar(profile)
    return from_us(cal.add_working_days(to_us(now), TASK_WORKING_DAYS), now.tzinfo or cal.tz)


def decide_complaint(
    session: Session,
    rules: RulesContext,
    caller: Principal,
    complaint_id: int,
    uphold: bool,
    now: datetime,
    task_kind: str | None = None,
    comment: str = "",
) -> ComplaintView:
    require_role(caller, REVIEWERS, "decide complaints")
    row = _visible(session, caller, complaint_id)
    if uphold and task_kind not in TASK_KINDS:
        raise InvalidInput(
            f"an upheld complaint needs task_kind: {', '.join(TASK_KINDS)}", field="task_kind"
        )
    new_state = "upheld" if uphold else "dismissed"
    result = session.execute(
        update(Complaint)
        .where(Complaint.id == row.id, Complaint.state == "open")
        .values(state=new_state)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(f"complaint {row.id} is already {row.state}", state=row.state)
    task = None
    if uphold:
        assert task_kind is not None
        due = _due(session, rules, row.shop_id, now)
        task = ComplaintTask(
            complaint_id=row.id,
            shop_id=row.shop_id,
            kind=task_kind,
            state="open",
            due_at=due,
            escalated=False,
            created_at=now,
            note="",
        )
        session.add(task)
        row.task_due_at = due
        session.flush()
    _audit(
        session,
        row,
        new_state,
        caller.username,
        now,
        reason=comment,
        task_kind=task_kind,
        task_due_at=task.due_at.isoformat() if task else None,
    )
    return ComplaintView(row, task)


def complete_task(
    session: Session, caller: Principal, complaint_id: int, note: str, now: datetime
) -> ComplaintView:
    """The merchant reports the task done (compensated, re-shipped or refunded)."""
    require_role(
        caller,
        frozenset({Role.MERCHANT_OWNER, Role.MERCHANT_STAFF, Role.ADMIN}),
        "complete complaint tasks",
    )
    row = _visible(session, caller, complaint_id)
    task = _task(session, row.id)
    if task is None or task.state != "open":
        raise Conflict(f"complaint {row.id} has no open task", state=row.state)
    task.state, task.completed_at, task.note = "done", now, note[:2000]
    session.flush()
    _audit(
        session, row, "task_done", caller.username, now, reason=note[:200], late=now > task.due_at
    )
    return ComplaintView(row, task)


def escalate_overdue(session: Session, now: datetime) -> int:
    """The sweep: open tasks past their deadline are flagged and audited, once each.

    Strictly past: a task completed at its deadline's instant is on time (``complete_task``)."""
    tasks = list(
        session.execute(
            select(ComplaintTask)
            .where(
                ComplaintTask.state == "open",
                ComplaintTask.escalated.is_(False),
                ComplaintTask.due_at < now,
            )
            .order_by(ComplaintTask.id)
        ).scalars()
    )
    for task in tasks:
        task.escalated, task.escalated_at = True, now
        row = session.get_one(Complaint, task.complaint_id)
        _audit(
            session,
            row,
            "escalated",
            "system",
            now,
            reason="merchant task overdue",
            task_id=task.id,
            due_at=task.due_at.isoformat(),
        )
    session.flush()
    return len(tasks)


def get_complaint(session: Session, caller: Principal, complaint_id: int) -> ComplaintView:
    row = _visible(session, caller, complaint_id)
    return ComplaintView(row, _task(session, row.id))


def list_complaints(
    session: Session, scope: Scope, shop_id: int | None = None, state: str | None = None
) -> list[ComplaintView]:
    query = select(Complaint)
    if scope.shop_ids is not None:
        query = query.where(Complaint.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        query = query.where(Complaint.shop_id == shop_id)
    if state is not None:
        query = query.where(Complaint.state == state)
    rows = list(session.execute(query.order_by(Complaint.id.desc()).limit(500)).scalars())
    tasks = {
        t.complaint_id: t
        for t in session.execute(
            select(ComplaintTask).where(
                ComplaintTask.complaint_id.in_([r.id for r in rows] or [-1])
            )
        ).scalars()
    }
    return [ComplaintView(r, tasks.get(r.id)) for r in rows]
