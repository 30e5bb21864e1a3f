"""Money lost to penalties and won back by appeals, cut by day, week, shop, rule, carrier, outlet.

Definitions (all amounts integer fen; a violation belongs to the period holding its deadline,
as a Beijing local date):

* **charged** of a kind (compensation, fine, refund) — the signed sum of the ledger entries of
  that kind of the period's violations, *except* recovery entries. Re-evaluation corrections
  (a reversal plus a new booking) are part of it, so it is what the shop was charged before any
  appeal.
* **recovered** — minus the sum of recovery entries: reversing entries (``reverses_id`` set) of
  a violation in state ``reversed`` booked at or after the moment it was reversed
  (``Violation.updated_at``, which the appeal approval stamps and nothing changes afterwards).
* **net loss** = compensation + fines + refunds − recovered = the plain sum of every money entry
  of the period's violations, so the figures reconcile with the ledger to the fen.

Points entries carry no money and are left out; entries without a violation have no deadline
and are not attributed to any period.

Readers use the daily cells of ``analytics_loss_daily`` (see
:mod:`lanshou.analytics.aggregates`), which equal
:func:`~lanshou.analytics.loss_cells.raw_loss_cells` day by day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, LossDaily, Violation, ViolationDaily
from lanshou.analytics.aggregates import ensure_fresh
from lanshou.analytics.loss_cells import COUNTED_STATES, LossCell
from lanshou.analytics.period import Period, iso_week, percentile
from lanshou.analytics.scoping import scoped
from lanshou.domain.appeals.machine import AWAITING_DECISION, DECIDED_STATES, REJECTED_STATES
from lanshou.identity import Scope


@dataclass
class LossTotals:
    compensation: int = 0
    fine: int = 0
    refund: int = 0
    recovered: int = 0

    @property
    def charged(self) -> int:
        return self.compensation + self.fine + self.refund

    @property
    def net(self) -> int:
        return self.charged - self.recovered

    def add(self, cell: LossCell) -> None:
        setattr(self, cell.kind, getattr(self, cell.kind) + cell.charged_fen)
        self.recovered += cell.recovered_fen


def loss_cells(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None, *, now: datetime
) -> list[LossCell]:
    """The period's money from the daily aggregates (refreshed at ``now`` first if the ledger
    moved)."""
    ensure_fresh(session, now)
    q = select(
        LossDaily.day,
        LossDaily.shop_id,
        LossDaily.platform_id,
        LossDaily.rule_id,
        LossDaily.carrier_id,
        LossDaily.outlet_id,
        LossDaily.kind,
        LossDaily.charged_fen,
        LossDaily.recovered_fen,
    ).where(LossDaily.day >= period.first, LossDaily.day <= period.last)
    q = scoped(q, LossDaily.shop_id, scope, shop_id)
    return [LossCell(*row) for row in session.execute(q)]


SQL_DIMENSIONS: dict[str, tuple[Any, ...]] = {
    "day": (LossDaily.day,),
    "shop": (LossDaily.shop_id,),
    "platform": (LossDaily.platform_id,),
    "rule": (LossDaily.rule_id,),
    "platform_rule": (LossDaily.platform_id, LossDaily.rule_id),  # a rule id is per profile
    "carrier": (LossDaily.carrier_id,),
    "outlet": (LossDaily.outlet_id,),
}


def loss_breakdowns(
    session: Session,
    scope: Scope,
    period: Period,
    dimensions: Iterable[str],
    shop_id: int | None = None,
    *,
    now: datetime,
    refresh: bool = True,
) -> dict[str, dict[Any, LossTotals]]:
    """``breakdown(loss_cells(...), d)`` for each dimension (and ``"total"``: one key, None),
    grouped in the database so a page reads a few rows per dimension instead of every cell;
    ``"week"`` is folded from the days. The rows are refreshed at ``now`` first if the ledger
    moved; ``refresh=False``: the caller ran
    :func:`~lanshou.analytics.aggregates.ensure_fresh` in this transaction already (and knows
    as of when the rows are)."""
    if refresh:
        ensure_fresh(session, now)
    out: dict[str, dict[Any, LossTotals]] = {}
    wanted = list(dict.fromkeys(dimensions))
    for dim in wanted:
        if dim == "week":
            continue
        t = LossDaily
        cols = [] if dim == "total" else list(SQL_DIMENSIONS[dim])
        q = (
            select(*cols, t.kind, func.sum(t.charged_fen), func.sum(t.recovered_fen))
            .where(t.day >= period.first, t.day <= period.last)
            .group_by(*cols, t.kind)
        )
        q = scoped(q, t.shop_id, scope, shop_id)
        totals: dict[Any, LossTotals] = defaultdict(LossTotals)
        for row in session.execute(q):
            key = None if not cols else row[0] if len(cols) == 1 else tuple(row[: len(cols)])
            kind, charged, recovered = row[-3:]
            acc = totals[key]
            setattr(acc, kind, getattr(acc, kind) + int(charged or 0))
            acc.recovered += int(recovered or 0)
        out[dim] = _sorted(totals)
    if "week" in wanted:
        days = (
            out.get("day")
            or loss_breakdowns(session, scope, period, ("day",), shop_id, now=now, refresh=False)[
                "day"
            ]
        )
        weeks: dict[Any, LossTotals] = defaultdict(LossTotals)
        for day, t_ in days.items():
            w = weeks[iso_week(day)]
            w.compensation += t_.compensation
            w.fine += t_.fine
            w.refund += t_.refund
            w.recovered += t_.recovered
        out["week"] = _sorted(weeks)
    return out


def _sorted(totals: dict[Any, LossTotals]) -> dict[Any, LossTotals]:
    return dict(
        sorted(totals.items(), key=lambda kv: (kv[0] is None, kv[0] if kv[0] is not None else 0))
    )


def totals(cells: Iterable[LossCell]) -> LossTotals:
    out = LossTotals()
    for c in cells:
        out.add(c)
    return out


Dimension = Callable[[LossCell], Any]
DIMENSIONS: dict[str, Dimension] = {
    "day": lambda c: c.day,
    "week": lambda c: iso_week(c.day),
    "shop": lambda c: c.shop_id,
    "platform": lambda c: c.platform_id,
    "rule": lambda c: c.rule_id,
    "platform_rule": lambda c: (c.platform_id, c.rule_id),
    "carrier": lambda c: c.carrier_id,
    "outlet": lambda c: c.outlet_id,
}


def breakdown(cells: Iterable[LossCell], dimension: str) -> dict[Any, LossTotals]:
    """Totals per value of one dimension, keys sorted (None last)."""
    key = DIMENSIONS[dimension]
    out: dict[Any, LossTotals] = defaultdict(LossTotals)
    for c in cells:
        out[key(c)].add(c)
    return _sorted(out)


def violation_counts(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None, *, now: datetime
) -> dict[str, int]:
    """Violations that happened (open, confirmed or later reversed) per rule, from the daily
    counts (refreshed at ``now`` first if violations moved)."""
    ensure_fresh(session, now)
    t = ViolationDaily
    q = (
        select(t.rule_id, func.sum(t.n))
        .where(t.day >= period.first, t.day <= period.last)
        .group_by(t.rule_id)
    )
    q = scoped(q, t.shop_id, scope, shop_id)
    return {rule: int(n) for rule, n in sorted(session.execute(q).all())}


def raw_violation_counts(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None
) -> dict[str, int]:
    """:func:`violation_counts` straight from the violations."""
    q = (
        select(Violation.rule_id, func.count())
        .where(
            Violation.deadline >= period.start,
            Violation.deadline < period.end,
            Violation.state.in_(COUNTED_STATES),
        )
        .group_by(Violation.rule_id)
    )
    q = scoped(q, Violation.shop_id, scope, shop_id)
    return {rule: int(n) for rule, n in sorted(session.execute(q).all())}


@dataclass
class AppealStats:
    filed: int = 0
    approved: int = 0
    rejected: int = 0
    pending: int = 0
    decision_hours: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        decided = self.approved + self.rejected
        return self.approved / decided if decided else None

    @property
    def median_decision_hours(self) -> float | None:
        return percentile(sorted(self.decision_hours), 50)


def appeal_stats(
    session: Session, scope: Scope, period: Period, shop_id: int | None = None
) -> AppealStats:
    """Appeals (one row per violation, rounds included) filed for the period's violations."""
    q = (
        select(Appeal.state, Appeal.submitted_at, Appeal.decided_at)
        .join(Violation, Violation.id == Appeal.violation_id)
        .where(
            Violation.deadline >= period.start,
            Violation.deadline < period.end,
            Appeal.submitted_at.is_not(None),
        )
    )
    q = scoped(q, Violation.shop_id, scope, shop_id)
    stats = AppealStats()
    for state, submitted, decided in session.execute(q):
        stats.filed += 1
        if state == "approved":
            stats.approved += 1
        elif state in REJECTED_STATES:
            stats.rejected += 1
        elif state in AWAITING_DECISION:
            stats.pending += 1
        if decided is not None and submitted is not None and state in DECIDED_STATES:
            stats.decision_hours.append((decided - submitted).total_seconds() / 3600)
    return stats


def fen_str(fen: int) -> str:
    """Integer fen as a two-decimal yuan string: 1234 → '12.34', -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
