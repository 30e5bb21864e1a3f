"""``/``: merchants land on their at-risk board; platform roles get an overview."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.domain.tracking import STATUSES
from lanshou.entrypoints.web.context import UserCtx
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.at_risk import render_board
from lanshou.identity import scope_for
from lanshou.orders import status_counts

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(ctx: UserCtx) -> Response:
    if ctx.user.role.is_merchant:
        return render_board(ctx)
    with unit_of_work(ctx.runtime.sessions) as session:
        counts = status_counts(session, scope_for(session, ctx.user))
    return render(ctx, "home.html", section="home", counts=counts, statuses=STATUSES)
