"""Accept, then judge: feeds append tracking records to the inbox, workers fold and judge them.

Accepting is one bulk write of validated, normalised records (with their dedup keys) under a
new receipt, committed before the feed answers: nothing acknowledged is lost, and the feed's
cost is that of an insert. Judging is :func:`drain_batch`: claim the oldest pending records
(``FOR UPDATE SKIP LOCKED``, so workers side by side take disjoint records), lock their
waybills, fold them through :func:`~lanshou.enforcement.tracking.record_events` (the one event
path: dedup, shipment refresh, triage, evaluation), credit the receipts and mark the records
done, all in the caller's transaction. A worker that dies mid-batch rolls back: its records are
pending again for the next claim.

Two workers never fold one shipment at once: records are claimed by row, so two batches can
hold records of the same waybill, but each batch takes an advisory lock per waybill (in
ascending order, so overlapping batches queue instead of deadlocking) before it reads any
shipment, and the second reads what the first committed. On SQLite a batch takes the one write
lock before it claims (:func:`~lanshou.adapters.db.dialect.hold_write_lock`): batches run one
after another, each reading what the previous committed.

A batch that raises (a poison record) would otherwise come back at the head of the inbox on
every claim and hold up everything behind it: :func:`drain_inbox` then folds the same records
one per transaction and sets the one that fails alone aside as a dead letter
(:mod:`~lanshou.enforcement.dead_letters`). Dead letters whose next attempt has come are
folded again, each alone, before the batches: one that fails again waits longer.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, literal, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from lanshou.adapters.db.bulk import among, read, write_rows
from lanshou.adapters.db.dialect import (
    LockKey,
    advisory_xact_locks,
    claim_skip_locked,
    hold_write_lock,
    insert_ignoring_conflicts,
)
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    Deadline,
    InboxRecord,
    ReceiptViolation,
    Shipment,
    TrackingReceipt,
)
from lanshou.domain.tracking import InboxScan, TrackingUpdate, inbox_scan
from lanshou.enforcement.dead_letters import describe_error, due_for_retry, recovered, set_aside
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.tracking import RecordResult, record_events

BATCH = 2000  # records per claim: one transaction of a worker
log = logging.getLogger("lanshou.inbox")


@dataclass(frozen=True)
class Accepted:
    """What a feed answers: the receipt and how many records it holds."""

    receipt_id: int
    accepted: int


def accept_updates(
    session: Session,
    updates: Sequence[TrackingUpdate],
    now: datetime,
    *,
    source: str,
    unknown_carriers: int = 0,
) -> Accepted:
    """Append the records to the inbox under a new receipt (one bulk write; the caller
    commits). Duplicates are kept: the fold stores each scan once whatever delivered it."""
    scans = [
        inbox_scan(
            carrier_code=u.carrier_code,
            waybill_no=u.waybill_no,
            status=u.status,
            event_time=u.event_time,
            source=u.source,
            location=u.location,
            description=u.description,
            raw_json=None if u.raw is None else _encode_raw(u.raw),
        )
        for u in updates
    ]
    return accept_scans(session, scans, now, source=source, unknown_carriers=unknown_carriers)


def accept_scans(
    session: Session,
    scans: Sequence[InboxScan],
    now: datetime,
    *,
    source: str,
    unknown_carriers: int = 0,
) -> Accepted:
    """:func:`accept_updates` for scans already in the inbox's shape
    (:func:`~lanshou.domain.tracking.inbox_scan`): the receipt, then the rows straight from
    the tuples, with the raw records' JSON text as it is (COPY on PostgreSQL)."""
    receipt = TrackingReceipt(
        source=source,
        received_at=now,
        accepted=len(scans),
        unknown_carriers=unknown_carriers,
        judged=0,
        stored=0,
        unmatched=0,
        judged_at=now if not scans else None,
    )
    session.add(receipt)
    session.flush()
    if scans:
        conn = session.connection()
        rid = receipt.id
        # The scan's fields in the order of _ACCEPTED, the receipt's id and time around them.
        rows = [(rid, *scan, now) for scan in scans]
        write_rows(conn, cast(Table, InboxRecord.__table__), _ACCEPTED, rows, ready={"raw"})
    return Accepted(receipt.id, len(scans))


_ACCEPTED = (
    "receipt_id",
    *(("raw" if f == "raw_json" else f) for f in InboxScan._fields),
    "received_at",
)
_encode_raw = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def waybill_lock(waybill_no: str) -> int:
    """The 32-bit number a waybill is locked under (a collision only makes two wait)."""
    return zlib.crc32(waybill_no.encode()) - (1 << 31)


def lock_waybills(session: Session, waybills: Iterable[str]) -> None:
    """Hold the fold lock of each waybill until the transaction ends (see the module)."""
    advisory_xact_locks(session, LockKey.TRACKING_FOLD, [waybill_lock(w) for w in waybills])


def judge_in_full(session: Session, shipment_ids: Sequence[int], now: datetime) -> None:
    """Have these shipments judged in full by the fold of their pending records (or else the
    next sweep), after those records: every deadline of theirs is due for a look from ``now``.
    For a change a feed makes to a shipment itself (a corrected carrier), which must be judged
    with the scans that came with it, not before them."""
    if shipment_ids:
        session.execute(
            update(Deadline)
            .where(among(session.connection(), Deadline.shipment_id, sorted(shipment_ids)))
            .values(next_check_at=now),
            execution_options={"synchronize_session": False},
        )


@dataclass
class DrainResult:
    """What one or more claimed batches did."""

    batches: int = 0
    records: int = 0
    stored: int = 0
    receipts: int = 0
    violations_new: int = 0
    dead_letters: int = 0  # records set aside: they failed when folded alone
    receipt_ids: set[int] = field(default_factory=set, repr=False)

    def add(self, other: DrainResult) -> None:
        self.batches += other.batches
        self.records += other.records
        self.dead_letters += other.dead_letters
        self.stored += other.stored
        self.violations_new += other.violations_new
        self.receipt_ids |= other.receipt_ids
        self.receipts = len(self.receipt_ids)


_CLAIMED = (
    InboxRecord.id,
    InboxRecord.receipt_id,
    InboxRecord.carrier_code,
    InboxRecord.waybill_no,
    InboxRecord.status,
    InboxRecord.event_time,
    InboxRecord.location,
    InboxRecord.description,
    InboxRecord.source,
    InboxRecord.raw,
)


_PENDING = (InboxRecord.done_at.is_(None), InboxRecord.dead_at.is_(None))


def drain_batch(
    session: Session,
    now: datetime,
    ctx: RulesContext,
    *,
    limit: int = BATCH,
    only: Sequence[int] | None = None,
    retrying: bool = False,
) -> DrainResult:
    """Claim up to ``limit`` pending records (of ``only``, if given; ``retrying``: dead
    letters whose next attempt has come instead), fold them into their shipments in
    event-time order, judge, credit their receipts and mark them done (the caller commits)."""
    hold_write_lock(session, cast(Table, InboxRecord.__table__))
    claimable = due_for_retry(now) if retrying else _PENDING
    query = select(*_CLAIMED).where(*claimable).order_by(InboxRecord.id).limit(limit)
    if only is not None:
        query = query.where(InboxRecord.id.in_(sorted(only)))
    claim = claim_skip_locked(query, of=InboxRecord)
    rows = read(session, claim)
    if not rows:
        return DrainResult()
    lock_waybills(session, {r.waybill_no for r in rows})
    ordered = sorted(rows, key=lambda r: (r.event_time, r.id))
    updates = [
        TrackingUpdate(
            waybill_no=r.waybill_no,
            status=r.status,
            event_time=r.event_time,
            source=r.source,
            carrier_code=r.carrier_code,
            location=r.location,
            description=r.description,
            raw=r.raw,
        )
        for r in ordered
    ]
    recorded = record_events(session, updates, now, ctx)
    conn = session.connection()
    ids = [r.id for r in rows]
    done: dict[str, Any] = {"done_at": now}
    if retrying:
        done |= {"dead_at": None, "next_attempt_at": None}  # no dead letter any more
    session.execute(
        update(InboxRecord).where(among(conn, InboxRecord.id, ids)).values(**done),
        execution_options={"synchronize_session": False},
    )
    receipts = _credit_receipts(session, ordered, updates, recorded, now)
    violations = recorded.evaluation.new_violations if recorded.evaluation else []
    _link_violations(session, ordered, violations)
    return DrainResult(
        batches=1,
        records=len(rows),
        stored=recorded.stored,
        receipts=len(receipts),
        violations_new=len(violations),
        receipt_ids=set(receipts),
    )


def _credit_receipts(
    session: Session,
    rows: Sequence[Any],
    updates: Sequence[TrackingUpdate],
    recorded: RecordResult,
    now: datetime,
) -> list[int]:
    """Add the batch's records to their receipts' counts: each stored scan is credited to the
    first record that delivered it. Receipts are updated in id order (two workers crediting
    the same receipts queue instead of deadlocking)."""
    judged: dict[int, int] = defaultdict(int)
    stored: dict[int, int] = defaultdict(int)
    unmatched: dict[int, int] = defaultdict(int)
    credited: set[str] = set()
    for row, u in zip(rows, updates, strict=True):
        judged[row.receipt_id] += 1
        key = u.dedup_key
        if key in recorded.stored_keys and key not in credited:
            credited.add(key)
            stored[row.receipt_id] += 1
            unmatched[row.receipt_id] += key in recorded.unmatched_keys
    table = cast(Table, TrackingReceipt.__table__)
    c = table.c
    statement = (
        update(table)
        .where(c.id == bindparam("rid"))
        .values(
            judged=c.judged + bindparam("n"),
            stored=c.stored + bindparam("s"),
            unmatched=c.unmatched + bindparam("u"),
            judged_at=case(
                # typed as the column, so the time is stored in UTC as every other
                (c.judged + bindparam("n") >= c.accepted, literal(now, c.judged_at.type)),
                else_=c.judged_at,
            ),
        )
    )
    receipt_ids = sorted(judged)
    session.connection().execute(
        statement,
        [
            {"rid": rid, "n": judged[rid], "s": stored[rid], "u": unmatched[rid]}
            for rid in receipt_ids
        ],
    )
    return receipt_ids


def _link_violations(session: Session, rows: Sequence[Any], violations: Sequence[Any]) -> None:
    """Each new violation belongs to the receipts whose records touched its shipment."""
    if not violations:
        return
    conn = session.connection()
    shipment_ids = sorted({v.shipment_id for v in violations})
    waybill_of = dict(
        read(
            session,
            select(Shipment.id, Shipment.waybill_no).where(among(conn, Shipment.id, shipment_ids)),
        )
    )
    receipts_of: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        receipts_of[r.waybill_no].add(r.receipt_id)
    links = sorted(
        {
            (rid, v.id)
            for v in violations
            for rid in receipts_of.get(waybill_of.get(v.shipment_id) or "", ())
        }
    )
    if links:
        conn.execute(
            insert_ignoring_conflicts(conn, ReceiptViolation),
            [{"receipt_id": rid, "violation_id": vid} for rid, vid in links],
        )


def drain_inbox(
    sessions: sessionmaker[Session],
    now: datetime,
    ctx: RulesContext,
    *,
    limit: int = BATCH,
    max_batches: int | None = None,
) -> DrainResult:
    """Drain batch after batch, each in its own transaction, until nothing is pending that
    another worker has not claimed (or ``max_batches`` ran)."""
    total = _retry_due(sessions, now, ctx)
    while max_batches is None or total.batches < max_batches:
        try:
            with unit_of_work(sessions) as session:
                result = drain_batch(session, now, ctx, limit=limit)
        except OperationalError:
            raise  # transient (connection, deadlock): the batch is claimed again later
        except Exception:
            log.exception("a batch of the tracking inbox failed; folding it record by record")
            result = _one_by_one(sessions, now, ctx, limit)
            result.batches = 1  # the failed batch counts as one, however it was retried
        if not result.records and not result.dead_letters:
            break
        total.add(result)
    return total


def _one_by_one(
    sessions: sessionmaker[Session], now: datetime, ctx: RulesContext, limit: int
) -> DrainResult:
    """Fold the records a failed batch held, each in its own transaction; a record that fails
    alone becomes a dead letter. Records another worker claimed meanwhile are skipped."""
    return _fold_alone(sessions, _oldest(sessions, _PENDING, limit), now, ctx, retrying=False)


RETRIES = 20  # dead letters tried again per drain at most: a backlog of them waits its turn


def _retry_due(sessions: sessionmaker[Session], now: datetime, ctx: RulesContext) -> DrainResult:
    """Fold the dead letters whose next attempt has come, each alone in its own transaction:
    one that goes through is done (audited), one that fails again is set aside until its next,
    later attempt. Alone, so a record that still fails never holds up a batch."""
    ids = _oldest(sessions, due_for_retry(now), RETRIES)
    total = _fold_alone(sessions, ids, now, ctx, retrying=True)
    total.batches = 0  # not batches of the inbox's head: callers count those
    return total


def _oldest(
    sessions: sessionmaker[Session], conditions: Sequence[ColumnElement[bool]], limit: int
) -> list[int]:
    """The ids of the oldest ``limit`` records that meet the conditions."""
    with sessions() as session:
        query = select(InboxRecord.id).where(*conditions).order_by(InboxRecord.id).limit(limit)
        return list(session.execute(query).scalars())


def _fold_alone(
    sessions: sessionmaker[Session],
    ids: Sequence[int],
    now: datetime,
    ctx: RulesContext,
    *,
    retrying: bool,
) -> DrainResult:
    """Fold each record in its own transaction (``retrying``: dead letters due for another
    attempt); one that fails alone is set aside (again) with its next attempt."""
    total = DrainResult()
    for record_id in ids:
        try:
            with unit_of_work(sessions) as session:
                result = drain_batch(session, now, ctx, only=[record_id], retrying=retrying)
                if retrying and result.records:
                    recovered(session, record_id, now)
        except OperationalError:
            raise
        except Exception as exc:
            with unit_of_work(sessions) as session:
                total.dead_letters += set_aside(session, record_id, describe_error(exc), now)
            log.warning("tracking inbox record %s failed alone: %s", record_id, exc)
            continue
        total.add(result)
    return total
