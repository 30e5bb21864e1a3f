"""What the 损失与风险 and 快递管理 pages show: plain data, ready for charts and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Outlet, Platform, Shop
from lanshou.analytics.aggregates import ensure_fresh
from lanshou.analytics.exposure import board_exposure
from lanshou.analytics.losses import AppealStats, LossTotals, appeal_stats, loss_breakdowns
from lanshou.analytics.period import Period
from lanshou.analytics.scorecards import (
    Recommendation,
    Scorecard,
    pickup_samples,
    recommend,
    scorecards,
)
from lanshou.domain.money import from_fen
from lanshou.enforcement import RulesContext
from lanshou.identity import Scope

SHOP_HEADERS = ("shop", "compensation", "fines", "refunds", "recovered", "net_loss")
CARD_HEADERS = (
    "name",
    "carrier",
    "shipments",
    "p50_h",
    "p90_h",
    "p99_h",
    "timeout_rate",
    "timeouts",
    "appeal_share",
    "feed_stalls",
)


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


@dataclass
class LossBoard:
    period: Period
    totals: LossTotals
    # None: the money figures are current as of the caller's now; else the time of the stored
    # aggregates served because another transaction was refreshing them (the page says "as of").
    figures_at: datetime | None
    exposure: Decimal
    exposure_at: datetime  # the worker's last refresh, or now when computed for the page
    at_risk_count: int
    appeals: AppealStats
    days: list[str]
    day_series: dict[str, list[float]]  # kind → yuan per day
    by_carrier: list[tuple[str, float]]
    by_rule: list[tuple[str, float]]
    by_week: list[tuple[str, float]]
    shop_rows: list[list[Any]]  # SHOP_HEADERS


def loss_board(
    session: Session,
    scope: Scope,
    now: datetime,
    ctx: RulesContext,
    period: Period,
    locale: str = "zh_CN",
) -> LossBoard:
    """The 损失与风险 page; rules are labelled in ``locale``. It never waits for a refresh of the
    loss aggregates another transaction is running (the worker's, or another page's): it shows
    the stored figures with their time instead (:func:`ensure_fresh`)."""
    figures_at = ensure_fresh(session, now)
    parts = loss_breakdowns(
        session,
        scope,
        period,
        ("day", "week", "carrier", "platform_rule", "shop"),
        now=now,
        refresh=False,
    )
    per_day = parts["day"]
    days: list[str] = []
    series: dict[str, list[float]] = {
        k: [] for k in ("compensation", "fine", "refund", "recovered")
    }
    day = period.first
    while day <= period.last:
        days.append(day.isoformat())
        t = per_day.get(day, LossTotals())
        for kind, values in series.items():
            values.append(_yuan(getattr(t, kind)))
        day += timedelta(days=1)
    carriers: dict[int, str] = dict(
        session.execute(select(Carrier.id, Carrier.name_in(locale))).all()
    )
    shops = {i: (c, n) for i, c, n in session.execute(select(Shop.id, Shop.code, Shop.name))}
    total = LossTotals()
    for t in per_day.values():
        total.compensation += t.compensation
        total.fine += t.fine
        total.refund += t.refund
        total.recovered += t.recovered
    expected, pending, as_of = board_exposure(session, scope, now, ctx)
    return LossBoard(
        period,
        total,
        figures_at,
        expected,
        as_of,
        pending,
        appeal_stats(session, scope, period),
        days,
        series,
        [
            (carriers.get(k, "—") if k is not None else "—", _yuan(v.net))
            for k, v in parts["carrier"].items()
        ],
        _by_rule(session, ctx, parts["platform_rule"], locale),
        [(k, _yuan(v.net)) for k, v in parts["week"].items()],
        [
            [
                shops.get(k, (str(k), ""))[1],
                from_fen(v.compensation),
                from_fen(v.fine),
                from_fen(v.refund),
                from_fen(v.recovered),
                from_fen(v.net),
            ]
            for k, v in parts["shop"].items()
        ],
    )


@dataclass
class CarrierBoard:
    period: Period
    carriers: list[Scorecard]
    outlets: list[Scorecard]
    couriers: list[Scorecard]
    recommendations: dict[str, list[Recommendation]]
    weeks: list[str]
    trend: dict[str, list[float | None]]  # carrier → timeout rate per week


def carrier_board(
    session: Session,
    scope: Scope,
    now: datetime,
    period: Period,
    ctx: RulesContext,
    locale: str | None = None,
) -> CarrierBoard:
    samples = pickup_samples(session, scope, period, ctx, now=now)
    carriers = scorecards(session, samples, "carrier", locale)
    weeks = sorted({w for c in carriers for w in c.weeks})
    trend = {
        c.name: [round(dict(c.trend()).get(w, 0.0), 4) if w in c.weeks else None for w in weeks]
        for c in carriers
    }
    return CarrierBoard(
        period,
        carriers,
        scorecards(session, samples, "outlet", locale),
        scorecards(session, samples, "courier", locale),
        recommend(session, scope, period, samples, locale),
        weeks,
        trend,
    )


def _by_rule(
    session: Session, ctx: RulesContext, nets: dict[Any, LossTotals], locale: str
) -> list[tuple[str, float]]:
    """Net loss per rule label, in rule id order: each (platform, rule id) labelled by the
    platform's own profile; rules that read the same are one bar."""
    profiles = dict(session.execute(select(Platform.id, Platform.profile)).all())
    out: dict[str, int] = {}
    for (platform, rule_id), totals in sorted(nets.items(), key=lambda kv: kv[0][::-1]):
        profile = profiles.get(platform)
        label = ctx.profile(profile).rule_label(rule_id, locale) if profile else rule_id
        out[label] = out.get(label, 0) + totals.net
    return [(label, _yuan(net)) for label, net in out.items()]


def card_rows(cards: list[Scorecard]) -> list[list[Any]]:
    return [[c.row()[h] for h in CARD_HEADERS] for c in cards]


def outlet_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Outlet.id, Outlet.name)).all())
