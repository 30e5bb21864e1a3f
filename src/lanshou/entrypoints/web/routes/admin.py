"""Administrators: users and their shops, integration tokens (create once, revoke)."""

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
from lanshou.errors import PermissionDenied
from lanshou.i18n import N_
from lanshou.identity import (
    TOKEN_SCOPES,
    create_integration_token,
    list_tokens,
    list_users,
    revoke_token,
)

router = APIRouter(include_in_schema=False, prefix="/admin")


def _require_admin(ctx: WebContext) -> None:
    if ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("administrators only")


def _page(ctx: WebContext, status: int = 200, **extra: object) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        users = list_users(session)
        tokens = list_tokens(session)
    values = {"new_token": None, "new_token_name": "", **extra}
    return render(
        ctx,
        "admin/users.html",
        status,
        section="admin",
        users=users,
        tokens=tokens,
        token_scopes=TOKEN_SCOPES,
        **values,
    )


@router.get("/users")
def users(ctx: UserCtx) -> Response:
    _require_admin(ctx)
    return _page(ctx)


@router.post("/tokens")
def create_token(
    ctx: UserCtx,
    name: Annotated[str, Form()],
    user_id: Annotated[DbId | None, Form()] = None,
    scopes: Annotated[list[str] | None, Form(max_length=8)] = None,
) -> Response:
    """The new token is shown on this response only; reloading will not show it again. No
    scope ticked: the token has every right of its user."""
    _require_admin(ctx)
    with unit_of_work(ctx.runtime.sessions) as session:
        plain, row = create_integration_token(
            session, ctx.user, name, ctx.now, user_id, scopes or None
        )
    response = _page(ctx, new_token=plain, new_token_name=row.name)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke(ctx: UserCtx, token_id: DbId) -> Response:
    _require_admin(ctx)
    with unit_of_work(ctx.runtime.sessions) as session:
        revoke_token(session, ctx.user, token_id, ctx.now)
    return flash.success(ctx, "/admin/users", N_("Token revoked: it no longer opens the API."))
