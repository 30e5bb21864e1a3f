"""Which API routes each integration-token scope opens (the names: ``identity.TOKEN_SCOPES``).

A token with scopes may call a route only if the route is listed under one of them; a token
without scopes (and a password login's token) may call every route its role allows. The check
runs where the bearer token is resolved (:func:`lanshou.entrypoints.api.deps.get_principal`),
so a route needs no code of its own to be closed to scoped tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanshou.errors import PermissionDenied
from lanshou.identity import Principal

__all__ = ["API_PREFIX", "SCOPE_ROUTES", "check_scope", "scope_of_route"]

API_PREFIX = "/api/v1"

# (method, path as declared under API_PREFIX) per scope.
SCOPE_ROUTES: Mapping[str, frozenset[tuple[str, str]]] = {
    "tracking:write": frozenset(
        {("POST", "/tracking/events"), ("GET", "/tracking/receipts/{receipt_id}")}
    ),
    "shipments:write": frozenset({("POST", "/shipments")}),
    "orders:read": frozenset({("GET", "/orders"), ("GET", "/orders/{order_id}")}),
}


def scope_of_route(method: str, path: str) -> str | None:
    """The scope that opens ``method path`` (the declared path, with or without the API
    prefix), or ``None`` if only an unscoped token may call it."""
    path = path.removeprefix(API_PREFIX)
    return next((s for s, routes in SCOPE_ROUTES.items() if (method, path) in routes), None)


def check_scope(caller: Principal, method: str, path: str) -> None:
    """:class:`PermissionDenied` with what the token may do and what the route needs, unless
    the caller's token is unscoped or carries the route's scope."""
    if caller.scopes is None:
        return
    needed = scope_of_route(method, path)
    if needed is not None and needed in caller.scopes:
        return
    route = f"{method} {API_PREFIX}{path.removeprefix(API_PREFIX)}"
    mine = ", ".join(sorted(caller.scopes))
    raise PermissionDenied(
        f"this integration token is limited to the scopes {mine}; {route} "
        + (f"needs the scope {needed}" if needed else "is open only to tokens without scopes")
        + ": ask an administrator for a token that includes it",
        token_scopes=sorted(caller.scopes),
        needed_scope=needed,
    )
