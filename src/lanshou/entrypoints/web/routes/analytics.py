"""损失与风险, 快递管理 and 假设分析 pages; every table also downloads as CSV or XLSX."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.analytics import CSV_TYPE, XLSX_TYPE, Period, dashboard, to_csv, to_xlsx
from lanshou.domain.roles import Role
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.errors import InvalidInput, LanshouError, PermissionDenied
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
            session, scope_for(session, ctx.user), _period(ctx, days), ctx.rules
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


@router.get("/analytics/whatif")
def whatif(
    ctx: UserCtx,
    profile: str = "douyin",
    changes: list[str] = Query(default=[], alias="set"),
    shop: str = "",
    carrier: str = "",
    region: str = "",
    format: str | None = None,
) -> Response:
    from lanshou.analytics import whatif as wi

    if ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("what-if analysis is for administrators")
    changes = [c for c in changes if c.strip()]
    rows: list[dict[str, Any]] = []
    error = ""
    ran = bool(changes or carrier)
    if ran:
        try:
            with unit_of_work(ctx.runtime.sessions) as session:
                if carrier:
                    diffs = wi.whatif_carrier(session, ctx.rules, shop, carrier, region, ctx.now)
                else:
                    diffs = wi.whatif_rules(
                        session, ctx.rules, profile, [wi.parse_change(c) for c in changes], ctx.now
                    )
            rows = [d.row() for d in diffs]
        except LanshouError as exc:
            error = exc.message
    headers = [
        "shop",
        "name",
        "violations_base",
        "violations_changed",
        "violations_delta",
        "money_base",
        "money_changed",
        "money_delta",
    ]
    if format and not error:
        return _export("whatif", format, headers, [[r[h] for h in headers] for r in rows])
    return render(
        ctx,
        "analytics/whatif.html",
        422 if error else 200,
        section="analytics_whatif",
        rows=rows,
        error=error,
        ran=ran,
        profile=profile,
        changes=changes or ["pickup_timeout.hours=12"],
        shop=shop,
        carrier=carrier,
        region=region,
        query=str(ctx.request.url.query),
    )


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
