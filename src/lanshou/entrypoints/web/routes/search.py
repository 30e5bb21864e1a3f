"""``/search``: the header's search box. One order found opens it; several are listed; none
says so in words, with what can be searched."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.web.context import UserCtx
from lanshou.entrypoints.web.rendering import redirect, render
from lanshou.errors import InvalidInput
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for
from lanshou.orders import search_orders

router = APIRouter(include_in_schema=False)

MATCHED = {
    "order": N_("Order no."),
    "waybill": N_("Waybill no."),
    "phone": N_("Buyer phone tail"),
}


@router.get("/search")
def search(ctx: UserCtx, q: str = "") -> Response:
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            hits = search_orders(session, scope_for(session, ctx.user), q)
    except InvalidInput:
        return render(
            ctx,
            "search.html",
            422,
            q=q[:64],
            hits=[],
            matched=MATCHED,
            error=translate(
                ctx.locale,
                "Type an order number, a waybill number or the last 4 digits of the "
                "buyer's phone (at most 64 characters).",
            ),
        )
    if len(hits) == 1:
        return redirect(f"/orders/{hits[0].order_id}")
    return render(ctx, "search.html", q=q.strip(), hits=hits, matched=MATCHED, error="")
