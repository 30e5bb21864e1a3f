"""The money ledger: amounts move only through entries, corrections are reversing entries.

A violation's consequence of one kind (compensation, fine, refund, points) is the sum of its
entries of that kind. To change it we never edit: we reverse the current entries and book the
new amount, each step audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import Table, event, func, select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.bulk import among, insert_ids, read
from lanshou.adapters.db.models import LedgerEntry
from lanshou.domain.money import to_fen

MONEY_KINDS = ("compensation", "fine", "refund")
KINDS = (*MONEY_KINDS, "points")


_PENDING = "lanshou.ledger.unaudited"


def audit_pending(session: Session) -> int:
    """Write the audit records of entries booked in this transaction, in booking order.

    Booking only adds entries; their ids exist after one flush, so auditing them together
    costs two batched inserts instead of two round trips per entry. The ``before_commit``
    hook below calls this too, so no entry is ever committed without its audit record.
    """
    pending: list[tuple[LedgerEntry, str, str]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    session.flush()
    audit.record_many(
        session,
        [
            audit.Entry(
                entity_type="ledger_entry",
                entity_id=entry.id,
                action="booked",
                actor=actor,
                at=entry.booked_at,
                reason=memo,
                data={
                    "kind": entry.kind,
                    "amount_fen": entry.amount_fen,
                    "points": str(entry.points),
                    "violation_id": entry.violation_id,
                    "reverses_id": entry.reverses_id,
                },
            )
            for entry, actor, memo in pending
        ],
    )
    return len(pending)


@event.listens_for(Session, "before_commit")
def _audit_before_commit(session: Session) -> None:
    audit_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)


def book(
    session: Session,
    *,
    shop_id: int,
    violation_id: int | None,
    kind: str,
    amount_fen: int,
    points: Decimal,
    at: datetime,
    memo: str,
    actor: str,
    reverses_id: int | None = None,
) -> LedgerEntry:
    """Add one entry; it is audited with the others of the transaction (see audit_pending)."""
    entry = LedgerEntry(
        shop_id=shop_id,
        violation_id=violation_id,
        kind=kind,
        amount_fen=amount_fen,
        points=points,
        booked_at=at,
        memo=memo,
        reverses_id=reverses_id,
    )
    session.add(entry)
    session.info.setdefault(_PENDING, []).append((entry, actor, memo))
    return entry


def open_entries(
    session: Session, violation_ids: Iterable[int]
) -> dict[tuple[int, str], list[LedgerEntry]]:
    """Entries of each (violation, kind) not yet reversed by a later entry."""
    ids = list(violation_ids)
    out: dict[tuple[int, str], list[LedgerEntry]] = defaultdict(list)
    if not ids:
        return out
    rows = list(
        session.execute(
            select(LedgerEntry).where(LedgerEntry.violation_id.in_(ids)).order_by(LedgerEntry.id)
        ).scalars()
    )
    reversed_ids = {r.reverses_id for r in rows if r.reverses_id is not None}
    for r in rows:
        if r.reverses_id is None and r.id not in reversed_ids:
            out[(r.violation_id or 0, r.kind)].append(r)
    return out


def settle(
    session: Session,
    *,
    shop_id: int,
    violation_id: int,
    kind: str,
    target_fen: int,
    target_points: Decimal,
    current: list[LedgerEntry],
    at: datetime,
    memo: str,
    actor: str,
) -> bool:
    """Make the violation's net amount of ``kind`` equal the target; True when anything moved."""
    net_fen = sum(e.amount_fen for e in current)
    net_points = sum((Decimal(e.points) for e in current), Decimal(0))
    if net_fen == target_fen and net_points == target_points:
        return False
    for e in current:
        book(
            session,
            shop_id=shop_id,
            violation_id=violation_id,
            kind=kind,
            amount_fen=-e.amount_fen,
            points=-Decimal(e.points),
            at=at,
            memo=f"reversal: {memo}",
            actor=actor,
            reverses_id=e.id,
        )
    if target_fen or target_points:
        book(
            session,
            shop_id=shop_id,
            violation_id=violation_id,
            kind=kind,
            amount_fen=target_fen,
            points=target_points,
            at=at,
            memo=memo,
            actor=actor,
        )
    return True


class OpenEntry(Protocol):
    """What settling needs of an open entry (a :class:`LedgerEntry` or a plain row)."""

    @property
    def id(self) -> int: ...

    @property
    def amount_fen(self) -> int: ...

    @property
    def points(self) -> Any: ...


def open_rows(
    session: Session, violation_ids: Iterable[int], kinds: Sequence[str] = KINDS
) -> dict[tuple[int, str], list[Any]]:
    """:func:`open_entries` as plain rows (id, violation_id, kind, amount_fen, points, …), of
    the given kinds only (a reversal has the kind of the entry it reverses)."""
    ids = list(violation_ids)
    out: dict[tuple[int, str], list[Any]] = defaultdict(list)
    if not ids:
        return out
    t = _table()
    q = select(t.c.id, t.c.violation_id, t.c.kind, t.c.amount_fen, t.c.points, t.c.reverses_id)
    q = q.where(among(session.connection(), t.c.violation_id, ids))
    if set(kinds) != set(KINDS):
        q = q.where(t.c.kind.in_(list(kinds)))
    # (read() flushes first: entries booked through the ORM count.)
    rows = list(read(session, q.order_by(t.c.id)))
    reversed_ids = {r.reverses_id for r in rows if r.reverses_id is not None}
    for r in rows:
        if r.reverses_id is None and r.id not in reversed_ids:
            out[(r.violation_id or 0, r.kind)].append(r)
    return out


def _table() -> Table:
    return cast(Table, LedgerEntry.__table__)


class Bookings:
    """Entries of many violations booked as plain rows: one INSERT … RETURNING, one audit batch.

    The same entries, in the same order, with the same audit records as :func:`settle` and
    :func:`book` give; without an ORM object per entry. Nothing reaches the database before
    :meth:`flush`, so read no ledger entries of these kinds in between.
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.audit: list[tuple[str, str]] = []  # (actor, memo) per row

    def settle(
        self,
        *,
        shop_id: int,
        violation_id: int,
        kind: str,
        target_fen: int,
        target_points: Decimal,
        current: Sequence[OpenEntry],
        at: datetime,
        memo: str,
        actor: str,
    ) -> bool:
        """:func:`settle`, booked into this batch."""
        net_fen = sum(e.amount_fen for e in current)
        net_points = sum((Decimal(e.points) for e in current), Decimal(0))
        if net_fen == target_fen and net_points == target_points:
            return False
        for e in current:
            self._book(
                shop_id,
                violation_id,
                kind,
                -e.amount_fen,
                -Decimal(e.points),
                at,
                f"reversal: {memo}",
                actor,
                e.id,
            )
        if target_fen or target_points:
            self._book(
                shop_id, violation_id, kind, target_fen, target_points, at, memo, actor, None
            )
        return True

    def _book(
        self,
        shop_id: int,
        violation_id: int,
        kind: str,
        amount_fen: int,
        points: Decimal,
        at: datetime,
        memo: str,
        actor: str,
        reverses_id: int | None,
    ) -> None:
        self.rows.append(
            {
                "shop_id": shop_id,
                "violation_id": violation_id,
                "kind": kind,
                "amount_fen": amount_fen,
                "points": points,
                "booked_at": at,
                "memo": memo,
                "reverses_id": reverses_id,
            }
        )
        self.audit.append((actor, memo))

    def flush(self, session: Session) -> int:
        """Insert the entries (ids in booking order) and their audit records."""
        if not self.rows:
            return 0
        # Entries booked through the ORM earlier in this transaction come first, ids and audit.
        audit_pending(session)
        t = _table()
        ids = insert_ids(session.connection(), t, self.rows)
        audit.record_many(
            session,
            [
                audit.Entry(
                    entity_type="ledger_entry",
                    entity_id=entry_id,
                    action="booked",
                    actor=actor,
                    at=row["booked_at"],
                    reason=memo,
                    data={
                        "kind": row["kind"],
                        "amount_fen": row["amount_fen"],
                        "points": str(row["points"]),
                        "violation_id": row["violation_id"],
                        "reverses_id": row["reverses_id"],
                    },
                )
                for entry_id, row, (actor, memo) in zip(ids, self.rows, self.audit, strict=True)
            ],
        )
        n = len(self.rows)
        self.rows.clear()
        self.audit.clear()
        return n


def reverse_all(
    session: Session, *, shop_id: int, violation_id: int, at: datetime, memo: str, actor: str
) -> int:
    """Reverse every open entry of a violation (appeal approved, violation withdrawn)."""
    moved = 0
    for (_, kind), entries in open_entries(session, [violation_id]).items():
        moved += settle(
            session,
            shop_id=shop_id,
            violation_id=violation_id,
            kind=kind,
            target_fen=0,
            target_points=Decimal(0),
            current=entries,
            at=at,
            memo=memo,
            actor=actor,
        )
    return moved


def shop_balances(
    session: Session, shop_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], int]:
    """Net fen per (shop, kind): what the merchant has been charged after reversals."""
    q = select(LedgerEntry.shop_id, LedgerEntry.kind, func.sum(LedgerEntry.amount_fen)).group_by(
        LedgerEntry.shop_id, LedgerEntry.kind
    )
    if shop_ids is not None:
        q = q.where(LedgerEntry.shop_id.in_(list(shop_ids)))
    return {(s, k): int(v or 0) for s, k, v in session.execute(q)}


__all__ = [
    "KINDS",
    "MONEY_KINDS",
    "Bookings",
    "book",
    "open_entries",
    "open_rows",
    "reverse_all",
    "settle",
    "shop_balances",
    "to_fen",
]
