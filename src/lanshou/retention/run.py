"""A retention pass: partitions ahead, old months archived and dropped, folded inbox pruned.

Each month is one transaction: writers are held out of the month, its rows go to the month's
Parquet file, the file's row count is read back, the month is removed (partition dropped on
PostgreSQL, rows deleted on SQLite) and the number removed must equal the number archived, or
the transaction rolls back and nothing is lost. An audit record names the month, the rows and
the file's SHA-256. Running again finds nothing left to do: the pass is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import InboxRecord, TrackingEvent
from lanshou.adapters.db.partitions import (
    Month,
    ensure_ahead,
    hold_month,
    months_before,
    remove_month,
)
from lanshou.audit import record
from lanshou.enforcement import RulesContext
from lanshou.retention.archive import ArchiveMismatch, write_month
from lanshou.retention.floor import check_keep_months, evidence_floor

EVENTS = cast(Table, TrackingEvent.__table__)
PAGE = 10_000
ACTOR = "system:retention"
# Progress: months done, months in all, the month just done.
Progress = Callable[[int, int, Month], None]


@dataclass(frozen=True)
class RetentionPolicy:
    keep_months: int
    archive_dir: Path
    inbox_keep_days: int = 7  # folded inbox rows older than this are deleted
    months_ahead: int = 2  # partitions created beyond the current month


@dataclass(frozen=True)
class MonthArchived:
    month: Month
    rows: int  # events removed from the database
    file: Path | None  # None for a month that had a partition but no event
    file_rows: int  # rows in the file (an earlier archive of the month included)


@dataclass
class RetentionResult:
    first_kept: Month
    archived: list[MonthArchived] = field(default_factory=list)
    partitions_created: list[Month] = field(default_factory=list)
    inbox_pruned: int = 0

    @property
    def events_removed(self) -> int:
        return sum(m.rows for m in self.archived)


def run_retention(
    sessions: sessionmaker[Session],
    now: datetime,
    ctx: RulesContext,
    policy: RetentionPolicy,
    progress: Progress | None = None,
) -> RetentionResult:
    """Keep the current month and the ``keep_months`` before it; archive and drop the rest.
    Refuses (:class:`RetentionRefused`) a ``keep_months`` below the evidence floor."""
    with unit_of_work(sessions) as session:
        check_keep_months(policy.keep_months, evidence_floor(session, ctx, now))
    first_kept = Month.of(now).plus(-policy.keep_months)
    result = RetentionResult(first_kept)
    with unit_of_work(sessions) as session:
        result.partitions_created = ensure_ahead(session.connection(), now, policy.months_ahead)
        months = months_before(session.connection(), first_kept)
    for done, month in enumerate(months, 1):
        with unit_of_work(sessions) as session:
            result.archived.append(_archive_month(session, month, policy.archive_dir, now))
        if progress is not None:
            progress(done, len(months), month)
    with unit_of_work(sessions) as session:
        result.inbox_pruned = _prune_inbox(session, now, policy.inbox_keep_days)
    return result


def _rows(session: Session, month: Month) -> Iterator[dict[str, Any]]:
    query = (
        select(EVENTS)
        .where(EVENTS.c.event_time >= month.start, EVENTS.c.event_time < month.end)
        .order_by(EVENTS.c.id)
        .execution_options(yield_per=PAGE)
    )
    for row in session.connection().execute(query).mappings():
        yield dict(row)


def _archive_month(session: Session, month: Month, directory: Path, now: datetime) -> MonthArchived:
    conn = session.connection()
    hold_month(conn, month)
    n = conn.execute(
        select(func.count())
        .select_from(EVENTS)
        .where(EVENTS.c.event_time >= month.start, EVENTS.c.event_time < month.end)
    ).scalar_one()
    written = write_month(directory, month, _rows(session, month)) if n else None
    removed = remove_month(conn, month)
    if removed != n:  # rolls the month back: the file may hold more, never fewer
        raise ArchiveMismatch(f"{month}: {n} events archived, {removed} would be removed")
    record(
        session,
        entity_type="tracking_events",
        entity_id=month.year * 100 + month.month,
        action="retention.archived",
        actor=ACTOR,
        at=now,
        data={
            "month": str(month),
            "events": n,
            "file": str(written.path) if written else None,
            "file_rows": written.rows if written else 0,
            "sha256": written.sha256 if written else None,
        },
    )
    return MonthArchived(
        month, n, written.path if written else None, written.rows if written else 0
    )


def _prune_inbox(session: Session, now: datetime, keep_days: int) -> int:
    """Delete inbox records folded (``done_at``) more than ``keep_days`` ago; audit the count."""
    before = now - timedelta(days=keep_days)
    pruned = (
        session.connection()
        .execute(
            delete(InboxRecord).where(
                InboxRecord.done_at.is_not(None), InboxRecord.done_at < before
            )
        )
        .rowcount
    )
    if pruned:
        record(
            session,
            entity_type="tracking_inbox",
            entity_id=0,
            action="retention.inbox_pruned",
            actor=ACTOR,
            at=now,
            data={"records": pruned, "done_before": before.isoformat()},
        )
    return int(pruned)
