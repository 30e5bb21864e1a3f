"""Keep the pre-aggregated analytics tables in step with the ledger, violations and shipments.

``refresh_aggregates`` recomputes whole Beijing days, never patches a cell: for every day it
touches it deletes the day's rows and writes them again from the raw tables
(:func:`~lanshou.services.analytics.losses.raw_loss_cells`,
:func:`~lanshou.services.analytics.scorecards.raw_pickup_cells`), so an aggregate row is always
exactly what a recomputation gives.

Which days: the first refresh rebuilds everything. Later ones rebuild

* loss days — the deadline days of violations that got a ledger entry (``ledger_entries.id``
  above the watermark), were created (``violations.id``) or changed state (``updated_at``)
  since the last refresh, plus the ``RECENT_DAYS`` up to ``now``;
* pickup days — the shipped days of those violations' shipments, of new shipments and of
  shipments that got a new deadline, plus the ``RECENT_DAYS`` up
  to ``now`` (pickups, deadlines, couriers and feed stalls of recent parcels move without a
  cheap marker; older parcels are settled), plus every day from ``since`` when it is given.

Readers call :func:`ensure_fresh`, which compares the watermarks with the source tables (five
index lookups) and refreshes in the reader's transaction when they moved, so a figure never
lags a ledger entry. On PostgreSQL refreshes are serialised by an advisory transaction lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    AnalyticsState,
    Deadline,
    LedgerEntry,
    LossDaily,
    PickupDaily,
    PickupLatency,
    Shipment,
    Violation,
)
from lanshou.services.analytics.period import Period, local_day
from lanshou.services.orders import Scope

STATE = "loss"
RECENT_DAYS = 7
LOCK_KEY = 0x4C53_4147  # "LSAG"


Tokens = tuple[int, int, int, int, datetime | None]


def _tokens(session: Session) -> Tokens:
    """(ledger, shipment, deadline, violation) max ids and the latest violation update."""
    ledger_id, shipment_id, deadline_id, violation_id, updated = session.execute(
        select(select(func.max(LedgerEntry.id)).scalar_subquery(),
               select(func.max(Shipment.id)).scalar_subquery(),
               select(func.max(Deadline.id)).scalar_subquery(),
               select(func.max(Violation.id)).scalar_subquery(),
               select(func.max(Violation.updated_at)).scalar_subquery())).one()
    return (int(ledger_id or 0), int(shipment_id or 0), int(deadline_id or 0),
            int(violation_id or 0), updated)


def _stored(state: AnalyticsState) -> Tokens:
    return (state.ledger_id, state.shipment_id, state.deadline_id, state.violation_id,
            state.violation_updated_at)


def is_fresh(session: Session) -> bool:
    state = session.get(AnalyticsState, STATE)
    if state is None:
        return False
    return _tokens(session) == _stored(state)


def ensure_fresh(session: Session) -> None:
    """Refresh (in this transaction) if the ledger or violations moved since the last one."""
    if not is_fresh(session):
        refresh_aggregates(session, None)


def _ranges(days: Iterable[date]) -> list[Period]:
    """Contiguous runs of days as periods."""
    out: list[Period] = []
    for d in sorted(set(days)):
        if out and out[-1].last + timedelta(days=1) == d:
            out[-1] = Period(out[-1].first, d)
        else:
            out.append(Period(d, d))
    return out


def _all_days(first: datetime | None, last: datetime | None) -> set[date]:
    if first is None or last is None:
        return set()
    a, b = local_day(first), local_day(last)
    return {a + timedelta(days=i) for i in range((b - a).days + 1)}


def refresh_aggregates(session: Session, now: datetime | None,
                       since: datetime | None = None) -> tuple[int, int]:
    """Rebuild the days touched since the last refresh; returns (loss days, pickup days)."""
    from lanshou.services.analytics.losses import raw_loss_cells
    from lanshou.services.analytics.scorecards import raw_pickup_cells

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    session.flush()
    state = session.get(AnalyticsState, STATE, populate_existing=True)
    tokens = _tokens(session)
    loss_days: set[date] = set()
    pickup_days: set[date] = set()
    if state is None:
        loss_days = _all_days(*session.execute(
            select(func.min(Violation.deadline), func.max(Violation.deadline))).one())
        pickup_days = _all_days(*session.execute(
            select(func.min(Shipment.shipped_at), func.max(Shipment.shipped_at))).one())
    else:
        changed = [Violation.id > state.violation_id,
                   Violation.id.in_(select(LedgerEntry.violation_id)
                                    .where(LedgerEntry.id > state.ledger_id))]
        if state.violation_updated_at is not None:
            changed.append(Violation.updated_at > state.violation_updated_at)
        else:
            changed.append(Violation.updated_at.is_not(None))
        for deadline, shipped in session.execute(
                select(Violation.deadline, Shipment.shipped_at)
                .join(Shipment, Shipment.id == Violation.shipment_id)
                .where(or_(*changed))):
            loss_days.add(local_day(deadline))
            if shipped is not None:
                pickup_days.add(local_day(shipped))
        new_shipments = or_(Shipment.id > state.shipment_id, Shipment.id.in_(
            select(Deadline.shipment_id).where(Deadline.id > state.deadline_id)))
        for (shipped,) in session.execute(
                select(Shipment.shipped_at).where(new_shipments, Shipment.shipped_at.is_not(None))
                .distinct()):
            if shipped is not None:
                pickup_days.add(local_day(shipped))
        if now is not None:
            today = local_day(now)
            recent = {today - timedelta(days=i) for i in range(RECENT_DAYS + 1)}
            loss_days |= recent
            pickup_days |= recent
        if since is not None:
            pickup_days |= _all_days(since, now or since)
            loss_days |= _all_days(since, now or since)
    everyone = Scope(None)
    for period in _ranges(loss_days):
        session.execute(delete(LossDaily).where(LossDaily.day >= period.first,
                                                LossDaily.day <= period.last))
        rows = [dict(day=c.day, shop_id=c.shop_id, platform_id=c.platform_id,
                     rule_id=c.rule_id, carrier_id=c.carrier_id, outlet_id=c.outlet_id,
                     kind=c.kind, charged_fen=c.charged_fen, recovered_fen=c.recovered_fen)
                for c in raw_loss_cells(session, everyone, period)]
        if rows:
            session.execute(insert(LossDaily), rows)
    for period in _ranges(pickup_days):
        session.execute(delete(PickupDaily).where(PickupDaily.day >= period.first,
                                                  PickupDaily.day <= period.last))
        session.execute(delete(PickupLatency).where(PickupLatency.day >= period.first,
                                                    PickupLatency.day <= period.last))
        daily, latency = raw_pickup_cells(session, everyone, period)
        if daily:
            session.execute(insert(PickupDaily), daily)
        if latency:
            session.execute(insert(PickupLatency), latency)
    stamp = now or datetime.now().astimezone()
    if state is None:
        state = AnalyticsState(name=STATE)
        session.add(state)
    (state.ledger_id, state.shipment_id, state.deadline_id, state.violation_id,
     state.violation_updated_at) = tokens
    state.refreshed_at = stamp
    session.flush()
    return len(loss_days), len(pickup_days)
