"""The server-rendered pages. Every non-GET request passes the CSRF guard first."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lanshou.entrypoints.web.context import csrf_guard
from lanshou.entrypoints.web.routes import admin, at_risk, auth, home, orders


def build_web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_guard)])
    for module in (auth, home, at_risk, orders, admin):
        router.include_router(module.router)
    return router
