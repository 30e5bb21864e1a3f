"""Dead letters of the tracking inbox: records that fail when folded on their own.

A batch that raises while folding or judging rolls back whole; the drainer then folds the same
records one per transaction (:func:`~lanshou.enforcement.inbox.drain_inbox`), so the good ones
go through and only the record that raises alone fails. That record becomes a dead letter here:
its error, how many times it failed, when it first and last failed, and ``dead_at``, which
takes it out of every claim, so it no longer holds up the records behind it.

A dead letter is tried again on its own at ``next_attempt_at``: :func:`retry_delay` after
its latest failure, a delay that doubles with each failure up to :data:`RETRY_CAP`, so a cause
that mends itself (a profile or carrier added, a bug fixed by a deploy) needs no one, and a
record that keeps failing costs a fold every hour at most. After :data:`MAX_ATTEMPTS` failures
it waits for an administrator, who lists dead letters (``lanshou inbox dead``) and puts them
back in line at once (``lanshou inbox retry``). Every change is in the audit trail. A failure
the database reports as transient (a lost connection, a deadlock: ``OperationalError``) never
makes a dead letter: the batch is simply claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lanshou.adapters.db.models import InboxRecord
from lanshou.audit import record
from lanshou.errors import InvalidInput

ERROR_CHARS = 2000  # of the error kept on the record: enough for a message and its type
WORKER = "system"
RETRY_FIRST = timedelta(seconds=30)  # after the first failure; doubled after each next one
RETRY_CAP = timedelta(hours=1)  # the longest wait between two attempts
MAX_ATTEMPTS = 10  # failures after which only an administrator retries (some 5 hours in all)


@dataclass(frozen=True)
class DeadLetter:
    id: int
    receipt_id: int
    waybill_no: str
    status: str
    event_time: datetime
    attempts: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    dead_at: datetime
    next_attempt_at: datetime | None  # None: its attempts ran out, an administrator retries


def retry_delay(attempts: int) -> timedelta:
    """How long a record that failed ``attempts`` times (≥ 1) waits before the next attempt:
    :data:`RETRY_FIRST`, doubled with each further failure, at most :data:`RETRY_CAP`."""
    if attempts >= 32:  # the cap was reached long before; keeps the power small
        return RETRY_CAP
    return min(RETRY_FIRST * (1 << (attempts - 1)), RETRY_CAP)


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When a record that just failed for the ``attempts``-th time is tried again, if ever."""
    return now + retry_delay(attempts) if attempts < MAX_ATTEMPTS else None


def due_for_retry(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a dead letter whose next attempt has come."""
    return (
        InboxRecord.done_at.is_(None),
        InboxRecord.dead_at.is_not(None),
        InboxRecord.next_attempt_at <= now,
    )


def describe_error(exc: BaseException) -> str:
    """The exception as one line: its type and message, cut to :data:`ERROR_CHARS`."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text[:ERROR_CHARS]


def set_aside(session: Session, record_id: int, error: str, now: datetime) -> bool:
    """Make the record a dead letter: one more failed attempt, the error and its time, and
    when it is tried again (the caller commits). False if it was folded or set aside meanwhile
    (another worker)."""
    r = InboxRecord
    found = session.execute(
        select(r.attempts, r.receipt_id, r.waybill_no).where(
            r.id == record_id,
            r.done_at.is_(None),
            # pending, or a dead letter being tried again (its attempt still due)
            or_(r.dead_at.is_(None), r.next_attempt_at <= now),
        )
    ).one_or_none()
    if found is None:
        return False
    attempts = found.attempts + 1
    retry_at = next_attempt(attempts, now)
    changed = session.execute(
        update(r)
        # the attempts read above: a worker that set it aside meanwhile wins
        .where(r.id == record_id, r.attempts == found.attempts, r.done_at.is_(None))
        .values(
            attempts=attempts,
            last_error=error,
            # typed as the column, so the time is stored in UTC as every other
            first_failed_at=func.coalesce(r.first_failed_at, literal(now, r.first_failed_at.type)),
            last_failed_at=now,
            dead_at=now,
            next_attempt_at=retry_at,
        ),
        execution_options={"synchronize_session": False},
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    record(
        session,
        entity_type="inbox_record",
        entity_id=record_id,
        action="dead_lettered",
        actor=WORKER,
        at=now,
        reason=error,
        data={
            "receipt_id": found.receipt_id,
            "waybill_no": found.waybill_no,
            "attempts": attempts,
            "next_attempt_at": retry_at.isoformat() if retry_at else None,
        },
    )
    return True


def recovered(session: Session, record_id: int, now: datetime) -> None:
    """Audit a dead letter folded on its own at its next attempt (the fold cleared it)."""
    record(
        session,
        entity_type="inbox_record",
        entity_id=record_id,
        action="dead_letter_recovered",
        actor=WORKER,
        at=now,
    )


def list_dead_letters(session: Session, *, limit: int = 1000) -> list[DeadLetter]:
    """The dead letters, oldest record first."""
    r = InboxRecord
    rows = session.execute(
        select(
            r.id,
            r.receipt_id,
            r.waybill_no,
            r.status,
            r.event_time,
            r.attempts,
            r.last_error,
            r.first_failed_at,
            r.last_failed_at,
            r.dead_at,
            r.next_attempt_at,
        )
        .where(r.dead_at.is_not(None))
        .order_by(r.id)
        .limit(limit)
    ).all()
    return [
        DeadLetter(
            id=row.id,
            receipt_id=row.receipt_id,
            waybill_no=row.waybill_no,
            status=row.status,
            event_time=row.event_time,
            attempts=row.attempts,
            error=row.last_error or "",
            # set with dead_at, always
            first_failed_at=row.first_failed_at or row.dead_at,
            last_failed_at=row.last_failed_at or row.dead_at,
            dead_at=row.dead_at,
            next_attempt_at=row.next_attempt_at,
        )
        for row in rows
    ]


def retry_dead_letters(
    session: Session, record_ids: Sequence[int], actor: str, now: datetime
) -> list[int]:
    """Put dead letters back in line for the next claim, at once, keeping their failure
    history (the caller commits). An id that is no dead letter is refused, naming it; nothing
    changes."""
    ids = sorted(set(record_ids))
    dead = set(
        session.execute(
            select(InboxRecord.id)
            .where(InboxRecord.id.in_(ids), InboxRecord.dead_at.is_not(None))
            .with_for_update()
        ).scalars()
    )
    missing = [i for i in ids if i not in dead]
    if missing:
        raise InvalidInput(
            f"not a dead letter of the tracking inbox: {', '.join(map(str, missing))}",
            field="id",
        )
    for record_id in ids:
        session.execute(
            update(InboxRecord)
            .where(InboxRecord.id == record_id)
            .values(dead_at=None, next_attempt_at=None),
            execution_options={"synchronize_session": False},
        )
        record(
            session,
            entity_type="inbox_record",
            entity_id=record_id,
            action="dead_letter_retried",
            actor=actor,
            at=now,
        )
    return ids


def dead_letter_counts(session: Session, receipt_ids: Sequence[int]) -> dict[int, int]:
    """How many of each receipt's records are dead letters (receipts without any left out)."""
    if not receipt_ids:
        return {}
    rows = session.execute(
        select(InboxRecord.receipt_id, func.count())
        .where(InboxRecord.receipt_id.in_(sorted(receipt_ids)), InboxRecord.dead_at.is_not(None))
        .group_by(InboxRecord.receipt_id)
    ).all()
    return {int(rid): int(n) for rid, n in rows}
