"""Append-only, hash-chained audit trail for violations, appeals and ledger entries.

Each record's hash covers its content and the previous record's hash, so editing or deleting any
record breaks every hash after it; :func:`verify_chain` finds the first break.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import insert_many
from lanshou.adapters.db.models import AuditEvent

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    entity_type: str,
    entity_id: int,
    action: str,
    actor: str,
    at: datetime,
    reason: str,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        [
            prev_hash,
            entity_type,
            entity_id,
            action,
            actor,
            at.astimezone(UTC).isoformat(),
            reason,
            data,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


_HEAD = "lanshou.audit.head"


def _last_hash(session: Session) -> str:
    """The chain's head, read once per transaction and then carried along in memory."""
    tx = session.get_transaction()
    cached = session.info.get(_HEAD)
    if cached is not None and tx is not None and cached[0] is tx:
        return str(cached[1])
    # Serialise writers on PostgreSQL so two transactions cannot chain onto the same record;
    # the lock is held until this transaction ends. SQLite serialises writers by itself.
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(7356001)")
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def record(
    session: Session,
    *,
    entity_type: str,
    entity_id: int,
    action: str,
    actor: str,
    at: datetime,
    reason: str = "",
    data: dict[str, Any] | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Append one audit record in the caller's transaction.

    Records are inserted in the order they are made, which is the chain's order; with
    ``flush=False`` many records go to the database in one batch at the next flush.
    """
    payload = json.loads(json.dumps(data or {}, default=str))
    prev = _last_hash(session)
    digest = _digest(prev, entity_type, entity_id, action, actor, at, reason, payload)
    event = AuditEvent(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor=actor,
        at=at,
        reason=reason,
        data=payload,
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    session.info[_HEAD] = (session.get_transaction(), digest)
    if flush:
        session.flush()
    return event


@dataclass(frozen=True)
class Entry:
    """One audit record to append with :func:`record_many`."""

    entity_type: str
    entity_id: int
    action: str
    actor: str
    at: datetime
    reason: str = ""
    data: dict[str, Any] | None = None


def record_many(session: Session, entries: list[Entry]) -> int:
    """Append many audit records in one INSERT, chained in the given order.

    Pending ORM changes (audit records among them) are flushed first so the chain's order
    stays the insertion (id) order.
    """
    if not entries:
        return 0
    session.flush()
    prev = _last_hash(session)
    rows = []
    for e in entries:
        payload = json.loads(json.dumps(e.data or {}, default=str))
        digest = _digest(
            prev, e.entity_type, e.entity_id, e.action, e.actor, e.at, e.reason, payload
        )
        rows.append(
            {
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "action": e.action,
                "actor": e.actor,
                "at": e.at,
                "reason": e.reason,
                "data": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    # Inserted in order (executemany / COPY, ids from the sequence as rows arrive), so ids
    # follow the chain.
    insert_many(session.connection(), cast(Table, AuditEvent.__table__), rows)
    session.info[_HEAD] = (session.get_transaction(), prev)
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in id order; report the first record whose hash or link does not match."""
    prev = GENESIS
    checked = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    for ev in rows:
        if ev.prev_hash != prev:
            return ChainReport(checked, ev.id, "link to the previous record is broken (deleted?)")
        expected = _digest(
            prev, ev.entity_type, ev.entity_id, ev.action, ev.actor, ev.at, ev.reason, ev.data
        )
        if ev.hash != expected:
            return ChainReport(checked, ev.id, "content does not match its hash (edited?)")
        prev = ev.hash
        checked += 1
    return ChainReport(checked, None, None)
