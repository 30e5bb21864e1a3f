"""Record tracking events and re-judge their shipments at once (the event-driven path).

Repeated pushes collapse on a content hash; events for waybills we do not know yet are kept
with no shipment and attached when the shipment appears (:func:`attach_orphan_events`). The
shipment's status is derived from all its events by event time, so a late or out-of-order push
never moves it backwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import among, insert_new, read, update_many
from lanshou.adapters.db.models import Deadline, Shipment, TrackingEvent
from lanshou.domain.rules.calendar import to_us
from lanshou.domain.rules.evaluate import is_late
from lanshou.domain.rules.profile import SatisfiedBy
from lanshou.domain.tracking import PICKUP_PROVING, STATUS_RANK, TrackingUpdate, latest_status
from lanshou.domain.violations import DeadlineState
from lanshou.enforcement.evaluation import EvaluationResult, evaluate_shipments, update_deadlines
from lanshou.enforcement.rules_context import RulesContext

CHUNK = 5000  # keeps IN (...) lists within every driver's parameter limit


@dataclass
class RecordResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    unmatched: int = 0
    shipments: int = 0
    evaluation: EvaluationResult | None = None
    # The dedup keys of the events stored by this call, and of those among them stored without
    # a shipment (the inbox credits each to the receipt that delivered it).
    stored_keys: set[str] = field(default_factory=set, repr=False)
    unmatched_keys: set[str] = field(default_factory=set, repr=False)


def _chunks(seq: Sequence[str], n: int = CHUNK) -> list[Sequence[str]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


_Folded = tuple[str, datetime | None, datetime | None]  # status, picked_up_at, last_event_at


def _shipments_by_waybill(
    session: Session, waybills: list[str]
) -> tuple[dict[str, int], dict[int, _Folded]]:
    """Each waybill's shipment, and what those shipments hold of their events so far."""
    out: dict[str, int] = {}
    folded: dict[int, _Folded] = {}
    conn = session.connection()
    q = select(
        Shipment.waybill_no,
        Shipment.id,
        Shipment.status,
        Shipment.picked_up_at,
        Shipment.last_event_at,
    )
    for part in _chunks(waybills):
        for waybill, sid, status, picked_up_at, last_event_at in read(
            session, q.where(among(conn, Shipment.waybill_no, part))
        ):
            if waybill is not None:
                out[waybill] = sid
                folded[sid] = (status, picked_up_at, last_event_at)
    return out, folded


def record_events(
    session: Session,
    updates: Sequence[TrackingUpdate],
    now: datetime,
    ctx: RulesContext,
    *,
    evaluate: bool = True,
) -> RecordResult:
    """Store new events (deduplicated), refresh their shipments, evaluate them.

    ``evaluate=False`` only for a caller that evaluates the shipments itself before it commits:
    the next call's triage takes stored deadlines to agree with the stored first pickup.
    """
    result = RecordResult(received=len(updates))
    fresh = _distinct(updates)
    if not fresh:
        return result
    by_waybill, folded = _shipments_by_waybill(
        session, sorted({u.waybill_no for u in fresh.values()})
    )
    rows = _event_rows(fresh, by_waybill, now)
    stored_keys = _insert_new(session, rows)
    new = [r for r in rows if r["dedup_key"] in stored_keys]
    result.duplicates = len(updates) - len(new)
    if not new:
        return result
    result.stored = len(new)
    result.stored_keys = stored_keys
    result.unmatched_keys = {r["dedup_key"] for r in new if r["shipment_id"] is None}
    result.unmatched = len(result.unmatched_keys)
    by_shipment = _by_shipment(new)
    touched: list[int] = sorted(by_shipment)
    firsts, pickups = _refresh_with(session, by_shipment, folded)
    result.shipments = len(touched)
    if evaluate and touched:
        result.evaluation = _judge_touched(session, touched, firsts, pickups, folded, now, ctx)
    return result


def _distinct(updates: Sequence[TrackingUpdate]) -> dict[str, TrackingUpdate]:
    """The updates by content hash, the first of each (feeds repeat themselves)."""
    fresh: dict[str, TrackingUpdate] = {}
    for u in updates:
        fresh.setdefault(u.dedup_key, u)
    return fresh


def _event_rows(
    fresh: Mapping[str, TrackingUpdate], by_waybill: Mapping[str, int], now: datetime
) -> list[dict[str, Any]]:
    """The ``tracking_events`` rows of the updates, with their shipment where it is known."""
    return [
        {
            "shipment_id": by_waybill.get(u.waybill_no),
            "carrier_code": u.carrier_code,
            "waybill_no": u.waybill_no,
            "status": u.status,
            "event_time": u.event_time.astimezone(UTC),  # as stored, once
            "received_at": now,
            "location": u.location,
            "description": u.description,
            "source": u.source,
            "dedup_key": key,
            "raw": u.raw,
        }
        for key, u in fresh.items()
    ]


def _by_shipment(rows: list[dict[str, Any]]) -> dict[int, list[tuple[datetime, str]]]:
    """The (time, status) of the stored event rows, per shipment (unmatched ones left out)."""
    out: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for r in rows:
        if r["shipment_id"] is not None:
            # In UTC, as they read back from the database (audit data prints them).
            out[r["shipment_id"]].append((r["event_time"], r["status"]))
    return out


def _judge_touched(
    session: Session,
    touched: list[int],
    firsts: dict[int, dict[str, datetime]],
    pickups: dict[int, datetime | None],
    stored_before: Mapping[int, _Folded],
    now: datetime,
    ctx: RulesContext,
) -> EvaluationResult:
    """Triage the touched shipments, then evaluate those due in full and settle the pickups
    met in time."""
    triage = _triage(session, touched, firsts, pickups, stored_before, now, ctx)
    evaluation = (
        evaluate_shipments(
            session, triage.due, now, ctx, first_times=firsts, first_times_partial=True
        )
        if triage.due
        else EvaluationResult()
    )
    if triage.settled:
        update_deadlines(session, triage.settled)
    # Settled and unchanged shipments were judged too, without the rules engine.
    evaluation.shipments += triage.settled_shipments + triage.unchanged
    return evaluation


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose dedup key is not stored yet; return the keys actually inserted."""
    return insert_new(session.connection(), cast(Table, TrackingEvent.__table__), rows, "dedup_key")


@dataclass
class _Triage:
    """What the new events ask of each touched shipment."""

    due: list[int]  # re-judge in full
    settled: list[dict[str, Any]]  # pending pickup deadlines now met in time: these updates
    settled_shipments: int = 0
    unchanged: int = 0  # judged exactly as stored


def _triage(
    session: Session,
    shipment_ids: list[int],
    firsts: dict[int, dict[str, datetime]],
    pickups: dict[int, datetime | None],
    stored_before: Mapping[int, _Folded],
    now: datetime,
    ctx: RulesContext,
) -> _Triage:
    """Sort the touched shipments by what their new events can change.

    Events feed the rules only the first pickup (a pickup-satisfied deadline's `satisfied_at`);
    everything else a rule reads comes from the order and the shipment, whose own changes are
    evaluated where they happen, and stored deadlines are recomputed whenever the calendar or
    an exemption changes. So, deadline by deadline:
    - a pending pickup deadline whose first pickup arrived at or before it is met, on time —
      exactly what evaluation would store (no violation, no money, no warning, nothing left to
      check), written without it: this is most pickups;
    - any other stored deadline that agrees with the first pickup as it is now, and is not due
      for a look (`next_check_at` <= now: a warning, the deadline itself, an auto refund), is
      judged as stored;
    - anything else (a late pickup, a moved one, a settled deadline, a look due): the whole
      shipment is evaluated in full.
    A shipment with no deadline rows yet is always evaluated (that is how they are first made).

    Most events change no first pickup (a transit scan after the pickup): such a shipment's
    deadlines already agree with it, so only whether it has deadlines, and whether one of them
    is due for a look, are read — one aggregate row per shipment instead of every deadline.
    """
    out = _Triage([], [])
    moved = [
        sid
        for sid in shipment_ids
        if sid not in stored_before or pickups.get(sid) != stored_before[sid][1]
    ]
    if len(moved) < len(shipment_ids):
        unmoved = set(shipment_ids).difference(moved)
        moved.extend(_unchanged_pickup(session, sorted(unmoved), now, ctx, out))
        moved.sort()
    _triage_rows(session, moved, firsts, pickups, now, ctx, out)
    out.due.sort()
    return out


def _unchanged_pickup(
    session: Session, shipment_ids: list[int], now: datetime, ctx: RulesContext, out: _Triage
) -> list[int]:
    """Triage shipments whose first pickup the new events left as it was; return those that
    need their deadlines read one by one (a profile whose pickup is not the stored one)."""
    q = select(
        Deadline.shipment_id,
        func.min(Deadline.next_check_at),
        func.min(Deadline.profile),
        func.max(Deadline.profile),
    ).group_by(Deadline.shipment_id)
    conn = session.connection()
    seen: dict[int, tuple[datetime | None, str, str]] = {}
    for i in range(0, len(shipment_ids), CHUNK):
        part = shipment_ids[i : i + CHUNK]
        for sid, next_check, first_profile, last_profile in read(
            session, q.where(among(conn, Deadline.shipment_id, part))
        ):
            seen[sid] = (next_check, first_profile, last_profile)
    exact: dict[str, bool] = {}
    unusual = []
    for sid in shipment_ids:
        found = seen.get(sid)
        if found is None:
            out.due.append(sid)  # no deadlines yet: evaluation makes them
            continue
        next_check, *profiles = found
        if not all(_pickup_is_stored(ctx, name, exact) for name in profiles):
            unusual.append(sid)
        elif next_check is not None and next_check <= now:
            out.due.append(sid)
        else:
            out.unchanged += 1
    return unusual


def _pickup_is_stored(ctx: RulesContext, profile_name: str, cache: dict[str, bool]) -> bool:
    """Whether the profile's pickup is the shipment's stored first pickup (its statuses are
    exactly the pickup-proving ones)."""
    known = cache.get(profile_name)
    if known is None:
        known = cache[profile_name] = (
            frozenset(ctx.profile(profile_name).pickup_statuses) == PICKUP_PROVING
        )
    return known


def _triage_rows(
    session: Session,
    shipment_ids: list[int],
    firsts: dict[int, dict[str, datetime]],
    pickups: dict[int, datetime | None],
    now: datetime,
    ctx: RulesContext,
    out: _Triage,
) -> None:
    """Triage shipments by each of their deadline rows (see :func:`_triage`)."""
    rows = _deadline_rows(session, shipment_ids)
    specs: dict[str, _PickupSpec] = {}
    now_us = to_us(now)
    for sid in shipment_ids:
        stored = rows.get(sid)
        settles = (
            _settle_in_time(stored, firsts.get(sid, {}), pickups.get(sid), now, now_us, ctx, specs)
            if stored
            else None  # no deadlines yet: evaluation makes them
        )
        if settles is None:
            out.due.append(sid)
        elif settles:
            out.settled.extend(settles)
            out.settled_shipments += 1
        else:
            out.unchanged += 1


def _deadline_rows(session: Session, shipment_ids: list[int]) -> dict[int, list[Any]]:
    """The stored deadline rows of each shipment, as plain tuples."""
    rows: dict[int, list[Any]] = defaultdict(list)
    q = select(
        Deadline.id,
        Deadline.shipment_id,
        Deadline.profile,
        Deadline.rule_id,
        Deadline.due_at,
        Deadline.satisfied_at,
        Deadline.state,
        Deadline.next_check_at,
    )
    conn = session.connection()
    for i in range(0, len(shipment_ids), CHUNK):
        part = shipment_ids[i : i + CHUNK]
        for row in read(session, q.where(among(conn, Deadline.shipment_id, part))):
            rows[row[1]].append(tuple(row))  # plain tuples: this loop runs per touched shipment
    return rows


_PickupSpec = tuple[frozenset[str], frozenset[str]]  # pickup statuses, pickup-satisfied rules


def _pickup_spec(
    ctx: RulesContext, profile_name: str, cache: dict[str, _PickupSpec]
) -> _PickupSpec:
    """The profile's pickup statuses and the ids of its rules a pickup satisfies (cached)."""
    profile = ctx.profile(profile_name)
    spec = cache[profile_name] = (
        frozenset(profile.pickup_statuses),
        frozenset(r.id for r in profile.rules if r.satisfied_by != SatisfiedBy.SHIPPED_AT),
    )
    return spec


def _settle_in_time(
    stored: list[Any],
    first: dict[str, datetime],
    recorded: datetime | None,
    now: datetime,
    now_us: int,
    ctx: RulesContext,
    specs: dict[str, _PickupSpec],
) -> list[dict[str, Any]] | None:
    """One shipment's deadline rows against its first pickup: the updates that settle its
    pending pickup deadlines met in time ([] if every row stands as stored), or None when the
    shipment must be evaluated in full."""
    settles: list[dict[str, Any]] = []
    for dl_id, _, profile_name, rule_id, due_at, satisfied_at, state, next_check in stored:
        statuses, pickup_rules = specs.get(profile_name) or _pickup_spec(ctx, profile_name, specs)
        if rule_id in pickup_rules:
            if not statuses <= PICKUP_PROVING:
                return None  # `first` holds the new events only: let evaluation read them all
            pickup = recorded
            for status, at in first.items():
                if status in statuses and (pickup is None or at < pickup):
                    pickup = at
            if satisfied_at != pickup:
                if (
                    pickup is None
                    or state != DeadlineState.PENDING
                    or satisfied_at is not None
                    or is_late(to_us(pickup), to_us(due_at), now_us)
                ):
                    return None
                # Met in time: whatever its check was for (a warning, the deadline itself) is
                # moot now, as evaluation would find.
                settles.append(
                    {
                        "id": dl_id,
                        "satisfied_at": pickup,
                        "state": DeadlineState.MET.value,
                        "next_check_at": None,
                        "evaluated_at": now,
                    }
                )
                continue
        if next_check is not None and next_check <= now:
            return None
    return settles


def refresh_shipments(session: Session, shipment_ids: Sequence[int]) -> None:
    """Derive status, first pickup and last event time from all of each shipment's events."""
    _refresh(session, shipment_ids)


def _refresh(
    session: Session, shipment_ids: Sequence[int]
) -> tuple[dict[int, dict[str, datetime]], dict[int, datetime | None]]:
    """:func:`refresh_shipments`; return each shipment's first time per status and pickup."""
    events: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    conn = session.connection()
    for i in range(0, len(shipment_ids), CHUNK):
        part = shipment_ids[i : i + CHUNK]
        q = select(TrackingEvent.shipment_id, TrackingEvent.event_time, TrackingEvent.status)
        for sid, at, status in read(session, q.where(among(conn, TrackingEvent.shipment_id, part))):
            if sid is not None:
                events[sid].append((at, status))
    params = []
    firsts: dict[int, dict[str, datetime]] = {}
    picked: dict[int, datetime | None] = {}
    for sid, evs in events.items():
        first: dict[str, datetime] = {}
        for at, status in evs:
            seen = first.get(status)
            if seen is None or at < seen:
                first[status] = at
        pickup_times = [at for status, at in first.items() if status in PICKUP_PROVING]
        picked[sid] = picked_up_at = min(pickup_times) if pickup_times else None
        firsts[sid] = first
        params.append(
            {
                "id": sid,
                "status": latest_status(evs),
                "picked_up_at": picked_up_at,
                "last_event_at": max(at for at, _ in evs),
            }
        )
    update_many(session.connection(), cast(Table, Shipment.__table__), params)
    return firsts, picked


def _refresh_with(
    session: Session,
    new_events: Mapping[int, list[tuple[datetime, str]]],
    stored: Mapping[int, _Folded],
) -> tuple[dict[int, dict[str, datetime]], dict[int, datetime | None]]:
    """Fold just-stored events into their shipments' status, first pickup and last event time.

    The same result as :func:`_refresh` without re-reading old events: the stored row already
    holds what they gave (the latest status by (time, rank), the earliest pickup-proving time,
    the latest event time). Returns the first time per status *of the new events only* (see
    ``first_times_partial`` of :func:`evaluate_shipments`) and each shipment's first pickup.
    ``stored``: the shipments' status, first pickup and last event time as read just before
    (with their ids, by waybill, in the same transaction).
    """
    table = cast(Table, Shipment.__table__)
    conn = session.connection()
    params = []
    firsts: dict[int, dict[str, datetime]] = {}
    picked: dict[int, datetime | None] = {}
    for sid, evs in new_events.items():
        if sid not in stored:
            continue
        old_status, old_pickup, old_last = stored[sid]
        first: dict[str, datetime] = {}
        for at, status in evs:
            seen = first.get(status)
            if seen is None or at < seen:
                first[status] = at
        pickup = old_pickup
        for status, at in first.items():
            if status in PICKUP_PROVING and (pickup is None or at < pickup):
                pickup = at
        latest = max(evs, key=lambda e: (e[0], STATUS_RANK[e[1]]))
        if old_last is not None and (old_last, STATUS_RANK.get(old_status, -1)) >= (
            latest[0],
            STATUS_RANK[latest[1]],
        ):
            status, last = old_status, old_last
        else:
            status, last = latest[1], latest[0]
        firsts[sid] = first
        picked[sid] = pickup
        if (status, pickup, last) != (old_status, old_pickup, old_last):
            params.append(
                {"id": sid, "status": status, "picked_up_at": pickup, "last_event_at": last}
            )
    update_many(conn, table, params)
    return firsts, picked


def attach_orphan_events(session: Session, shipment_id: int, waybill_no: str) -> int:
    """Give a newly marked shipment the events that arrived before it did."""
    result = session.execute(
        update(TrackingEvent)
        .where(TrackingEvent.waybill_no == waybill_no, TrackingEvent.shipment_id.is_(None))
        .values(shipment_id=shipment_id)
        .execution_options(synchronize_session=False)
    )
    moved = int(getattr(result, "rowcount", 0) or 0)
    if moved:
        refresh_shipments(session, [shipment_id])
    return moved
