"""Append-only, hash-chained audit trail for violations, appeals and ledger entries.

Each record's hash covers its content and the previous record's hash, so editing or deleting any
record breaks every hash after it; :func:`verify_chain` finds the first break. Since scheme 2 a
record's hash is an HMAC under a key derived from LANSHOU_SECRET_KEY (:mod:`audit_keys`), so
database access alone is not enough to re-hash the chain after an edit. Records written before
(scheme 1, plain SHA-256) still verify, but only as the chain's first records: a plain record
after a keyed one is a downgrade. Cutting the newest records leaves a valid chain; the exported
head (:mod:`audit_head`), kept outside the database, is what shows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import insert_many
from lanshou.adapters.db.dialect import LockKey, advisory_xact_lock
from lanshou.adapters.db.models import AuditEvent
from lanshou.audit.keys import GENESIS, AuditKey, AuditKeys, keys_for, plain_sha256

if TYPE_CHECKING:
    from lanshou.audit.head import Head

PLAIN = 1  # scheme 1: SHA-256 of the body, records written before the chain was keyed
KEYED = 2  # scheme 2: HMAC-SHA256 of the body under the record's key_id


def _body(
    prev_hash: str,
    entity_type: str,
    entity_id: int,
    action: str,
    actor: str,
    at: datetime,
    reason: str,
    data: dict[str, Any],
) -> bytes:
    return json.dumps(
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
    ).encode()


_HEAD = "lanshou.audit.head"


def _chain_end(session: Session) -> tuple[str, AuditKey]:
    """The chain's last hash and the signing key, read once per transaction and then carried
    along in memory."""
    tx = session.get_transaction()
    cached = session.info.get(_HEAD)
    if cached is not None and tx is not None and cached[0] is tx:
        return str(cached[1]), cached[2]
    # Serialise writers so two transactions cannot chain onto the same record; the lock is
    # held until this transaction ends.
    advisory_xact_lock(session, LockKey.AUDIT_CHAIN)
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS, keys_for(session).current


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
    prev, key = _chain_end(session)
    digest = key.sign_record(
        _body(prev, entity_type, entity_id, action, actor, at, reason, payload)
    )
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
        scheme=KEYED,
        key_id=key.key_id,
    )
    session.add(event)
    session.info[_HEAD] = (session.get_transaction(), digest, key)
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
    prev, key = _chain_end(session)
    rows = []
    for e in entries:
        payload = json.loads(json.dumps(e.data or {}, default=str))
        digest = key.sign_record(
            _body(prev, e.entity_type, e.entity_id, e.action, e.actor, e.at, e.reason, payload)
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
                "scheme": KEYED,
                "key_id": key.key_id,
            }
        )
        prev = digest
    # Inserted in order (executemany / COPY, ids from the sequence as rows arrive), so ids
    # follow the chain.
    insert_many(session.connection(), cast(Table, AuditEvent.__table__), rows)
    session.info[_HEAD] = (session.get_transaction(), prev, key)
    return len(rows)


class Problem(StrEnum):
    """Why verification stopped; the CLI words each one."""

    LINK = "link"  # prev_hash is not the previous record's hash: one deleted or inserted
    CONTENT = "content"  # the hash does not match: edited, or re-hashed without the key
    DOWNGRADE = "downgrade"  # a plain-hash record after keyed ones
    UNKNOWN_KEY = "unknown_key"  # signed with a key id none of the configured secrets has
    HEAD_MISMATCH = "head_mismatch"  # the record at an exported head's count has another hash
    TRUNCATED = "truncated"  # fewer records than an exported head counted


@dataclass(frozen=True)
class ChainReport:
    checked: int  # records verified before the problem (all of them when intact)
    plain: int  # of those, scheme-1 records: protected by a plain SHA-256 only
    last_id: int
    last_hash: str
    first_bad_id: int | None = None
    problem: Problem | None = None
    head: Head | None = None  # the exported head that was contradicted

    @property
    def ok(self) -> bool:
        return self.problem is None


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.action,
    AuditEvent.actor,
    AuditEvent.at,
    AuditEvent.reason,
    AuditEvent.data,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.scheme,
    AuditEvent.key_id,
)


def verify_chain(
    session: Session, keys: AuditKeys | None = None, heads: Sequence[Head] = ()
) -> ChainReport:
    """Walk the chain in id order; report the first record whose hash or link does not match,
    or the first exported head the chain contradicts (a record rewritten, or records cut)."""
    keys = keys or keys_for(session)
    at_count: dict[int, list[Head]] = {}
    for h in heads:
        at_count.setdefault(h.count, []).append(h)
    prev, checked, plain, last_id, keyed_seen = GENESIS, 0, 0, 0, False
    rows = session.execute(
        select(*_COLUMNS).order_by(AuditEvent.id).execution_options(yield_per=5000)
    )

    def broken(row_id: int, problem: Problem, head: Head | None = None) -> ChainReport:
        return ChainReport(checked, plain, last_id, prev, row_id, problem, head)

    for r in rows:
        if r.prev_hash != prev:
            return broken(r.id, Problem.LINK)
        body = _body(prev, r.entity_type, r.entity_id, r.action, r.actor, r.at, r.reason, r.data)
        if r.scheme == PLAIN:
            if keyed_seen:
                return broken(r.id, Problem.DOWNGRADE)
            expected = plain_sha256(body)
        else:
            key = keys.get(r.key_id)
            if key is None:
                return broken(r.id, Problem.UNKNOWN_KEY)
            keyed_seen = True
            expected = key.sign_record(body)
        if r.hash != expected:
            return broken(r.id, Problem.CONTENT)
        for head in at_count.get(checked + 1, ()):
            if head.last_hash != r.hash:
                return broken(r.id, Problem.HEAD_MISMATCH, head)
        prev, last_id = r.hash, r.id
        checked += 1
        plain += r.scheme == PLAIN
    longest = max(heads, key=lambda h: h.count, default=None)
    if longest is not None and longest.count > checked:
        return ChainReport(checked, plain, last_id, prev, None, Problem.TRUNCATED, longest)
    return ChainReport(checked, plain, last_id, prev)
