"""Token scopes are data: every scope opens routes that exist, and only those."""

from __future__ import annotations

from fastapi import FastAPI

from lanshou.entrypoints.api.router import build_api_router
from lanshou.entrypoints.api.scopes import SCOPE_ROUTES, scope_of_route
from lanshou.identity import TOKEN_SCOPES
from lanshou.identity.token_scopes import parse_scopes, scopes_of


def test_every_scope_has_routes_and_every_listed_route_exists() -> None:
    assert set(SCOPE_ROUTES) == set(TOKEN_SCOPES)
    app = FastAPI()
    app.include_router(build_api_router())
    declared = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    listed = {r for routes in SCOPE_ROUTES.values() for r in routes}
    assert listed - declared == set()
    assert sorted(listed) == [
        ("GET", "/orders"),
        ("GET", "/orders/{order_id}"),
        ("GET", "/tracking/receipts/{receipt_id}"),
        ("POST", "/shipments"),
        ("POST", "/tracking/events"),
    ]


def test_a_route_is_found_with_or_without_the_prefix() -> None:
    assert scope_of_route("POST", "/api/v1/tracking/events") == "tracking:write"
    assert scope_of_route("POST", "/tracking/events") == "tracking:write"
    assert scope_of_route("GET", "/tracking/events") is None
    assert scope_of_route("POST", "/api/v1/tokens") is None


def test_scopes_are_stored_sorted_once_and_none_means_unlimited() -> None:
    assert parse_scopes(None) is None
    assert parse_scopes(["tracking:write", "orders:read", "tracking:write"]) == (
        "orders:read tracking:write"
    )
    assert scopes_of("orders:read tracking:write") == frozenset({"orders:read", "tracking:write"})
    assert scopes_of(None) is None
