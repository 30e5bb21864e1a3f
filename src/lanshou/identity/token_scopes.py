"""What an integration token may be limited to: scope names as data.

A token created without scopes carries the full rights of its owner's role (every token made
before migration 0024 is one). A token with scopes may call only the API routes of those
scopes (``entrypoints/api/scopes.py`` lists them), and on those routes its owner's role and
shops still decide what it sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lanshou.errors import InvalidInput
from lanshou.i18n import N_

__all__ = ["TOKEN_SCOPES", "parse_scopes", "scopes_of"]

# Each scope's description is an English msgid (the admin page shows it translated).
TOKEN_SCOPES: Mapping[str, str] = {
    "tracking:write": N_("post tracking events and read the receipts of what was posted"),
    "shipments:write": N_("mark orders shipped (the carrier and the waybill)"),
    "orders:read": N_("read orders, their shipments and deadlines"),
}


def parse_scopes(names: Iterable[str] | None) -> str | None:
    """The stored form of requested scopes (sorted, space-separated); ``None`` for none
    asked, which means the owner's full role. An unknown name is :class:`InvalidInput`."""
    if names is None:
        return None
    wanted = sorted({n.strip() for n in names})
    if not wanted:
        raise InvalidInput(
            "scopes must name at least one scope, or be left out for the owner's full rights",
            field="scopes",
        )
    if unknown := [n for n in wanted if n not in TOKEN_SCOPES]:
        raise InvalidInput(
            f"unknown scopes {unknown}; known: {', '.join(sorted(TOKEN_SCOPES))}", field="scopes"
        )
    return " ".join(wanted)


def scopes_of(stored: str | None) -> frozenset[str] | None:
    """The scopes a stored token carries; ``None``: not limited."""
    return None if stored is None else frozenset(stored.split())
