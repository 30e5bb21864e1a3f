"""The audit chain's exported head: how many records it had and its last hash, MAC'd, kept
outside the database.

A chain whose newest records were cut is still a valid chain; only something kept elsewhere
can tell that it was longer. The worker writes the head to a file and the log on every sweep,
``lanshou audit verify`` after every successful check, and each appeal dossier carries the head
of its export time. One line, so it can be pasted, printed and found again in any text::

    lanshou-audit-head/1 count=1234 id=5678 hash=<64 hex> key=<key id> at=<ISO 8601> mac=<64 hex>
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import AuditEvent
from lanshou.audit.keys import GENESIS, AuditKey, AuditKeys, keys_for
from lanshou.errors import InvalidInput

log = logging.getLogger("lanshou.audit")

_TAG = "lanshou-audit-head/1"
_LINE = re.compile(
    re.escape(_TAG) + r" count=(\d+) id=(\d+) hash=([0-9a-f]{64}) key=([0-9a-f]{16}) "
    r"at=(\S+) mac=([0-9a-f]{64})"
)


@dataclass(frozen=True)
class Head:
    count: int
    last_id: int
    last_hash: str
    key_id: str
    at: datetime
    mac: str

    @property
    def signed_text(self) -> str:
        return (
            f"{_TAG} count={self.count} id={self.last_id} hash={self.last_hash} "
            f"key={self.key_id} at={self.at.isoformat()}"
        )

    @property
    def line(self) -> str:
        return f"{self.signed_text} mac={self.mac}"

    def authentic(self, keys: AuditKeys) -> bool:
        key = keys.get(self.key_id)
        return key is not None and key.sign_head(self.signed_text) == self.mac


def sign_head(count: int, last_id: int, last_hash: str, key: AuditKey, at: datetime) -> Head:
    unsigned = Head(count, last_id, last_hash, key.key_id, at, "")
    return Head(count, last_id, last_hash, key.key_id, at, key.sign_head(unsigned.signed_text))


def parse_head(text: str, source: str) -> Head:
    """The last head line in ``text`` (a head file, a log, a dossier's JSON)."""
    found = _LINE.findall(text)
    if not found:
        raise InvalidInput(f"{source}: no audit head line ({_TAG} …) found", field="head")
    count, last_id, last_hash, key_id, at, mac = found[-1]
    try:
        when = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidInput(
            f"{source}: audit head time {at!r} is not ISO 8601", field="head"
        ) from exc
    return Head(int(count), int(last_id), last_hash, key_id, when, mac)


def read_head_file(path: Path) -> Head | None:
    """The head stored at ``path``; None when none was exported there yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot read the audit head: {exc.strerror}", field="head"
        ) from exc
    return parse_head(text, str(path))


def current_head(session: Session, at: datetime, since: Head | None = None) -> Head:
    """The chain's head now, signed; counting only the records after ``since`` when given.

    Count and last record come from one statement, so one snapshot on PostgreSQL too.
    """
    after = since.last_id if since is not None else 0
    newer = (
        select(func.count()).select_from(AuditEvent).where(AuditEvent.id > after).scalar_subquery()
    )
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash, newer).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    key = keys_for(session).current
    if row is None:
        return sign_head(0, 0, GENESIS, key, at)
    return sign_head((since.count if since else 0) + row[2], row[0], row[1], key, at)


def still_holds(session: Session, head: Head) -> bool:
    """A head's MAC verifies and its last record is still there with the same hash.

    The cheap check the worker makes before exporting a newer head: it never replaces a head
    that shows the chain was cut or rewritten (a full check is ``lanshou audit verify``).
    """
    if not head.authentic(keys_for(session)):
        return False
    if head.count == 0:
        return True
    stored = session.execute(
        select(AuditEvent.hash).where(AuditEvent.id == head.last_id)
    ).scalar_one_or_none()
    return stored == head.last_hash


def write_head_file(path: Path, head: Head) -> None:
    """Replace the head file atomically (a reader never sees half a line) and log the head."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(head.line + "\n", encoding="utf-8")
    os.replace(partial, path)
    log.info("audit head: %s", head.line)


def export_head(session: Session, path: Path, at: datetime) -> Head | None:
    """Write the chain's current head to ``path`` unless the head there no longer holds; then
    keep it as evidence, log an error and return None."""
    previous = read_head_file(path)
    if previous is not None and not still_holds(session, previous):
        log.error(
            "audit head in %s no longer matches the database (records cut or rewritten?); "
            "kept as it is, run `lanshou audit verify`: %s",
            path,
            previous.line,
        )
        return None
    head = current_head(session, at, previous)
    write_head_file(path, head)
    return head
