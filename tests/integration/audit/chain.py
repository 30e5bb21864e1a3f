"""A small audit chain under a known key, and what an attacker with database access does."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.engine import session_factory, unit_of_work
from lanshou.adapters.db.models import AuditEvent
from lanshou.audit.head import Head, export_head
from lanshou.audit.keys import AuditKeys, bind_keys

SECRET = "integration-audit-secret-0123456789"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def keyed_sessions(engine: Engine, secret: str = SECRET) -> sessionmaker[Session]:
    sessions = session_factory(engine)
    bind_keys(sessions, AuditKeys.from_secrets(secret))
    return sessions


def append(sessions: sessionmaker[Session], n: int, first: int = 1) -> None:
    with unit_of_work(sessions) as s:
        audit.record_many(
            s,
            [
                audit.Entry(
                    "violation",
                    i,
                    "detected",
                    "system",
                    NOW + timedelta(minutes=i),
                    reason=f"r{i}",
                    data={"fen": i * 100},
                )
                for i in range(first, first + n)
            ],
        )


def exported_head(sessions: sessionmaker[Session], path: Path) -> Head:
    with sessions() as s:
        head = export_head(s, path, NOW)
    assert head is not None
    return head


def body(prev: str, ev: Any) -> bytes:
    """The documented record body, written out here as an attacker would."""
    return json.dumps(
        [
            prev,
            ev.entity_type,
            ev.entity_id,
            ev.action,
            ev.actor,
            ev.at.astimezone(UTC).isoformat(),
            ev.reason,
            ev.data,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def rows(s: Session) -> list[AuditEvent]:
    return list(s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


def rewrite_from(
    sessions: sessionmaker[Session],
    position: int,
    *,
    reason: str,
    key: bytes | None = None,
    scheme: int | None = None,
) -> None:
    """Edit the record at ``position`` (1-based) and re-hash it and every later record: plain
    SHA-256 without ``key``, HMAC with it; ``scheme`` relabels them."""
    with unit_of_work(sessions) as s:
        events = rows(s)
        prev = events[position - 2].hash if position > 1 else audit.GENESIS
        for n, ev in enumerate(events[position - 1 :], start=position):
            if n == position:
                ev.reason = reason
            payload = body(prev, ev)
            digest = (
                hmac.new(key, payload, hashlib.sha256).hexdigest()
                if key is not None
                else hashlib.sha256(payload).hexdigest()
            )
            values: dict[str, Any] = {"reason": ev.reason, "prev_hash": prev, "hash": digest}
            if scheme is not None:
                values["scheme"] = scheme
            s.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(**values))
            prev = digest


def cut_last(sessions: sessionmaker[Session], n: int) -> None:
    with unit_of_work(sessions) as s:
        ids = [ev.id for ev in rows(s)][-n:]
        s.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
