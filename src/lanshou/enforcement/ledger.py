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
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Table, event, func, select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.bulk import among, insert_ids, read
from lanshou.adapters.db.models import LedgerEntry
from lanshou.domain.money import to_fen

MONEY_KINDS = ("compensation", "fine", "refund")
KINDS = (*MONEY_KINDS, "points")


_PENDING = "lanshou.ledger.unaudited"
_GUARDED = "lanshou.ledger.commit_hooks"


class NewEntry(NamedTuple):
    """A ledger entry to insert (the columns of ``ledger_entries`` but the id)."""

    shop_id: int
    violation_id: int | None
    kind: str
    amount_fen: int
    points: Decimal
    booked_at: datetime
    memo: str
    reverses_id: int | None


def ledger_booked(entry_id: int, entry: NewEntry, actor: str) -> audit.Entry:
    """The audit record of a booked ledger entry."""
    return audit.Entry(
        entity_type="ledger_entry",
        entity_id=entry_id,
        action="booked",
        actor=actor,
        at=entry.booked_at,
        reason=entry.memo,
        data={
            "kind": entry.kind,
            "amount_fen": entry.amount_fen,
            "points": str(entry.points),
            "violation_id": entry.violation_id,
            "reverses_id": entry.reverses_id,
        },
    )


def audit_pending(session: Session) -> int:
    """Write the audit records of the entries inserted in this transaction, in booking order.

    The entries are inserted by :meth:`Bookings.flush`; their records wait here, so that they
    follow what the caller audits about the same change (an approved appeal: the violation's
    record, then its reversals). The session's ``before_commit`` hook (:func:`_pend`) calls this
    too, so no entry is ever committed without its audit record.
    """
    pending: list[audit.Entry] = session.info.pop(_PENDING, [])
    audit.record_many(session, pending)
    return len(pending)


def _pend(session: Session, records: Iterable[audit.Entry]) -> None:
    """Keep ``records`` for :func:`audit_pending`; the session's commit writes what is left.

    The hooks go on this session alone, the first time it books: nothing is registered on
    SQLAlchemy's ``Session`` class, and a session that never books carries no hook.
    """
    if _GUARDED not in session.info:
        event.listen(session, "before_commit", audit_pending)
        event.listen(session, "after_soft_rollback", _forget_after_rollback)
        session.info[_GUARDED] = True
    session.info.setdefault(_PENDING, []).extend(records)


def _forget_after_rollback(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)


class OpenEntry(Protocol):
    """What settling needs of an open entry."""

    @property
    def id(self) -> int: ...

    @property
    def amount_fen(self) -> int: ...

    @property
    def points(self) -> Any: ...


def open_entries(
    session: Session, violation_ids: Iterable[int], kinds: Sequence[str] = KINDS
) -> dict[tuple[int, str], list[Any]]:
    """Entries of each (violation, kind) not yet reversed by a later entry, as plain rows (id,
    violation_id, kind, amount_fen, points, reverses_id), of the given kinds only (a reversal
    has the kind of the entry it reverses)."""
    ids = list(violation_ids)
    out: dict[tuple[int, str], list[Any]] = defaultdict(list)
    if not ids:
        return out
    t = _table()
    q = select(t.c.id, t.c.violation_id, t.c.kind, t.c.amount_fen, t.c.points, t.c.reverses_id)
    q = q.where(among(session.connection(), t.c.violation_id, ids))
    if set(kinds) != set(KINDS):
        q = q.where(t.c.kind.in_(list(kinds)))
    rows = list(read(session, q.order_by(t.c.id)))
    reversed_ids = {r.reverses_id for r in rows if r.reverses_id is not None}
    for r in rows:
        if r.reverses_id is None and r.id not in reversed_ids:
            out[(r.violation_id or 0, r.kind)].append(r)
    return out


def _table() -> Table:
    return cast(Table, LedgerEntry.__table__)


class Bookings:
    """Ledger entries booked in a batch: one INSERT … RETURNING, then one batch of audit records.

    Nothing reaches the database before :meth:`flush`, so read no ledger entries of these
    kinds in between.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[NewEntry, str]] = []  # (entry, actor)

    def book(
        self,
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
    ) -> None:
        """Add one entry to the batch."""
        entry = NewEntry(shop_id, violation_id, kind, amount_fen, points, at, memo, reverses_id)
        self._entries.append((entry, actor))

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
        """Make the violation's net amount of ``kind`` (the sum of its ``current`` open entries)
        equal the target: reverse them all, book the target; True when anything moved."""
        net_fen = sum(e.amount_fen for e in current)
        net_points = sum((Decimal(e.points) for e in current), Decimal(0))
        if net_fen == target_fen and net_points == target_points:
            return False
        for e in current:
            self.book(
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
            self.book(
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

    def flush(self, session: Session) -> int:
        """Insert the entries (ids in booking order); their audit records wait for
        :func:`audit_pending` (at the latest, the commit)."""
        if not self._entries:
            return 0
        session.flush()  # pending ORM changes keep their place before these rows
        ids = insert_ids(
            session.connection(), _table(), [entry._asdict() for entry, _ in self._entries]
        )
        _pend(
            session,
            (
                ledger_booked(entry_id, entry, actor)
                for entry_id, (entry, actor) in zip(ids, self._entries, strict=True)
            ),
        )
        n = len(self._entries)
        self._entries.clear()
        return n


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
) -> None:
    """Insert one entry now (its audit record follows with :func:`audit_pending`)."""
    bookings = Bookings()
    bookings.book(
        shop_id=shop_id,
        violation_id=violation_id,
        kind=kind,
        amount_fen=amount_fen,
        points=points,
        at=at,
        memo=memo,
        actor=actor,
    )
    bookings.flush(session)


def settle(
    session: Session,
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
    """:meth:`Bookings.settle` of one violation and kind, inserted now."""
    bookings = Bookings()
    moved = bookings.settle(
        shop_id=shop_id,
        violation_id=violation_id,
        kind=kind,
        target_fen=target_fen,
        target_points=target_points,
        current=current,
        at=at,
        memo=memo,
        actor=actor,
    )
    bookings.flush(session)
    return moved


def reverse_all(
    session: Session, *, shop_id: int, violation_id: int, at: datetime, memo: str, actor: str
) -> int:
    """Reverse every open entry of a violation (appeal approved, violation withdrawn)."""
    bookings = Bookings()
    moved = 0
    for (_, kind), entries in open_entries(session, [violation_id]).items():
        moved += bookings.settle(
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
    bookings.flush(session)
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
    "NewEntry",
    "book",
    "ledger_booked",
    "open_entries",
    "reverse_all",
    "settle",
    "shop_balances",
    "to_fen",
]
