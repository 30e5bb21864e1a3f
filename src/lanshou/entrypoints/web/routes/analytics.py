"""损失与风险, 快递管理 and 假设分析 pages; every table also downloads as CSV or XLSX."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.analytics import (
    CSV_TYPE,
    XLSX_TYPE,
    Period,
    dashboard,
    to_csv,
    to_xlsx,
    whatif_form,
)
from lanshou.domain.money import from_fen
from lanshou.domain.roles import Role
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import may_run_whatif, render
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for

router = APIRouter(include_in_schema=False)
PERIODS = (7, 30, 90)


def may_see_analytics(ctx: WebContext) -> bool:
    return ctx.user.role is not Role.REVIEWER


def _export(
    name: str, fmt: str, headers: tuple[str, ...] | list[str], rows: list[list[Any]]
) -> Response:
    if fmt == "csv":
        body, media = to_csv(headers, rows), CSV_TYPE
    elif fmt == "xlsx":
        body, media = to_xlsx(headers, rows, name), XLSX_TYPE
    else:
        raise InvalidInput("format is csv or xlsx", field="format")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _period(ctx: WebContext, days: int) -> Period:
    if days not in PERIODS:
        raise InvalidInput(f"days is one of {PERIODS}", field="days")
    return Period.ending(ctx.now, days)


@router.get("/analytics/losses")
def losses(ctx: UserCtx, days: int = 30, format: str | None = None) -> Response:
    if not may_see_analytics(ctx):
        raise PermissionDenied("analytics are for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        board = dashboard.loss_board(
            session,
            scope_for(session, ctx.user),
            ctx.now,
            ctx.rules,
            _period(ctx, days),
            ctx.locale,
        )
    if format:
        return _export("losses-by-shop", format, dashboard.SHOP_HEADERS, board.shop_rows)
    return render(
        ctx,
        "analytics/losses.html",
        section="analytics_losses",
        board=board,
        days=days,
        periods=PERIODS,
        charts=loss_charts(board, ctx.locale),
    )


@router.get("/analytics/carriers")
def carriers(
    ctx: UserCtx, days: int = 30, format: str | None = None, table: str = "carrier"
) -> Response:
    if not may_see_analytics(ctx):
        raise PermissionDenied("analytics are for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        board = dashboard.carrier_board(
            session,
            scope_for(session, ctx.user),
            ctx.now,
            _period(ctx, days),
            ctx.rules,
            ctx.locale,
        )
    if format:
        if table == "recommendation":
            rows = [
                [
                    r.province,
                    r.rank,
                    r.carrier,
                    r.shipments,
                    None if r.p90_h is None else round(r.p90_h, 2),
                    round(r.timeout_rate, 4),
                    r.penalty_per_1000_fen / 100,
                ]
                for recs in board.recommendations.values()
                for r in recs
            ]
            return _export(
                "carrier-recommendation",
                format,
                [
                    "province",
                    "rank",
                    "carrier",
                    "shipments",
                    "p90_h",
                    "timeout_rate",
                    "penalty_per_1000",
                ],
                rows,
            )
        cards = {"carrier": board.carriers, "outlet": board.outlets, "courier": board.couriers}.get(
            table
        )
        if cards is None:
            raise InvalidInput("table is carrier, outlet, courier or recommendation", field="table")
        return _export(
            f"{table}-scorecards", format, dashboard.CARD_HEADERS, dashboard.card_rows(cards)
        )
    return render(
        ctx,
        "analytics/carriers.html",
        section="analytics_carriers",
        board=board,
        days=days,
        periods=PERIODS,
        charts=carrier_charts(board, ctx.locale),
        # translated here: Jinja's _() would read the "%" in "90%" as a format character
        percentile_labels=[translate(ctx.locale, label) for label, _key in PERCENTILE_LABELS],
    )


_WHATIF_ERRORS = {
    "kind": N_("Choose what to try: a rule's hours or another carrier."),
    "rule": N_("Choose one of the rules listed."),
    "hours": N_("Hours must be a number more than 0 and at most 720."),
    "carrier": N_("Choose the carrier to switch from and the one to switch to."),
    "carrier_same": N_("Choose two different carriers."),
    "carrier_pool": N_(
        "There are no picked-up shipments of %(carrier)s from %(province)s yet to learn its "
        "pickup times from."
    ),
    "days": N_("Choose a period of 7, 30 or 90 days."),
}
WHATIF_HEADERS = (
    "shop",
    "violations_base",
    "violations_changed",
    "violations_delta",
    "money_base",
    "money_changed",
    "money_delta",
)


def _hours(value: str) -> Decimal | None:
    try:
        hours = Decimal(value.strip()) if value.strip() else None
    except InvalidOperation:
        raise InvalidInput("hours must be a number", field="hours") from None
    return hours if hours is None or hours.is_finite() else Decimal(-1)


def _whatif_error(ctx: WebContext, exc: InvalidInput) -> str:
    field = str(exc.details.get("field", ""))
    msgid = _WHATIF_ERRORS.get(field)
    if msgid is None:
        return translate(
            ctx.locale, "Some of the input was not valid. Please check it and try again."
        )
    carrier = str(exc.details.get("carrier", ""))
    return translate(
        ctx.locale, msgid, carrier=carrier, province=exc.details.get("province") or "—"
    )


@router.get("/analytics/whatif")
def whatif(
    ctx: UserCtx,
    kind: str = "",
    rule: str = "",
    hours: str = "",
    carrier_from: str = "",
    carrier_to: str = "",
    days: int = 30,
    format: str | None = None,
) -> Response:
    """A rule's hours, or one carrier for another, over the caller's shops and a period; the
    baseline is the losses page's net loss of the same shops and period."""
    if not may_run_whatif(ctx.user):
        raise PermissionDenied("what-if analysis is for shop owners and administrators")
    result, error = None, ""
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        rules = whatif_form.rule_choices(session, ctx.rules, scope)
        carriers = whatif_form.carrier_choices(session)
        if kind:
            try:
                scenario = whatif_form.Scenario(kind, rule, _hours(hours), carrier_from, carrier_to)
                result = whatif_form.run_whatif(
                    session, ctx.rules, scope, ctx.now, _period(ctx, days), scenario
                )
            except InvalidInput as exc:
                error = _whatif_error(ctx, exc)
    if format and result is not None:
        return _export("whatif", format, WHATIF_HEADERS, _whatif_rows(result))
    return render(
        ctx,
        "analytics/whatif.html",
        422 if error else 200,
        section="analytics_whatif",
        result=result,
        error=error,
        rules=rules,
        carriers=carriers,
        periods=PERIODS,
        f=dict(
            kind=kind or "rule",
            rule=rule or (rules[0].rule_id if rules else ""),
            hours=hours,
            carrier_from=carrier_from,
            carrier_to=carrier_to,
            days=days,
        ),
        query=str(ctx.request.url.query),
    )


def _whatif_rows(result: whatif_form.WhatIfResult) -> list[list[Any]]:
    return [
        [
            s.name,
            s.base_violations,
            s.changed_violations,
            s.violations_delta,
            from_fen(s.base_fen),
            from_fen(s.changed_fen),
            from_fen(s.delta_fen),
        ]
        for s in result.shops
    ]


def _bar(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    stack: bool = False,
    horizontal: bool = False,
    every_label: bool = True,
) -> dict[str, Any]:
    """An ECharts option: bars per category, optionally stacked, optionally horizontal."""
    cat_axis: dict[str, Any] = {"type": "category", "data": categories}
    if every_label:
        cat_axis["axisLabel"] = {"interval": 0}
    val_axis = {"type": "value"}
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 90 if horizontal else 50, "right": 20, "top": 36, "bottom": 30},
        "xAxis": val_axis if horizontal else cat_axis,
        "yAxis": cat_axis if horizontal else val_axis,
        "series": [
            {"name": name, "type": "bar", "data": data, **({"stack": "total"} if stack else {})}
            for name, data in series
        ],
    }


def loss_charts(board: dashboard.LossBoard, locale: str) -> dict[str, dict[str, Any]]:
    t = partial(translate, locale)
    kinds = [
        (N_("Compensation"), "compensation"),
        (N_("Fines"), "fine"),
        (N_("Automatic refunds"), "refund"),
    ]
    return {
        "daily": _bar(
            [d[5:] for d in board.days],
            [(t(label), board.day_series[k]) for label, k in kinds],
            stack=True,
            every_label=False,
        ),
        "carrier": _bar(
            [c for c, _v in board.by_carrier],
            [(t(N_("Net loss")), [v for _c, v in board.by_carrier])],
            horizontal=True,
        ),
        "rule": _bar(
            [r for r, _v in board.by_rule], [(t(N_("Net loss")), [v for _r, v in board.by_rule])]
        ),
    }


# What p50/p90/p99 mean, in words: the chart's series and the scorecards' columns.
PERCENTILE_LABELS = (
    (N_("Half picked up within (h)"), "p50_h"),
    (N_("90% picked up within (h)"), "p90_h"),
    (N_("99% picked up within (h)"), "p99_h"),
)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def carrier_charts(board: dashboard.CarrierBoard, locale: str) -> dict[str, dict[str, Any]]:
    t = partial(translate, locale)
    names = [c.name for c in board.carriers]
    latency = _bar(
        names,
        [
            (t(label), [c.row()[key] or 0 for c in board.carriers])
            for label, key in PERCENTILE_LABELS
        ],
    )
    trend = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 20, "top": 36, "bottom": 30},
        "xAxis": {"type": "category", "data": board.weeks},
        # A percentage like the scorecards' column (6.1 %), not the 0.061 the board holds.
        "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": name,
                "type": "line",
                "data": [_percent(v) for v in values],
                "connectNulls": True,
            }
            for name, values in board.trend.items()
        ],
    }
    return {"latency": latency, "trend": trend}
