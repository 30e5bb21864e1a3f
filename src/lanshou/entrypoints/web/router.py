"""The server-rendered pages. Every non-GET request passes the CSRF guard first."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lanshou.entrypoints.web.context import csrf_guard
from lanshou.entrypoints.web.routes import (
    admin,
    analytics,
    appeals,
    at_risk,
    auth,
    bulk,
    complaints,
    home,
    orders,
    review,
    search,
    violations,
)
from lanshou.entrypoints.web.routes import alerts as alert_pages
from lanshou.entrypoints.web.routes import platforms as platform_pages
from lanshou.entrypoints.web.routes import subscriptions as subscription_pages
from lanshou.entrypoints.web.routes import tasks as task_pages


def build_web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_guard)])
    for module in (auth, home, at_risk, orders, admin, analytics):
        router.include_router(module.router)
    router.include_router(platform_pages.router)
    for module in (violations, appeals, review, complaints):  # 违规与申诉, 审核, 投诉
        router.include_router(module.router)
    router.include_router(bulk.router)
    router.include_router(
        search.router
    )  # the header's search box  # bulk actions on the board and the violations list
    for extra in (alert_pages, task_pages, subscription_pages):
        router.include_router(extra.router)
    return router
