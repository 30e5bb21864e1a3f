"""Team follow-up: give an at-risk shipment, a violation, an appeal or a complaint task to a
colleague with a due date; "my tasks" lists what is mine, overdue first. Every assignment and
completion is an audit record (entity ``assignment``), so who did what stays on file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import (
    Appeal,
    AuditEvent,
    Complaint,
    ComplaintTask,
    Order,
    Shipment,
    ShopMembership,
    User,
    Violation,
)
from lanshou.adapters.db.models.alerts import Assignment
from lanshou.domain.roles import Role
from lanshou.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lanshou.i18n import N_
from lanshou.identity.auth import Principal
from lanshou.identity.scope import Scope, scope_for

ENTITY_TYPES = ("shipment", "violation", "appeal", "complaint_task")
ENTITY_LABELS = {
    "shipment": N_("At-risk shipment"),
    "violation": N_("Violation"),
    "appeal": N_("Appeal"),
    "complaint_task": N_("Complaint task"),
}
TASK_ACTIONS = {"assigned": N_("assigned"), "completed": N_("completed")}


@dataclass(frozen=True)
class EntityRef:
    entity_type: str
    entity_id: int
    shop_id: int
    order_id: int
    order_external_id: str


@dataclass(frozen=True)
class TaskView:
    assignment: Assignment
    entity: EntityRef
    assignee_name: str
    created_by_name: str
    overdue: bool


def parse_entity(value: str) -> tuple[str, int]:
    """'shipment:12' → ('shipment', 12)."""
    kind, _, raw = value.partition(":")
    if kind not in ENTITY_TYPES or not raw.isdigit():
        raise InvalidInput(
            f"entity must look like shipment:12, one of {ENTITY_TYPES}", field="entity"
        )
    return kind, int(raw)


def resolve_entity(session: Session, scope: Scope, entity_type: str, entity_id: int) -> EntityRef:
    """The entity's shop and order, or 404 if it is missing or another tenant's."""
    if entity_type not in ENTITY_TYPES:
        raise InvalidInput(f"unknown entity type {entity_type!r}", field="entity_type")
    if entity_type == "shipment":
        q = (
            select(Order.shop_id, Order.id, Order.external_id)
            .join(Shipment, Shipment.order_id == Order.id)
            .where(Shipment.id == entity_id)
        )
    elif entity_type == "violation":
        q = (
            select(Order.shop_id, Order.id, Order.external_id)
            .join(Violation, Violation.order_id == Order.id)
            .where(Violation.id == entity_id)
        )
    elif entity_type == "appeal":
        q = (
            select(Order.shop_id, Order.id, Order.external_id)
            .join(Violation, Violation.order_id == Order.id)
            .join(Appeal, Appeal.violation_id == Violation.id)
            .where(Appeal.id == entity_id)
        )
    else:
        q = (
            select(Order.shop_id, Order.id, Order.external_id)
            .join(Complaint, Complaint.order_id == Order.id)
            .join(ComplaintTask, ComplaintTask.complaint_id == Complaint.id)
            .where(ComplaintTask.id == entity_id)
        )
    row = session.execute(q).one_or_none()
    if row is None or (scope.shop_ids is not None and row[0] not in scope.shop_ids):
        raise NotFound(f"{entity_type} {entity_id} not found")
    return EntityRef(entity_type, entity_id, row[0], row[1], row[2])


def assignable_users(session: Session, shop_id: int) -> list[User]:
    """Active users who can see the shop: its members and the platform-side roles."""
    members = select(ShopMembership.user_id).where(ShopMembership.shop_id == shop_id)
    platform = [r.value for r in Role if r.sees_all_shops]
    return list(
        session.execute(
            select(User)
            .where(User.is_active.is_(True), or_(User.id.in_(members), User.role.in_(platform)))
            .order_by(User.display_name, User.id)
        ).scalars()
    )


def colleagues(session: Session, scope: Scope) -> list[User]:
    """Whom a bulk assignment may offer: active members of the scope's shops and the
    platform-side roles (each row is still checked against its own shop by :func:`assign`)."""
    query = select(User).where(User.is_active.is_(True))
    if scope.shop_ids is not None:
        members = select(ShopMembership.user_id).where(
            ShopMembership.shop_id.in_(sorted(scope.shop_ids) or [-1])
        )
        platform = [r.value for r in Role if r.sees_all_shops]
        query = query.where(or_(User.id.in_(members), User.role.in_(platform)))
    return list(session.execute(query.order_by(User.display_name, User.id)).scalars())


def assign(
    session: Session,
    caller: Principal,
    *,
    entity_type: str,
    entity_id: int,
    assignee_id: int,
    due_at: datetime | None,
    note: str,
    now: datetime,
) -> Assignment:
    """Give an entity the caller can see to someone who can see it too."""
    ref = resolve_entity(session, scope_for(session, caller), entity_type, entity_id)
    if assignee_id not in {u.id for u in assignable_users(session, ref.shop_id)}:
        raise InvalidInput("the assignee cannot see this shop", field="assignee_id")
    note = note.strip()
    if len(note) > 2000:
        raise InvalidInput("note must be at most 2000 characters", field="note")
    if due_at is not None and due_at.tzinfo is None:
        raise InvalidInput("due_at needs a time zone", field="due_at")
    row = Assignment(
        shop_id=ref.shop_id,
        entity_type=entity_type,
        entity_id=entity_id,
        assignee_id=assignee_id,
        due_at=due_at,
        state="open",
        note=note,
        created_by=caller.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity_type="assignment",
        entity_id=row.id,
        action="assigned",
        actor=caller.username,
        at=now,
        reason=note,
        data={
            "entity": f"{entity_type}:{entity_id}",
            "assignee_id": assignee_id,
            "due_at": due_at.isoformat() if due_at else None,
        },
    )
    return row


def complete(
    session: Session, caller: Principal, assignment_id: int, now: datetime, note: str = ""
) -> Assignment:
    """Mark done: the assignee, whoever assigned it, or an owner/admin of the shop."""
    row = session.get(Assignment, assignment_id)
    scope = scope_for(session, caller)
    if row is None or (scope.shop_ids is not None and row.shop_id not in scope.shop_ids):
        raise NotFound(f"task {assignment_id} not found")
    if caller.user_id not in (row.assignee_id, row.created_by) and caller.role not in (
        Role.ADMIN,
        Role.MERCHANT_OWNER,
    ):
        raise PermissionDenied("only the assignee or the assigner can close this task")
    if row.state == "done":
        raise Conflict("the task is already done", state=row.state)
    row.state, row.done_at = "done", now
    audit.record(
        session,
        entity_type="assignment",
        entity_id=row.id,
        action="completed",
        actor=caller.username,
        at=now,
        reason=note.strip()[:2000],
    )
    return row


def _views(session: Session, rows: list[Assignment], now: datetime) -> list[TaskView]:
    names = {
        user_id: name
        for user_id, name in session.execute(
            select(User.id, User.display_name).where(
                User.id.in_({r.assignee_id for r in rows} | {r.created_by for r in rows} or {-1})
            )
        )
    }
    out = []
    for r in rows:
        ref = resolve_entity(session, Scope(None), r.entity_type, r.entity_id)
        overdue = r.state == "open" and r.due_at is not None and r.due_at < now
        out.append(
            TaskView(r, ref, names.get(r.assignee_id, "?"), names.get(r.created_by, "?"), overdue)
        )
    return out


def _mine(caller: Principal) -> Any:
    return select(Assignment).where(
        Assignment.assignee_id == caller.user_id, Assignment.state == "open"
    )


def open_task_counts(session: Session, caller: Principal, now: datetime) -> tuple[int, int]:
    """(open, overdue) tasks assigned to the caller, as "my tasks" lists them."""
    mine = _mine(caller).subquery()
    total, overdue = session.execute(
        select(func.count(), func.count().filter(mine.c.due_at < now)).select_from(mine)
    ).one()
    return int(total), int(overdue)


def my_tasks(
    session: Session,
    caller: Principal,
    now: datetime,
    *,
    include_done: bool = False,
    overdue_only: bool = False,
) -> list[TaskView]:
    """What is assigned to the caller: overdue first, then by due date (no date last)."""
    q = select(Assignment).where(Assignment.assignee_id == caller.user_id)
    if overdue_only:
        q = _mine(caller).where(Assignment.due_at < now)
    elif not include_done:
        q = q.where(Assignment.state == "open")
    rows = list(session.execute(q.order_by(Assignment.id)).scalars())
    views = _views(session, rows, now)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(
        views,
        key=lambda v: (
            v.assignment.state != "open",
            not v.overdue,
            v.assignment.due_at or far,
            v.assignment.id,
        ),
    )


def tasks_for_entity(
    session: Session, scope: Scope, entity_type: str, entity_id: int, now: datetime
) -> list[TaskView]:
    resolve_entity(session, scope, entity_type, entity_id)
    rows = list(
        session.execute(
            select(Assignment)
            .where(Assignment.entity_type == entity_type, Assignment.entity_id == entity_id)
            .order_by(Assignment.id)
        ).scalars()
    )
    return _views(session, rows, now)


def task_history(session: Session, assignment_ids: list[int]) -> list[AuditEvent]:
    """Who assigned and who closed, oldest first."""
    if not assignment_ids:
        return []
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "assignment", AuditEvent.entity_id.in_(assignment_ids))
            .order_by(AuditEvent.id)
        ).scalars()
    )
