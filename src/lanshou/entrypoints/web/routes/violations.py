"""违规: the violations of the caller's shops, their money and the appeal window."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Order
from lanshou.appeals import (
    FILERS,
    VIOLATION_STATES,
    VIOLATION_TODOS,
    list_violations,
    net_fen_by_violation,
)
from lanshou.entrypoints.params import whole_number
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.appeals import STATE_LABELS, actx_of, rule_labeller
from lanshou.identity import scope_for
from lanshou.identity import tasks as task_svc
from lanshou.orders import filter_options

router = APIRouter(include_in_schema=False)


def _int(value: str | None) -> int | None:
    """A shop filter: anything but a shop id in range means no filter, as before."""
    return whole_number(value) if value else None


@router.get("/violations")
def violations(
    ctx: UserCtx, state: str | None = None, shop: str | None = None, todo: str | None = None
) -> Response:
    """Newest first; an unknown state or to-do filter is a 422 page (the service refuses it)."""
    return render_violations(ctx, state=state, shop=shop, todo=todo)


def render_violations(
    ctx: WebContext,
    status: int = 200,
    error: str = "",
    state: str | None = None,
    shop: str | None = None,
    todo: str | None = None,
) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        rows = list_violations(
            session, actx_of(ctx), scope, ctx.now, _int(shop), state or None, todo=todo or None
        )
        money = net_fen_by_violation(session, [r.violation.id for r in rows])
        orders = dict(
            session.execute(
                select(Order.id, Order.external_id).where(
                    Order.id.in_([r.violation.order_id for r in rows] or [-1])
                )
            ).all()
        )
        shops, _ = filter_options(session, scope)
        colleagues = [(u.id, u.display_name) for u in task_svc.colleagues(session, scope)]
    return render(
        ctx,
        "violations/list.html",
        status,
        section="violations",
        error=error,
        colleagues=colleagues,
        rows=rows,
        money=money,
        orders=orders,
        shops=shops,
        states=VIOLATION_STATES,
        f_state=state or "",
        f_shop=_int(shop),
        f_todo=todo or "",
        todos=VIOLATION_TODOS,
        may_file=ctx.user.role in FILERS,
        rule_label=rule_labeller(ctx),
        state_labels=STATE_LABELS,
    )
