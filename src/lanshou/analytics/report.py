"""`lanshou report`: the period's losses, violations, appeals and carriers as one JSON document.

The money keys follow :mod:`lanshou.analytics.losses` exactly (violations whose
deadline falls in the period, Beijing dates), so ``compensation + fines + refunds − recovered
= net_loss`` and ``net_loss`` equals the sum of those violations' money ledger entries.
``violations`` counts violations that happened (open, confirmed or reversed) per rule;
``appeals`` counts submitted appeals of those violations by outcome; ``by_carrier`` covers
shipments marked shipped in the period (see :mod:`.scorecards`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Shop
from lanshou.analytics.losses import (
    LossTotals,
    appeal_stats,
    fen_str,
    loss_breakdowns,
    violation_counts,
)
from lanshou.analytics.period import Period
from lanshou.analytics.scoping import scoped
from lanshou.analytics.scorecards import pickup_samples, scorecards
from lanshou.enforcement import RulesContext
from lanshou.errors import NotFound
from lanshou.identity import Scope

REPORT_KEYS = (
    "period",
    "shops",
    "compensation",
    "fines",
    "refunds",
    "recovered",
    "net_loss",
    "violations",
    "appeals",
    "by_carrier",
)


def resolve_shops(session: Session, scope: Scope, code: str | None) -> list[Shop]:
    q = scoped(select(Shop).order_by(Shop.code, Shop.id), Shop.id, scope)
    if code is not None:
        q = q.where(Shop.code == code)
    shops = list(session.execute(q).scalars())
    if code is not None and not shops:
        raise NotFound(f"shop {code!r} not found")
    return shops


def build_report(
    session: Session,
    scope: Scope,
    period: Period,
    ctx: RulesContext,
    shop_code: str | None = None,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The period's figures, the money and pickup aggregates refreshed at ``now`` if due."""
    shops = resolve_shops(session, scope, shop_code)
    narrowed = Scope(frozenset(s.id for s in shops))
    money = loss_breakdowns(session, narrowed, period, ("total",), now=now)["total"].get(
        None, LossTotals()
    )
    appeals = appeal_stats(session, narrowed, period)
    cards = scorecards(session, pickup_samples(session, narrowed, period, ctx, now=now), "carrier")

    def hours(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    report = {
        "period": period.as_json(),
        "shops": [s.code for s in shops],
        "compensation": fen_str(money.compensation),
        "fines": fen_str(money.fine),
        "refunds": fen_str(money.refund),
        "recovered": fen_str(money.recovered),
        "net_loss": fen_str(money.net),
        "violations": violation_counts(session, narrowed, period, now=now),
        "appeals": {
            "filed": appeals.filed,
            "approved": appeals.approved,
            "rejected": appeals.rejected,
            "pending": appeals.pending,
        },
        "by_carrier": [
            {
                "carrier": c.name,
                "shipments": c.shipments,
                "pickup_p50_hours": hours(c.p(50)),
                "pickup_p90_hours": hours(c.p(90)),
                "timeout_rate": None if c.timeout_rate is None else round(c.timeout_rate, 4),
            }
            for c in cards
        ],
    }
    assert tuple(report) == REPORT_KEYS
    return report
