"""The order list (filters, paging) and the order page with its tracking timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import LedgerEntry
from lanshou.appeals import FILERS, explain_outcome, ledger_note, points_text
from lanshou.domain.roles import Role
from lanshou.domain.tracking import STATUSES
from lanshou.enforcement import explain
from lanshou.entrypoints.params import MAX_PAGE, DbId, bounded_int, bounded_time
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.entrypoints.web.routes.appeals import rule_labeller
from lanshou.errors import Conflict, InvalidInput
from lanshou.i18n import N_, translate
from lanshou.i18n.format import DISPLAY_TZ, local_time
from lanshou.identity import scope_for
from lanshou.orders import (
    OrderFilters,
    OrderRef,
    contacts_for_order,
    filter_options,
    get_order,
    list_orders,
    mark_shipped,
)
from lanshou.platforms import latest_answers, tell_platform_shipped

router = APIRouter(include_in_schema=False)

# The list says "more than 10,000 orders" past this: counting a big shop's every order on each
# page view cost more than the page itself (the JSON API still counts exactly).
COUNT_CAP = 10_000


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2026-03-01", field=name) from exc


@router.get("/orders")
def orders(
    ctx: UserCtx,
    shop: str | None = None,
    status: str | None = None,
    carrier: str | None = None,
    paid_from: str | None = None,
    paid_to: str | None = None,
    page: str | None = None,
) -> Response:
    """Empty form fields mean "any"; the query string round-trips through the page links."""
    filters = OrderFilters(
        bounded_int("shop", shop),
        status or None,
        bounded_int("carrier", carrier),
        _date("paid_from", paid_from),
        _date("paid_to", paid_to),
    )
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        result = list_orders(
            session,
            scope,
            filters,
            bounded_int("page", page, MAX_PAGE) or 1,
            count_cap=COUNT_CAP,
        )
        shops, carriers = filter_options(session, scope)
    kept = {
        "shop": shop,
        "status": status,
        "carrier": carrier,
        "paid_from": paid_from,
        "paid_to": paid_to,
    }
    kept = {k: v for k, v in kept.items() if v}

    def page_url(number: int) -> str:
        return "/orders?" + urlencode({**kept, "page": number})

    return render(
        ctx,
        "orders/list.html",
        section="orders",
        result=result,
        filters=filters,
        shops=shops,
        carriers=carriers,
        statuses=STATUSES,
        page_url=page_url,
        page_numbers=_window(result.page, result.pages),
        filtered=bool(kept),
    )


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
def order(ctx: UserCtx, order_id: DbId) -> Response:
    """Another tenant's order is NotFound, rendered as the 404 page."""
    return _order_page(ctx, order_id)


def _order_page(
    ctx: WebContext,
    order_id: int,
    status: int = 200,
    ship_error: str = "",
    form: dict[str, str] | None = None,
) -> Response:
    now = ctx.runtime.clock.now()
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        detail = get_order(session, scope, order_id)  # the scope check comes first
        contacts = contacts_for_order(session, scope, order_id)
        why = (
            {e.shipment_id: e for e in explain(session, f"order:{order_id}", now, ctx.rules)}
            if detail.shipments
            else {}
        )
        _, carriers = filter_options(session, scope)
        platform_answers = latest_answers(session, [s.shipment.id for s in detail.shipments])
    rule_label = rule_labeller(ctx)
    by_id = {v.id: v for e in why.values() for v in e.violations}

    def ledger_memo(entry: LedgerEntry) -> str:
        """The entry's memo in words, as the appeal pages write it (the row tags reversals)."""
        v = by_id.get(entry.violation_id) if entry.violation_id is not None else None
        rule_id = v.rule_id if v is not None else ""
        label = rule_label(v) if v is not None else ""
        return ledger_note(ctx.locale, entry, rule_id, label, say_reversal=False)

    may_ship = ctx.user.role in SHIPPERS and (
        not detail.shipments or any(not s.shipment.waybill_no for s in detail.shipments)
    )
    return render(
        ctx,
        "orders/detail.html",
        status,
        section="orders",
        d=detail,
        contacts=contacts,
        why=why,
        why_lines={
            sid: [explain_outcome(ctx.locale, o, now) for o in e.outcomes] for sid, e in why.items()
        },
        rule_label=rule_label,
        ledger_memo=ledger_memo,
        points_text=points_text,
        may_ship=may_ship,
        carriers=carriers,
        ship_error=ship_error,
        platform_answers=platform_answers,
        ship_form=form or {},
        default_shipped_at=local_time(now, "%Y-%m-%dT%H:%M"),
        may_complain=ctx.user.role in COMPLAINT_FILERS,
        may_appeal=ctx.user.role in FILERS,
    )


@router.post("/orders/{order_id}/ship")
def ship(
    ctx: UserCtx,
    order_id: DbId,
    carrier: Annotated[str, Form()] = "",
    waybill: Annotated[str, Form()] = "",
    shipped_at: Annotated[str, Form()] = "",
) -> Response:
    """点击发货 from the order page: the same service as ``POST /api/v1/shipments``."""
    form = {"carrier": carrier, "waybill": waybill, "shipped_at": shipped_at}
    try:
        when = (
            bounded_time(
                "shipped_at", datetime.fromisoformat(shipped_at).replace(tzinfo=DISPLAY_TZ)
            )
            if shipped_at
            else ctx.now
        )
    except (ValueError, InvalidInput):
        bad_time = SHIP_ERRORS["shipped_at"]
        return _order_page(ctx, order_id, 422, translate(ctx.locale, bad_time), form)
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            marked = mark_shipped(
                session,
                scope_for(session, ctx.user),
                ctx.user,
                OrderRef(order_id),
                carrier=carrier,
                waybill=waybill,
                shipped_at=when,
                now=ctx.now,
                ctx=ctx.rules,
            )
            # A connected shop's platform is told too; its answer shows on the order page.
            tell_platform_shipped(
                session, ctx.runtime.platforms, marked.shipment_id, ctx.user.username, ctx.now
            )
    except (InvalidInput, Conflict) as exc:
        field = str(exc.details.get("field", ""))
        message = SHIP_ERRORS.get(
            field, SHIP_ERRORS["" if isinstance(exc, InvalidInput) else "conflict"]
        )
        return _order_page(ctx, order_id, exc.http_status, translate(ctx.locale, message), form)
    shipped = N_("Marked shipped with waybill %(waybill)s.")
    return flash.success(ctx, f"/orders/{order_id}", shipped, waybill=marked.waybill_no)


SHIPPERS = frozenset({Role.MERCHANT_OWNER, Role.MERCHANT_STAFF, Role.ADMIN})
COMPLAINT_FILERS = frozenset({Role.CS_AGENT, Role.ADMIN, Role.REVIEWER})
SHIP_ERRORS = {
    "waybill": N_("Enter a waybill number of 1 to 64 characters that no other parcel uses."),
    "shipped_at": N_("The shipping time must be a valid time, not in the future."),
    "conflict": N_("Every parcel of this order is already marked shipped."),
    "": N_("Some of the input was not valid. Please check it and try again."),
}
