"""Administrators: each shop's tracking aggregator, and the subscriptions that need a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.domain.roles import Role
from lanshou.entrypoints.params import DbId
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.feeds import (
    RetryPolicy,
    SubState,
    configure_shop_feed,
    list_integrations,
    retry_subscription,
    shop_feeds,
    subscription_counts,
    troubled_subscriptions,
)
from lanshou.i18n import N_

router = APIRouter(include_in_schema=False, prefix="/admin/tracking")

STATES = {
    SubState.PENDING: N_("Waiting to be sent"),
    SubState.SENDING: N_("Being sent"),
    SubState.SUBSCRIBED: N_("Subscribed"),
    SubState.STALLED: N_("Feed stalled"),
    SubState.FAILED: N_("Failed"),
    SubState.FINISHED: N_("Finished"),
}

# What a refused form says, by the field the service names (msgids; the page translates them).
REFUSALS = {
    "sender_phone": N_("The phone needs at least four digits."),
    "integration_id": N_("Choose an active feed account."),
    "id": N_("Only failed or stalled subscriptions can be sent again."),
}


def _refusal(exc: InvalidInput) -> str:
    return REFUSALS.get(str(exc.details.get("field")), exc.message)


def _require_admin(ctx: WebContext) -> None:
    if ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("administrators only")


def _page(ctx: WebContext, status: int = 200, error: str | None = None) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        shops = shop_feeds(session)
        integrations = [i for i in list_integrations(session) if i.is_active]
        counts = subscription_counts(session)
        lines = troubled_subscriptions(session)
    minutes = [int(d.total_seconds() // 60) for d in RetryPolicy().schedule()]
    return render(
        ctx,
        "admin/tracking.html",
        status,
        section="admin",
        shops=shops,
        integrations=integrations,
        counts=counts,
        lines=lines,
        states=STATES,
        retry_minutes=minutes,
        error=error,
    )


@router.get("")
def tracking(ctx: UserCtx) -> Response:
    _require_admin(ctx)
    return _page(ctx)


@router.post("/shops/{shop_id}")
def set_shop_feed(
    ctx: UserCtx,
    shop_id: DbId,
    integration_id: Annotated[str, Form()] = "",
    sender_phone: Annotated[str, Form()] = "",
) -> Response:
    _require_admin(ctx)
    chosen = int(integration_id) if integration_id.isdigit() else None
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            configure_shop_feed(
                session,
                ctx.user,
                shop_id=shop_id,
                integration_id=chosen,
                sender_phone=sender_phone,
                now=ctx.now,
            )
    except InvalidInput as exc:
        return _page(ctx, 422, error=_refusal(exc))
    return flash.success(ctx, "/admin/tracking", N_("Tracking feed settings saved."))


@router.post("/subscriptions/{subscription_id}/retry")
def retry(ctx: UserCtx, subscription_id: DbId) -> Response:
    _require_admin(ctx)
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            retry_subscription(session, ctx.user, subscription_id, ctx.now)
    except InvalidInput as exc:
        return _page(ctx, 422, error=_refusal(exc))
    return flash.success(ctx, "/admin/tracking", N_("The subscription will be sent again now."))
