"""The JSON API, mounted under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from lanshou.entrypoints.api.openapi import document_refusals
from lanshou.entrypoints.api.routes import alerts as alert_routes
from lanshou.entrypoints.api.routes import (
    appeals,
    auth,
    complaints,
    contacts,
    exemptions,
    health,
    orders,
    platforms,
    shipments,
    subscriptions,
    tokens,
    tracking,
    violations,
)
from lanshou.entrypoints.api.scopes import API_PREFIX

__all__ = ["API_PREFIX", "build_api_router"]


def build_api_router() -> APIRouter:
    router = APIRouter()
    for module in (
        health,
        auth,
        orders,
        tokens,
        exemptions,
        tracking,
        subscriptions,
        shipments,
        contacts,
        violations,
        appeals,
        complaints,
        alert_routes,
        platforms,
    ):
        document_refusals(module.router)
        router.include_router(module.router)
    return router
