"""The at-risk board (pending deadlines by time left) and logging a call or reminder from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.analytics import board as at_risk_board
from lanshou.analytics import log_contact
from lanshou.entrypoints.params import local_form_time, whole_number
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext, safe_next
from lanshou.entrypoints.web.flash import CONTACT_LOGGED
from lanshou.entrypoints.web.rendering import may_see_at_risk, render
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.i18n import N_, translate
from lanshou.i18n.labels import label
from lanshou.identity import scope_for
from lanshou.identity import tasks as task_svc

router = APIRouter(include_in_schema=False)

# The board's form offers these; the service accepts a few more (buyer, in person).
FORM_COUNTERPARTS = ("courier", "outlet", "carrier_cs")
FORM_CHANNELS = ("phone", "wechat", "sms", "reminder")
_FIELD_ERRORS = {
    "channel": N_("Unknown contact channel. Choose phone, WeChat, SMS or reminder."),
    "counterpart_kind": N_("Unknown counterpart. Choose courier, outlet or carrier service desk."),
    "summary": N_("The summary must be 1 to 2000 characters."),
    "shipment_id": N_("The shipment number is missing or not a number."),
    "occurred_at": N_(
        "When the contact happened must be a date and time between the order's payment and now."
    ),
}

_SUMMARIES = {
    "phone": N_("Called the %(who)s to urge pickup"),
    "wechat": N_("Messaged the %(who)s on WeChat to urge pickup"),
    "sms": N_("Texted the %(who)s to urge pickup"),
    "reminder": N_("Sent the %(who)s a pickup reminder"),
}


def default_summaries(locale: str) -> dict[str, str]:
    """The prefilled summary for each counterpart and channel, e.g. '已致电快递员催促揽收'."""
    return {
        f"{kind}:{channel}": translate(
            locale, msgid, who=label(locale, "counterpart", kind).lower()
        )
        for kind in FORM_COUNTERPARTS
        for channel, msgid in _SUMMARIES.items()
    }


# The home page links here with ?within=6 ("deadlines passing within 6 hours").
MAX_WITHIN_HOURS = 72


def _within(value: str | None) -> int | None:
    hours = whole_number(value) if value else None
    return hours if hours is not None and 1 <= hours <= MAX_WITHIN_HOURS else None


def render_board(
    ctx: WebContext,
    status: int = 200,
    error: str = "",
    focus: int | None = None,
    sort: str = "due",
    within: int | None = None,
    notice: str = "",
) -> Response:
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("the at-risk board is for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        sort = sort if sort in ("due", "risk") else "due"
        due_before = ctx.now + timedelta(hours=within) if within else None
        scope = scope_for(session, ctx.user)
        found = at_risk_board(session, scope, ctx.now, ctx.rules, sort=sort, due_before=due_before)
        colleagues = [(u.id, u.display_name) for u in task_svc.colleagues(session, scope)]
    return render(
        ctx,
        "at_risk.html",
        status,
        section="at_risk",
        items=found.items,
        probabilities_at=found.probabilities_at,
        total=found.total,
        error=error,
        focus=focus,
        counterparts=FORM_COUNTERPARTS,
        channels=FORM_CHANNELS,
        summaries=default_summaries(ctx.locale),
        sort=sort,
        within=within,
        notice=notice,
        colleagues=colleagues,
        action_path="/at-risk",
    )


@router.get("/at-risk")
def board(ctx: UserCtx, sort: str = "due", within: str | None = None) -> Response:
    return render_board(ctx, sort=sort, within=_within(within))


@router.post("/at-risk/contacts")
def add_contact(
    ctx: UserCtx,
    shipment_id: Annotated[str, Form()] = "",
    counterpart_kind: Annotated[str, Form()] = "courier",
    channel: Annotated[str, Form()] = "phone",
    summary: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    name_courier: Annotated[str, Form()] = "",
    name_outlet: Annotated[str, Form()] = "",
    name_carrier_cs: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/at-risk",
) -> Response:
    """Log a contact; bad input re-renders the board with the reason (422), others' → 404."""
    names = {"courier": name_courier, "outlet": name_outlet, "carrier_cs": name_carrier_cs}
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("the at-risk board is for merchants, customer service and admins")
    try:
        shipment = whole_number(shipment_id)
        if shipment is None:
            raise InvalidInput("shipment_id must be a row id", field="shipment_id")
        with unit_of_work(ctx.runtime.sessions) as session:
            log_contact(
                session,
                scope_for(session, ctx.user),
                shipment_id=shipment,
                user_id=ctx.user.user_id,
                counterpart_kind=counterpart_kind,
                counterpart_name=names.get(counterpart_kind, ""),
                channel=channel,
                summary=summary,
                now=ctx.now,
                occurred_at=local_form_time("occurred_at", occurred_at),
            )
    except InvalidInput as exc:
        field = str(exc.details.get("field", ""))
        message = _FIELD_ERRORS.get(
            field, N_("Some of the input was not valid. Please check it and try again.")
        )
        return render_board(ctx, 422, translate(ctx.locale, message), whole_number(shipment_id))
    return flash.success(
        ctx, f"{safe_next(next, '/at-risk')}#shipment-{shipment_id}", CONTACT_LOGGED
    )
