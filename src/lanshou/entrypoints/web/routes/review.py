"""The review workbench (申诉审核): the queue by due time, claiming, and the decision form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou import appeals as svc
from lanshou.adapters.db.engine import unit_of_work
from lanshou.appeals import (
    QUEUE_DUE,
    QUEUE_STATES,
    REVIEWERS,
    require_role,
    review_queue,
    user_names,
    visible_appeal,
)
from lanshou.entrypoints.params import DbId, whole_number
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.appeals import (
    REASON_CODES,
    STATE_LABELS,
    actx_of,
    case_values,
    error_message,
    rule_labeller,
)
from lanshou.errors import Conflict, InvalidInput, PermissionDenied
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for
from lanshou.orders import filter_options

router = APIRouter(include_in_schema=False, prefix="/review")


def _int(value: str | None) -> int | None:
    """A shop filter: anything but a shop id in range means no filter, as before."""
    return whole_number(value) if value else None


def _claim_message(ctx: WebContext, exc: Conflict, appeal_id: int) -> str:
    """'已被 X 认领' when another reviewer holds the case; otherwise the state message."""
    with unit_of_work(ctx.runtime.sessions) as session:
        appeal = visible_appeal(session, ctx.user, appeal_id)
        holder = appeal.claimed_by if appeal.state == "under_review" else None
        name = user_names(session, {holder}).get(holder, "") if holder else ""
    if holder is not None and holder != ctx.user.user_id:
        return translate(ctx.locale, "Already claimed by %(name)s.", name=name or str(holder))
    return error_message(ctx.locale, exc)


def _queue(
    ctx: WebContext,
    status: int = 200,
    error: str = "",
    state: str | None = None,
    shop: str | None = None,
    due: str | None = None,
    unclaimed: bool = False,
) -> Response:
    require_role(ctx.user, REVIEWERS, "review appeals")
    if state and state not in QUEUE_STATES:
        raise InvalidInput(f"unknown queue state {state!r}", field="state")
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        items = review_queue(
            session,
            scope,
            state=state or None,
            shop_id=_int(shop),
            due=due or None,
            unclaimed=unclaimed,
            now=ctx.now,
        )
        not_mine = svc.for_another_reviewer(
            session, actx_of(ctx), ctx.user, [(it.appeal, it.violation) for it in items]
        )
        shops, _ = filter_options(session, scope)
    return render(
        ctx,
        "review/queue.html",
        status,
        section="review",
        items=items,
        not_mine=not_mine,
        error=error,
        shops=shops,
        states=QUEUE_STATES,
        state_labels=STATE_LABELS,
        rule_label=rule_labeller(ctx),
        f_state=state or "",
        f_shop=_int(shop),
        f_due=due or "",
        f_unclaimed=unclaimed,
        dues=QUEUE_DUE,
    )


@router.get("")
def queue(
    ctx: UserCtx,
    state: str | None = None,
    shop: str | None = None,
    due: str | None = None,
    unclaimed: str | None = None,
) -> Response:
    return _queue(ctx, state=state, shop=shop, due=due, unclaimed=unclaimed == "1")


@router.post("/{appeal_id}/claim")
def claim(ctx: UserCtx, appeal_id: DbId) -> Response:
    """Take the case; the second reviewer is told who has it (409)."""
    require_role(ctx.user, REVIEWERS, "review appeals")
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.claim_appeal(session, actx_of(ctx), ctx.user, appeal_id, ctx.now)
    except Conflict as exc:
        return _queue(ctx, 409, _claim_message(ctx, exc, appeal_id))
    except PermissionDenied as exc:
        if exc.details.get("rule") != svc.OTHER_REVIEWER_RULE:
            raise
        return _queue(ctx, 403, error_message(ctx.locale, exc))
    claimed = N_("You claimed appeal #%(id)s. Record your decision below.")
    return flash.success(ctx, f"/review/{appeal_id}", claimed, id=appeal_id)


def render_review(ctx: WebContext, appeal_id: int, status: int = 200, error: str = "") -> Response:
    require_role(ctx.user, REVIEWERS, "review appeals")
    with unit_of_work(ctx.runtime.sessions) as session:
        values = case_values(session, ctx, appeal_id)
    return render(ctx, "review/case.html", status, section="review", error=error, **values)


@router.get("/{appeal_id}")
def review_case(ctx: UserCtx, appeal_id: DbId) -> Response:
    return render_review(ctx, appeal_id)


@router.post("/{appeal_id}/decision")
def decide(
    ctx: UserCtx,
    appeal_id: DbId,
    outcome: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """approved | rejected | need_info (the comment is the question to the merchant)."""
    require_role(ctx.user, REVIEWERS, "review appeals")
    if reason_code and reason_code not in REASON_CODES:
        return render_review(ctx, appeal_id, 422, translate(ctx.locale, "Choose a reason code."))
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.decide_appeal(
                session,
                actx_of(ctx),
                ctx.user,
                appeal_id,
                outcome,
                reason_code or None,
                comment.strip()[:2000],
                ctx.now,
            )
    except Conflict as exc:
        return render_review(ctx, appeal_id, 409, _claim_message(ctx, exc, appeal_id))
    except InvalidInput as exc:
        return render_review(ctx, appeal_id, 422, error_message(ctx.locale, exc))
    except PermissionDenied as exc:
        if exc.details.get("rule") != svc.OTHER_REVIEWER_RULE:
            raise
        return render_review(ctx, appeal_id, 403, error_message(ctx.locale, exc))
    return flash.success(ctx, f"/review/{appeal_id}", DECIDED[outcome], id=appeal_id)


# What the reviewer is told once a decision is recorded (the service accepts only these).
DECIDED = {
    "approved": N_("Decision recorded: appeal #%(id)s approved, the penalty is reversed."),
    "rejected": N_("Decision recorded: appeal #%(id)s rejected."),
    "need_info": N_("Decision recorded: your question on appeal #%(id)s was sent to the merchant."),
}
