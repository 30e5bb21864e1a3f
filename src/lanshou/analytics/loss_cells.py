"""The loss aggregates recomputed from the raw tables: what ``analytics_loss_daily`` and
``analytics_violation_daily`` hold, day by day (definitions in :mod:`lanshou.analytics.losses`).

The refresh (:mod:`lanshou.analytics.aggregates`) stores these cells and the loss readers
(:mod:`lanshou.analytics.losses`) read them back, so they live below both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import LedgerEntry, Shipment, Shop, Violation
from lanshou.analytics.period import Period, local_day
from lanshou.analytics.scoping import scoped
from lanshou.domain.violations import HAPPENED, ViolationState
from lanshou.enforcement import MONEY_KINDS
from lanshou.identity import Scope

COUNTED_STATES = HAPPENED  # a violation that happened (not exempt, not withdrawn)


@dataclass(frozen=True)
class LossCell:
    """Fen of one kind for one (deadline day, shop, platform, rule, carrier, outlet)."""

    day: date
    shop_id: int
    platform_id: int
    rule_id: str
    carrier_id: int | None
    outlet_id: int | None
    kind: str
    charged_fen: int
    recovered_fen: int


Periods = Period | Sequence[Period]


def within(column: Any, periods: Periods, *, days: bool = False) -> ColumnElement[bool]:
    """``column`` (a timestamp; a local date with ``days``) in one of ``periods``: one query
    for days scattered over the months (a refresh's changed days) instead of one per run."""
    runs = [periods] if isinstance(periods, Period) else list(periods)
    if not runs:
        return false()
    if days:
        return or_(*(and_(column >= p.first, column <= p.last) for p in runs))
    return or_(*(and_(column >= p.start, column < p.end) for p in runs))


def raw_loss_cells(
    session: Session, scope: Scope, period: Periods, shop_id: int | None = None
) -> list[LossCell]:
    """The period's (or periods') money recomputed from the ledger, grouped by deadline day and
    dimensions."""
    recovery = case(
        (
            and_(
                LedgerEntry.reverses_id.is_not(None),
                Violation.state == ViolationState.REVERSED,
                LedgerEntry.booked_at >= Violation.updated_at,
            ),
            1,
        ),
        else_=0,
    )
    groups = (
        Violation.deadline,
        Violation.shop_id,
        Shop.platform_id,
        Violation.rule_id,
        Shipment.carrier_id,
        Shipment.outlet_id,
        LedgerEntry.kind,
        recovery,
    )
    q = (
        select(*groups, func.sum(LedgerEntry.amount_fen))
        .join(Violation, Violation.id == LedgerEntry.violation_id)
        .join(Shipment, Shipment.id == Violation.shipment_id)
        .join(Shop, Shop.id == Violation.shop_id)
        .where(within(Violation.deadline, period), LedgerEntry.kind.in_(MONEY_KINDS))
        .group_by(*groups)
    )
    q = scoped(q, Violation.shop_id, scope, shop_id)
    merged: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in session.execute(q):
        deadline, shop, platform, rule, carrier, outlet, kind, is_recovery, fen = row
        key = (local_day(deadline), shop, platform, rule, carrier, outlet, kind)
        merged[key][1 if is_recovery else 0] += int(fen or 0)
    return [
        LossCell(day, shop, platform, rule, carrier, outlet, kind, v[0], -v[1])
        for (day, shop, platform, rule, carrier, outlet, kind), v in merged.items()
    ]


def raw_violation_cells(session: Session, period: Periods) -> list[dict[str, Any]]:
    """The rows of ``analytics_violation_daily`` for the period(s), from the violations."""
    cells: dict[tuple[Any, ...], int] = defaultdict(int)
    for deadline, shop, rule, n in session.execute(
        select(Violation.deadline, Violation.shop_id, Violation.rule_id, func.count())
        .where(within(Violation.deadline, period), Violation.state.in_(COUNTED_STATES))
        .group_by(Violation.deadline, Violation.shop_id, Violation.rule_id)
    ):
        cells[(local_day(deadline), shop, rule)] += int(n)
    return [dict(day=d, shop_id=shop, rule_id=rule, n=n) for (d, shop, rule), n in cells.items()]
