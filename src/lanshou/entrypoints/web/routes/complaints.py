"""投诉: customer service records a buyer's complaint from the order page, a reviewer upholds or
dismisses it, and the merchant works off the resulting task before its deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from sqlalchemy import select

from lanshou import appeals as svc
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Order, Shop
from lanshou.appeals import TASK_KINDS
from lanshou.domain.roles import Role
from lanshou.entrypoints.params import DbId
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.flash import TASK_DONE
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.appeals import actx_of
from lanshou.errors import Conflict, InvalidInput
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for

router = APIRouter(include_in_schema=False)

TASK_LABELS = {
    "compensate": N_("Compensate the buyer"),
    "reship": N_("Re-ship"),
    "refund": N_("Refund"),
}
COMPLAINT_STATES = {"open": N_("Open"), "upheld": N_("Upheld"), "dismissed": N_("Dismissed")}


# The home page's links: upheld complaints whose task is open, and those past its deadline.
TASK_FILTERS = ("open", "overdue")


def _page(
    ctx: WebContext,
    status: int = 200,
    error: str = "",
    state: str | None = None,
    task: str | None = None,
) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        rows = svc.list_complaints(session, scope, state=state or None)
        if ctx.user.role.is_merchant:  # merchants work off tasks, they do not judge complaints
            rows = [r for r in rows if r.task is not None]
        if task:
            rows = [
                r
                for r in rows
                if r.task is not None
                and r.task.state == "open"
                and (task == "open" or r.task.due_at < ctx.now)
            ]
        ids = {r.complaint.order_id for r in rows}
        orders = dict(
            session.execute(
                select(Order.id, Order.external_id).where(Order.id.in_(ids or {-1}))
            ).all()
        )
        shops = dict(session.execute(select(Shop.id, Shop.name)).all())
    return render(
        ctx,
        "complaints/list.html",
        status,
        section="complaints",
        rows=rows,
        orders=orders,
        shops=shops,
        error=error,
        task_kinds=TASK_KINDS,
        task_labels=TASK_LABELS,
        states=COMPLAINT_STATES,
        f_state=state or "",
        f_task=task or "",
        is_reviewer=ctx.user.role in (Role.REVIEWER, Role.ADMIN),
        is_merchant=ctx.user.role.is_merchant or ctx.user.role is Role.ADMIN,
    )


@router.get("/complaints")
def complaints(ctx: UserCtx, state: str | None = None, task: str | None = None) -> Response:
    if state and state not in COMPLAINT_STATES:
        raise InvalidInput(f"unknown complaint state {state!r}", field="state")
    if task and task not in TASK_FILTERS:
        raise InvalidInput(f"unknown task filter {task!r}", field="task")
    return _page(ctx, state=state, task=task)


@router.post("/orders/{order_id}/complaints")
def file_complaint(ctx: UserCtx, order_id: DbId, reason: Annotated[str, Form()] = "") -> Response:
    """我要投诉, recorded by customer service; a bad reason re-renders the list with why."""
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.file_complaint(session, ctx.user, order_id, reason.strip(), ctx.now)
    except InvalidInput:
        return _page(
            ctx, 422, translate(ctx.locale, "A complaint needs a reason of 1 to 2000 characters.")
        )
    return flash.success(ctx, "/complaints", N_("Complaint recorded."))


@router.post("/complaints/{complaint_id}/decision")
def decide(
    ctx: UserCtx,
    complaint_id: DbId,
    uphold: Annotated[str, Form()] = "",
    task_kind: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.decide_complaint(
                session,
                actx_of(ctx).rules,
                ctx.user,
                complaint_id,
                uphold == "yes",
                ctx.now,
                task_kind or None,
                comment[:2000],
            )
    except InvalidInput:
        return _page(
            ctx,
            422,
            translate(
                ctx.locale, "Choose what the merchant must do: compensate, re-ship or refund."
            ),
        )
    except Conflict as exc:
        state = translate(ctx.locale, COMPLAINT_STATES.get(str(exc.details.get("state")), "—"))
        decided = N_(
            "This complaint has already been decided (%(state)s); it cannot be decided again."
        )
        return _page(ctx, 409, translate(ctx.locale, decided, state=state))
    upheld = N_("Complaint upheld: the merchant has a task to do.")
    dismissed = N_("Complaint dismissed.")
    return flash.success(ctx, "/complaints", upheld if uphold == "yes" else dismissed)


@router.post("/complaints/{complaint_id}/done")
def task_done(ctx: UserCtx, complaint_id: DbId, note: Annotated[str, Form()] = "") -> Response:
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.complete_task(session, ctx.user, complaint_id, note.strip(), ctx.now)
    except Conflict:
        no_task = N_("This complaint has no open task for your shop: nothing to mark done.")
        return _page(ctx, 409, translate(ctx.locale, no_task))
    return flash.success(ctx, "/complaints", TASK_DONE)
