"""The tenant boundary: which shops a principal may see.

Every order query starts from :func:`scoped_orders`, so a page or API endpoint cannot forget it:
merchants see the shops they are members of, platform roles see every shop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, ShopMembership
from lanshou.identity.auth import Principal


@dataclass(frozen=True)
class Scope:
    """The shops a principal may see; ``None`` means all of them."""

    shop_ids: frozenset[int] | None

    @property
    def is_all(self) -> bool:
        return self.shop_ids is None


def scope_for(session: Session, principal: Principal) -> Scope:
    if principal.role.sees_all_shops:
        return Scope(None)
    ids = session.execute(
        select(ShopMembership.shop_id).where(ShopMembership.user_id == principal.user_id)
    ).scalars()
    return Scope(frozenset(ids))


def scoped_orders(scope: Scope) -> Select[Order]:
    """The one place the tenant boundary is applied to orders."""
    query = select(Order)
    if scope.shop_ids is not None:
        query = query.where(Order.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    return query
