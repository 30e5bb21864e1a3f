"""违规: the violations of the caller's shops, their money and the appeal window."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Order
from lanshou.appeals import FILERS, VIOLATION_STATES, list_violations, net_fen_by_violation
from lanshou.entrypoints.params import whole_number
from lanshou.entrypoints.web.context import UserCtx
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.appeals import STATE_LABELS, actx_of, rule_labeller
from lanshou.identity import scope_for
from lanshou.orders import filter_options

router = APIRouter(include_in_schema=False)


def _int(value: str | None) -> int | None:
    """A shop filter: anything but a shop id in range means no filter, as before."""
    return whole_number(value) if value else None


@router.get("/violations")
def violations(ctx: UserCtx, state: str | None = None, shop: str | None = None) -> Response:
    """Newest first; an unknown state filter is a 422 page (the service refuses it)."""
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        rows = list_violations(session, actx_of(ctx), scope, ctx.now, _int(shop), state or None)
        money = net_fen_by_violation(session, [r.violation.id for r in rows])
        orders = dict(
            session.execute(
                select(Order.id, Order.external_id).where(
                    Order.id.in_([r.violation.order_id for r in rows] or [-1])
                )
            ).all()
        )
        shops, _ = filter_options(session, scope)
    return render(
        ctx,
        "violations/list.html",
        section="violations",
        rows=rows,
        money=money,
        orders=orders,
        shops=shops,
        states=VIOLATION_STATES,
        f_state=state or "",
        f_shop=_int(shop),
        may_file=ctx.user.role in FILERS,
        rule_label=rule_labeller(ctx),
        state_labels=STATE_LABELS,
    )
