"""The order list (filters, paging) and the order page with its tracking timeline."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.web.context import UserCtx
from lanshou.entrypoints.web.rendering import render
from lanshou.errors import InvalidInput
from lanshou.services.contacts import contacts_for_order
from lanshou.services.explain import explain
from lanshou.services.orders import (
    SHIPMENT_STATUSES,
    OrderFilters,
    filter_options,
    get_order,
    list_orders,
    scope_for,
)

router = APIRouter(include_in_schema=False)


def _int(name: str, value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a number", field=name) from exc


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2026-03-01", field=name) from exc


@router.get("/orders")
def orders(ctx: UserCtx, shop: str | None = None, status: str | None = None,
           carrier: str | None = None, paid_from: str | None = None, paid_to: str | None = None,
           page: str | None = None) -> Response:
    """Empty form fields mean "any"; the query string round-trips through the page links."""
    filters = OrderFilters(_int("shop", shop), status or None, _int("carrier", carrier),
                           _date("paid_from", paid_from), _date("paid_to", paid_to))
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        result = list_orders(session, scope, filters, _int("page", page) or 1)
        shops, carriers = filter_options(session, scope)
    kept = {"shop": shop, "status": status, "carrier": carrier, "paid_from": paid_from,
            "paid_to": paid_to}
    kept = {k: v for k, v in kept.items() if v}

    def page_url(number: int) -> str:
        return "/orders?" + urlencode({**kept, "page": number})

    return render(ctx, "orders/list.html", section="orders", result=result, filters=filters,
                  shops=shops, carriers=carriers, statuses=SHIPMENT_STATUSES, page_url=page_url,
                  page_numbers=_window(result.page, result.pages), filtered=bool(kept))


def _window(page: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers around the current one, with None where a gap is: 1 … 4 5 [6] 7 8 … 20."""
    shown = sorted({1, pages, *range(max(1, page - width), min(pages, page + width) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


@router.get("/orders/{order_id}")
def order(ctx: UserCtx, order_id: int) -> Response:
    """Another tenant's order is NotFound, rendered as the 404 page."""
    now = ctx.runtime.clock.now()
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        detail = get_order(session, scope, order_id)  # the scope check comes first
        contacts = contacts_for_order(session, scope, order_id)
        why = ({e.shipment_id: e for e in explain(session, f"order:{order_id}", now, ctx.rules)}
               if detail.shipments else {})
    return render(ctx, "orders/detail.html", section="orders", d=detail, contacts=contacts,
                  why=why)
