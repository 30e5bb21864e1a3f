"""我的任务 / My tasks, and the assignment form reached from the board, violations and appeals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.params import MAX_ID, DbId, local_form_time
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.flash import TASK_DONE
from lanshou.entrypoints.web.rendering import render
from lanshou.errors import InvalidInput
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for
from lanshou.identity import tasks as svc

router = APIRouter(include_in_schema=False)


INVALID = N_("Some of the input was not valid. Please check it and try again.")
# Why an assignment was not saved, by the refused field (the service's words are for logs).
ASSIGN_REFUSALS = {
    "due_at": N_("The due time must be a date and time between 2000 and 2100 (Beijing time)."),
    "assignee_id": N_("This colleague cannot see the shop: choose someone who works for it."),
    "note": N_("The note is limited to 2000 characters."),
    "entity": N_("The record to assign was not recognised. Open it again and assign from there."),
    "entity_type": N_(
        "The record to assign was not recognised. Open it again and assign from there."
    ),
}


def _entity(value: str) -> tuple[str, int]:
    """'shipment:12' → ('shipment', 12), its id within the range a database row can have."""
    kind, entity_id = svc.parse_entity(value)
    if not 1 <= entity_id <= MAX_ID:
        raise InvalidInput(f"entity id must be from 1 to {MAX_ID}", field="entity")
    return kind, entity_id


@router.get("/tasks")
def my_tasks(ctx: UserCtx, done: int = 0, overdue: int = 0) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        items = svc.my_tasks(
            session, ctx.user, ctx.now, include_done=bool(done), overdue_only=bool(overdue)
        )
        history = svc.task_history(session, [v.assignment.id for v in items])
    return render(
        ctx,
        "tasks/list.html",
        section="tasks",
        items=items,
        history=history,
        show_done=bool(done),
        show_overdue=bool(overdue),
        entity_labels=svc.ENTITY_LABELS,
        task_actions=svc.TASK_ACTIONS,
    )


def _assign_page(ctx: WebContext, entity: str, status: int = 200, error: str = "") -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        kind, entity_id = _entity(entity)
        ref = svc.resolve_entity(session, scope_for(session, ctx.user), kind, entity_id)
        users = [
            (u.id, u.display_name, u.username) for u in svc.assignable_users(session, ref.shop_id)
        ]
        existing = svc.tasks_for_entity(
            session, scope_for(session, ctx.user), kind, entity_id, ctx.now
        )
        history = svc.task_history(session, [v.assignment.id for v in existing])
    return render(
        ctx,
        "tasks/assign.html",
        status,
        section="tasks",
        ref=ref,
        entity=entity,
        users=users,
        existing=existing,
        history=history,
        error=error,
        entity_labels=svc.ENTITY_LABELS,
        task_actions=svc.TASK_ACTIONS,
    )


@router.get("/assign")
def assign_page(ctx: UserCtx, entity: str = "") -> Response:
    return _assign_page(ctx, entity)


@router.post("/tasks")
def assign(
    ctx: UserCtx,
    entity: Annotated[str, Form()],
    assignee_id: Annotated[DbId, Form()],
    due_at: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        kind, entity_id = _entity(entity)
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.assign(
                session,
                ctx.user,
                entity_type=kind,
                entity_id=entity_id,
                assignee_id=assignee_id,
                due_at=local_form_time("due_at", due_at),
                note=note,
                now=ctx.now,
            )
    except InvalidInput as exc:
        reason = ASSIGN_REFUSALS.get(str(exc.details.get("field", "")), INVALID)
        return _assign_page(
            ctx,
            entity,
            422,
            translate(
                ctx.locale, "Could not save: %(reason)s", reason=translate(ctx.locale, reason)
            ),
        )
    return flash.success(ctx, f"/assign?entity={entity}", N_("Task assigned."))


@router.post("/tasks/{assignment_id}/done")
def done(ctx: UserCtx, assignment_id: DbId, note: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        svc.complete(session, ctx.user, assignment_id, ctx.now, note)
    return flash.success(ctx, "/tasks", TASK_DONE)
