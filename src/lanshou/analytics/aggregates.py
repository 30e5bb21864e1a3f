"""Keep the pre-aggregated analytics tables in step with the ledger, violations and shipments.

``refresh_aggregates`` recomputes whole Beijing days, never patches a cell by arithmetic: for
every day it touches it recomputes the day's rows from the raw tables
(:func:`~lanshou.analytics.loss_cells.raw_loss_cells`,
:func:`~lanshou.analytics.pickup_cells.raw_pickup_cells`) and makes the stored rows
equal to them, writing only the rows that differ, so an aggregate row is always exactly what a
recomputation gives.

Two parts with their own watermark rows in ``analytics_state``:

* ``loss`` (``analytics_loss_daily``, ``analytics_violation_daily``) — the deadline days of
  violations that got a ledger entry (``ledger_entries.id`` above the watermark), were created
  (``violations.id``) or changed state (``updated_at``) since the last refresh;
* ``pickup`` (``analytics_pickup_daily``, ``analytics_pickup_latency`` and the windows) — the
  shipped days of those violations' shipments, of new shipments, of shipments that got a new
  deadline and of shipments that got a new tracking event (``tracking_events.id`` above the
  watermark: a pickup scan that arrives late, whatever its event time).

Which deadlines and violations are pickup ones is profile data
(:mod:`lanshou.analytics.pickup_rules`), so a refresh takes the rules.

Every refresh is stamped with its caller's ``now`` (``analytics_state.refreshed_at``: time is a
parameter, a reader's refresh says the request's time). The worker's refresh (after each
sweep) also rebuilds the ``RECENT_DAYS`` up to
``now`` (courier assignments and feed stalls of recent parcels move without a marker) and,
unless told not to (``snapshots=False``), stores the 损失与风险 board's exposure and the at-risk
board's breach probabilities and ranking as of ``now`` (:mod:`lanshou.analytics.exposure`).
``since`` adds every day from ``since``.

``analytics_pickup_window`` holds the latency histograms of the periods the dashboards offer
(``WINDOWS``: the last 7, 30 and 90 local days ending ``window_day``) per shop and per level, so
a board reads a few thousand rows instead of the period's daily histograms. A refresh keeps them
equal to the sum of the daily histograms of their days: it adds the difference between the new
and the old daily rows of the days it rebuilt, and rebuilds them whole when ``now`` moved to
another local day.

Readers: money readers call :func:`ensure_fresh`, which compares the loss watermarks with the
source tables (three index lookups) and refreshes the changed loss days in the reader's
transaction, so a money figure does not lag a ledger entry (an appeal approved, a violation
booked) — within bounds: if another transaction is refreshing the losses right now, the reader
does not wait for it, and if more than ``READER_MAX_DAYS`` days changed (tracking scans change
violations of deadlines scattered over the months; recomputing them took seconds in a request
at a million orders) it leaves them to the worker's next refresh, at most one sweep interval
away. Either way it reads the stored rows and :func:`ensure_fresh` says as of when (the 损失与风险
page shows it). Pickup readers call
:func:`ensure_pickups`, which builds the pickup aggregates only if they were never built: pickup
counts, latencies and timeout rates are as of the last refresh by the worker (or
``lanshou sweep``), at most one sweep interval old, so a page never pays for recomputing a day
of shipments. Refreshes of each part are serialised by an advisory transaction lock of its
own (``LockKey.ANALYTICS_REFRESH`` for the losses, ``LockKey.ANALYTICS_PICKUPS`` for the
pickups). The worker refreshes the pickups first (seconds at a million orders) and the losses
last, so its transaction holds the loss lock only for the short end of the refresh.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from lanshou.adapters.db.dialect import (
    LockKey,
    advisory_xact_lock,
    try_advisory_xact_lock,
    upsert,
)
from lanshou.adapters.db.models import (
    AnalyticsState,
    Deadline,
    LedgerEntry,
    LossDaily,
    PickupDaily,
    PickupLatency,
    PickupPercentile,
    PickupWindow,
    Shipment,
    TrackingEvent,
    Violation,
    ViolationDaily,
)
from lanshou.analytics.exposure import compute_snapshots, store_snapshots
from lanshou.analytics.latency import percentile_select, window_histogram
from lanshou.analytics.loss_cells import Periods, raw_loss_cells, raw_violation_cells, within
from lanshou.analytics.period import Period, local_day
from lanshou.analytics.pickup_cells import PICKUP_KEY, PICKUP_VALUES, raw_pickup_cells
from lanshou.analytics.pickup_rules import PickupRules, pickup_rule_keys
from lanshou.enforcement import RulesContext
from lanshou.identity import Scope

STATE = "loss"
PICKUP_STATE = "pickup"
PARTS = (STATE, PICKUP_STATE)
RECENT_DAYS = 7
READER_MAX_DAYS = 3  # changed loss days a reader recomputes itself (see the module docstring)
WINDOWS = (7, 30, 90)
LEVEL_COLUMNS = {"carrier": "carrier_id", "outlet": "outlet_id", "courier": "courier_id"}
NO_ENTITY = 0  # analytics_pickup_window.entity_id of "no carrier / outlet / courier"
CHUNK = 5000

LOSS_KEY = ("day", "shop_id", "platform_id", "rule_id", "carrier_id", "outlet_id", "kind")
LOSS_VALUES = ("charged_fen", "recovered_fen")
LATENCY_KEY = (*PICKUP_KEY, "bucket")
LATENCY_VALUES = ("n",)

Tokens = tuple[int, int, int, int, datetime | None]


def _tokens(session: Session) -> Tokens:
    """(ledger, shipment, deadline, violation) max ids and the latest violation update."""
    ledger_id, shipment_id, deadline_id, violation_id, updated = session.execute(
        select(
            select(func.max(LedgerEntry.id)).scalar_subquery(),
            select(func.max(Shipment.id)).scalar_subquery(),
            select(func.max(Deadline.id)).scalar_subquery(),
            select(func.max(Violation.id)).scalar_subquery(),
            select(func.max(Violation.updated_at)).scalar_subquery(),
        )
    ).one()
    return (
        int(ledger_id or 0),
        int(shipment_id or 0),
        int(deadline_id or 0),
        int(violation_id or 0),
        updated,
    )


def _loss_tokens(session: Session) -> tuple[int, int, datetime | None]:
    ledger_id, violation_id, updated = session.execute(
        select(
            select(func.max(LedgerEntry.id)).scalar_subquery(),
            select(func.max(Violation.id)).scalar_subquery(),
            select(func.max(Violation.updated_at)).scalar_subquery(),
        )
    ).one()
    return int(ledger_id or 0), int(violation_id or 0), updated


def _event_token(session: Session) -> int:
    return int(session.execute(select(func.max(TrackingEvent.id))).scalar() or 0)


def _stored(state: AnalyticsState) -> Tokens:
    return (
        state.ledger_id,
        state.shipment_id,
        state.deadline_id,
        state.violation_id,
        state.violation_updated_at,
    )


def is_fresh(session: Session, part: str | None = None) -> bool:
    """Whether the aggregates (one part, or both) reflect everything in the source tables."""
    for name in (part,) if part else PARTS:
        state = session.get(AnalyticsState, name)
        if state is None:
            return False
        if name == STATE:
            if _loss_tokens(session) != (
                state.ledger_id,
                state.violation_id,
                state.violation_updated_at,
            ):
                return False
        elif _tokens(session) != _stored(state) or state.event_id != _event_token(session):
            return False
    return True


def ensure_fresh(session: Session, now: datetime) -> datetime | None:
    """Money readers' hook (see the module docstring): refreshes the changed loss days in this
    transaction, stamped with the reader's ``now``, and returns None (the stored rows are
    current), or — if another transaction holds the loss refresh lock, or more than
    ``READER_MAX_DAYS`` days changed — leaves them to the worker and returns the time of the
    stored rows (the last refresh). Only aggregates never built are waited for."""
    if is_fresh(session, STATE):
        return None
    state = session.get(AnalyticsState, STATE)
    if not try_advisory_xact_lock(session, LockKey.ANALYTICS_REFRESH):
        if state is not None:
            return state.refreshed_at
        _lock(session)  # nothing stored to serve: wait for the first build
    session.flush()
    refreshed = _refresh_losses(
        session, now, None, _tokens(session), recent=False, max_days=READER_MAX_DAYS
    )
    if refreshed is None:
        assert state is not None  # a first build has no bound
        return state.refreshed_at
    return None


def ensure_pickups(session: Session, ctx: RulesContext, now: datetime) -> None:
    """Pickup readers' hook (see the module docstring): builds the pickup aggregates if they were
    never built, stamped with the reader's ``now`` (which deadlines are pickup ones comes from
    the rules, ``ctx``). The windows are left to the worker, as before."""
    if session.get(AnalyticsState, PICKUP_STATE) is None:
        _lock(session, LockKey.ANALYTICS_PICKUPS)
        _refresh_pickups(
            session, now, None, _tokens(session), pickup_rule_keys(session, ctx), recent=False
        )


def _lock(session: Session, key: LockKey = LockKey.ANALYTICS_REFRESH) -> None:
    advisory_xact_lock(session, key)
    session.flush()


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


def _extra_days(now: datetime, since: datetime | None, *, recent: bool) -> set[date]:
    """The ``RECENT_DAYS`` up to ``now`` (a worker's refresh, ``recent``) and the days from
    ``since``."""
    days: set[date] = set()
    if recent:
        today = local_day(now)
        days |= {today - timedelta(days=i) for i in range(RECENT_DAYS + 1)}
    if since is not None:
        days |= _all_days(since, now)
    return days


def _changed_violations(state: AnalyticsState) -> Any:
    changed = [
        Violation.id > state.violation_id,
        Violation.id.in_(select(LedgerEntry.violation_id).where(LedgerEntry.id > state.ledger_id)),
    ]
    if state.violation_updated_at is not None:
        changed.append(Violation.updated_at > state.violation_updated_at)
    else:
        changed.append(Violation.updated_at.is_not(None))
    return or_(*changed)


def _save(
    session: Session, state: AnalyticsState | None, name: str, tokens: Tokens, stamp: datetime
) -> AnalyticsState:
    if state is None:
        state = AnalyticsState(name=name)
        session.add(state)
    (
        state.ledger_id,
        state.shipment_id,
        state.deadline_id,
        state.violation_id,
        state.violation_updated_at,
    ) = tokens
    state.refreshed_at = stamp
    return state


def refresh_aggregates(
    session: Session,
    now: datetime,
    since: datetime | None = None,
    *,
    ctx: RulesContext,
    snapshots: bool = True,
) -> tuple[int, int]:
    """Rebuild the days touched since the last refresh; returns (loss days, pickup days). The
    rules (``ctx``) say which deadlines are pickup ones. With ``now`` and ``snapshots`` it also
    stores the exposure and the at-risk ranking as of ``now``
    (:mod:`lanshou.analytics.exposure`), computed before taking the lock: fitting the hour's
    breach models takes long. The pickups go first under their own lock, the losses last: the
    loss lock, which money readers try, is held only from there to the end of the transaction
    (readers that find it taken serve the stored rows, see :func:`ensure_fresh`)."""
    stored = compute_snapshots(session, now, ctx) if snapshots else None
    _lock(session, LockKey.ANALYTICS_PICKUPS)
    pickup_days = _refresh_pickups(
        session, now, since, _tokens(session), pickup_rule_keys(session, ctx)
    )
    _lock(session, LockKey.ANALYTICS_REFRESH)
    loss_days = _refresh_losses(session, now, since, _tokens(session))
    assert loss_days is not None  # no bound on the days
    days = (loss_days, pickup_days)
    if stored is not None:
        store_snapshots(session, stored)
        session.flush()
    return days


def _refresh_losses(
    session: Session,
    now: datetime,
    since: datetime | None,
    tokens: Tokens,
    *,
    recent: bool = True,
    max_days: int | None = None,
) -> int | None:
    """Rebuild the changed loss days (and with ``recent`` the ``RECENT_DAYS`` up to ``now``),
    stamped ``now``; returns how many, or None (nothing written) if there were more than
    ``max_days`` and the aggregates had been built before."""
    state = session.get(AnalyticsState, STATE, populate_existing=True)
    if state is None:
        days = _all_days(
            *session.execute(
                select(func.min(Violation.deadline), func.max(Violation.deadline))
            ).one()
        )
    else:
        days = {
            local_day(d)
            for (d,) in session.execute(
                select(Violation.deadline).where(_changed_violations(state)).distinct()
            )
        }
    days |= _extra_days(now, since, recent=recent)
    if state is not None and max_days is not None and len(days) > max_days:
        return None
    # All the changed days in one query per table, not one per run of days: readers refresh,
    # and the days tracking scans change are scattered over the months.
    runs = _ranges(days)
    if runs:
        rows = [
            {k: getattr(c, k) for k in LOSS_KEY + LOSS_VALUES}
            for c in raw_loss_cells(session, Scope(None), runs)
        ]
        _sync(session, LossDaily, LOSS_KEY, LOSS_VALUES, runs, rows)
        _sync(
            session,
            ViolationDaily,
            ("day", "shop_id", "rule_id"),
            ("n",),
            runs,
            raw_violation_cells(session, runs),
        )
    _save(session, state, STATE, tokens, now)
    session.flush()
    return len(days)


def _refresh_pickups(
    session: Session,
    now: datetime,
    since: datetime | None,
    tokens: Tokens,
    pickup_rules: PickupRules,
    *,
    recent: bool = True,
) -> int:
    """Rebuild the changed pickup days, stamped ``now``; with ``recent`` (a worker's refresh)
    also the ``RECENT_DAYS`` up to ``now`` and the windows when ``now`` moved to another day."""
    state = session.get(AnalyticsState, PICKUP_STATE, populate_existing=True)
    event_id = _event_token(session)
    if state is None:
        days = _all_days(
            *session.execute(
                select(func.min(Shipment.shipped_at), func.max(Shipment.shipped_at))
            ).one()
        )
    else:
        # The changed shipments' ids as one UNION ALL, not an OR of IN (subquery) terms: with
        # the OR, PostgreSQL cannot plan a semi-join, and a subquery too big to hash in
        # work_mem (every deadline, after a full evaluation of a million shipments) is
        # rescanned for each shipment — hours. One IN (union) is a single hash semi-join.
        changed: list[Select[int | None]] = [
            select(Violation.shipment_id).where(_changed_violations(state)),
            select(Shipment.id).where(Shipment.id > state.shipment_id),
            select(Deadline.shipment_id).where(Deadline.id > state.deadline_id),
        ]
        if state.event_id is not None:  # None: first refresh since the event watermark exists
            changed.append(
                select(TrackingEvent.shipment_id).where(TrackingEvent.id > state.event_id)
            )
        days = {
            local_day(d)
            for (d,) in session.execute(
                select(Shipment.shipped_at)
                .where(Shipment.id.in_(union_all(*changed)), Shipment.shipped_at.is_not(None))
                .distinct()
            )
            if d is not None
        }
    days |= _extra_days(now, since, recent=recent)
    window_day = state.window_day if state is not None else None
    today = local_day(now) if recent else window_day
    rebuild = today is not None and (state is None or window_day != today)
    deltas: Counter[tuple[Any, ...]] = Counter()
    for period in _ranges(days):
        daily, latency = raw_pickup_cells(session, Scope(None), period, pickup_rules)
        _sync(session, PickupDaily, PICKUP_KEY, PICKUP_VALUES, period, daily)
        changed_cells = _sync(session, PickupLatency, LATENCY_KEY, LATENCY_VALUES, period, latency)
        if window_day is not None and not rebuild:
            _window_deltas(deltas, window_day, changed_cells)
    _apply_window_deltas(session, deltas)
    if rebuild:
        assert today is not None
        _rebuild_windows(session, today)
        window_day = today
    if rebuild or any(deltas.values()):
        _rebuild_percentiles(session)
    state = _save(session, state, PICKUP_STATE, tokens, now)
    state.event_id, state.window_day = event_id, window_day
    session.flush()
    return len(days)


Changed = list[tuple[tuple[Any, ...], tuple[Any, ...] | None, tuple[Any, ...] | None]]


def _sync(
    session: Session,
    model: Any,
    key: Sequence[str],
    values: Sequence[str],
    period: Periods,
    rows: Iterable[Mapping[str, Any]],
) -> Changed:
    """Make ``model``'s rows of the period's (or periods') days equal ``rows`` (unique by
    ``key``): delete the rows that differ or are gone, insert the ones that differ or are new.
    Returns the changed cells as (key, old values or None, new values or None)."""
    table = model.__table__
    old: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
    cols = [table.c[k] for k in (*key, *values)]
    k = len(key)
    for row in session.execute(
        select(table.c.id, *cols).where(within(table.c.day, period, days=True))
    ):
        old[tuple(row[1 : k + 1])] = (row[0], tuple(row[k + 1 :]))
    new = {tuple(r[c] for c in key): tuple(r[c] for c in values) for r in rows}
    changed: Changed = []
    gone: list[int] = []
    added: list[dict[str, Any]] = []
    for cell, (row_id, was) in old.items():
        now_values = new.get(cell)
        if now_values != was:
            gone.append(row_id)
            changed.append((cell, was, now_values))
    for cell, now_values in new.items():
        if cell not in old:
            changed.append((cell, None, now_values))
        if old.get(cell, (0, None))[1] != now_values:
            added.append(dict(zip((*key, *values), (*cell, *now_values), strict=True)))
    for i in range(0, len(gone), CHUNK):
        session.execute(delete(table).where(table.c.id.in_(gone[i : i + CHUNK])))
    if added:
        session.execute(insert(table), added)
    return changed


def _window_deltas(deltas: Counter[tuple[Any, ...]], window_day: date, changed: Changed) -> None:
    """Add the latency cells' changes to the windows (ending ``window_day``) holding their day:
    key (window days, level, shop, entity or NO_ENTITY, bucket)."""
    for (day, shop, carrier, outlet, courier, bucket), was, now in changed:
        diff = (now[0] if now else 0) - (was[0] if was else 0)
        age = (window_day - day).days
        if not diff or age < 0:
            continue
        for w in WINDOWS:
            if age < w:
                for level, entity in (
                    ("carrier", carrier),
                    ("outlet", outlet),
                    ("courier", courier),
                ):
                    deltas[(w, level, shop, NO_ENTITY if entity is None else entity, bucket)] += (
                        diff
                    )


def _apply_window_deltas(session: Session, deltas: Counter[tuple[Any, ...]]) -> None:
    rows = [
        dict(window_days=w, level=lv, shop_id=shop, entity_id=e, bucket=b, n=d)
        for (w, lv, shop, e, b), d in deltas.items()
        if d
    ]
    if not rows:
        return
    table = cast(Table, PickupWindow.__table__)
    stmt = upsert(
        session,
        table,
        key=list(table.primary_key.columns),
        set_=lambda new: {"n": table.c.n + new.n},  # the deltas add up
    )
    for i in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[i : i + CHUNK])
    session.execute(delete(table).where(table.c.n == 0))


def _rebuild_windows(session: Session, day: date) -> None:
    """Every window ending ``day``, summed from the daily histograms in the database."""
    session.execute(delete(PickupWindow))
    t = PickupLatency
    for w in WINDOWS:
        for level, column in LEVEL_COLUMNS.items():
            entity = func.coalesce(getattr(t, column), NO_ENTITY)
            session.execute(
                insert(PickupWindow).from_select(
                    ["window_days", "level", "shop_id", "entity_id", "bucket", "n"],
                    select(
                        literal(w, Integer),
                        literal(level, String),
                        t.shop_id,
                        entity,
                        t.bucket,
                        func.sum(t.n),
                    )
                    .where(t.day >= day - timedelta(days=w - 1), t.day <= day)
                    .group_by(t.shop_id, entity, t.bucket),
                )
            )


def _rebuild_percentiles(session: Session) -> None:
    """``analytics_pickup_percentile`` from the windows: per shop and over all shops."""
    session.execute(delete(PickupPercentile))
    cols = ["window_days", "level", "shop_id", "province", "entity_id", "p50", "p90", "p99"]
    for w in WINDOWS:
        for level in (*LEVEL_COLUMNS, "province"):
            for per_shop in (True, False):
                h, keys = window_histogram(w, level, per_shop=per_shop)
                p = percentile_select(h, keys).subquery()
                k = [p.c[key.name] for key in keys]
                shop = k.pop(0) if per_shop else literal(0, Integer)
                province = k.pop(0) if level == "province" else literal("", String)
                session.execute(
                    insert(PickupPercentile).from_select(
                        cols,
                        select(
                            literal(w, Integer),
                            literal(level, String),
                            shop,
                            province,
                            k[0],
                            p.c.p50,
                            p.c.p90,
                            p.c.p99,
                        ),
                    )
                )


def window_sums(session: Session, window_days: int, day: date) -> dict[tuple[Any, ...], int]:
    """What the window ending ``day`` should hold, from the daily histograms (for tests)."""
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    t = PickupLatency
    for row in session.execute(
        select(t).where(t.day > day - timedelta(days=window_days), t.day <= day)
    ).scalars():
        for level, column in LEVEL_COLUMNS.items():
            entity = getattr(row, column)
            out[(level, row.shop_id, NO_ENTITY if entity is None else entity, row.bucket)] += row.n
    return dict(out)
