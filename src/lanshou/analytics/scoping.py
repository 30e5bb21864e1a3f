"""Narrowing an analytics query to the shops a user may see."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from lanshou.identity import Scope

Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")


def scoped(query: Q, column: Any, scope: Scope, shop_id: int | None = None) -> Q:
    """``query`` restricted to the scope's shops (``column`` holds the shop id; all shops for
    an unrestricted scope, none for an empty one) and, given ``shop_id``, to that one shop."""
    if scope.shop_ids is not None:
        query = query.where(column.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        query = query.where(column == shop_id)
    return query
