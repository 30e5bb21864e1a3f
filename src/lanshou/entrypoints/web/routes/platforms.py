"""Administrators: platform connections (state, last sync, cursor, last error) and the tool-app
authorisation-code flow (工具型应用) to connect a shop from here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Shop
from lanshou.adapters.platforms.douyin import DEFAULT_GATEWAY, DouyinError
from lanshou.domain.roles import Role
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.i18n import N_, translate
from lanshou.platforms import connect_douyin, connection_views

router = APIRouter(include_in_schema=False, prefix="/admin/platforms")

STATES = {
    "connected": N_("Connected"),
    "failing": N_("Failing"),
    "disconnected": N_("Disconnected"),
}


def _page(ctx: WebContext, status: int = 200, **extra: object) -> Response:
    if ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("administrators only")
    with unit_of_work(ctx.runtime.sessions) as session:
        connections = connection_views(session)
    values: dict[str, object] = {"form": {}, "error": "", **extra}
    return render(
        ctx,
        "admin/platforms.html",
        status,
        section="platforms",
        connections=connections,
        states=STATES,
        default_gateway=DEFAULT_GATEWAY,
        **values,
    )


@router.get("")
def platforms(ctx: UserCtx) -> Response:
    return _page(ctx)


@router.post("/douyin/code")
def connect_with_code(
    ctx: UserCtx,
    shop: Annotated[str, Form()] = "",
    app_key: Annotated[str, Form()] = "",
    app_secret: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    gateway: Annotated[str, Form()] = DEFAULT_GATEWAY,
) -> Response:
    """Exchange the code 抖店 gave the merchant's authorisation for a token, then connect."""
    if ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("administrators only")
    form = {"shop": shop, "app_key": app_key, "gateway": gateway}  # never the secret
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            connection = connect_douyin(
                session,
                ctx.runtime.platforms,
                shop_code=shop,
                app_key=app_key,
                app_secret=app_secret,
                authorization_code=code,
                gateway=gateway,
                now=ctx.now,
                actor=ctx.user.username,
            )
            shop_name = session.get_one(Shop, connection.shop_id).name
    except InvalidInput:
        message = translate(ctx.locale, N_("Fill in the shop, app key, app secret and code."))
        return _page(ctx, 422, form=form, error=message)
    except DouyinError as exc:
        refused = N_("抖店 refused the authorisation: %(reason)s")
        message = translate(ctx.locale, refused, reason=exc.describe())
        return _page(ctx, 422, form=form, error=message)
    connected = N_("Shop %(shop)s is connected to 抖店.")
    return flash.success(ctx, "/admin/platforms", connected, shop=shop_name)
