"""Fines and points are capped per order and per shop-day, so they are allocated per shop.

Allocation runs in deadline order, so a violation's fine depends only on violations with an
earlier deadline. When a violation appears or changes, every violation of the shop from the
start of its local day onward is re-allocated (per-order counts chain across days), with the
rest of its ISO week (weekly points cap) and the earlier violations of the same orders
(per-order fine count) as context. Differences are booked as reversing entries in the ledger.

A shop is read in batches in deadline order and allocated by a :class:`CapAllocator` that
carries the caps' state from batch to batch, so a backfill of a few shops with many orders
each needs no more memory than a batch.

A bulk run (an import, a backfill) does not re-allocate after each chunk: an export is not in
deadline order, so every chunk would re-read nearly every violation of its shops. It marks
the shops instead (:func:`mark_fines`, a ``fine_marks`` row per shop holding the earliest
deadline to re-allocate from, written in the chunk's transaction) and honours the marks once
at its end (:func:`drain_fine_marks`), which books what one re-allocation of everything books.
Marks a killed run leaves are honoured by the next sweep, or taken over by the next
re-allocation of the shop (:func:`reallocate_touched`), so no change is ever left unbooked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.bulk import among, read
from lanshou.adapters.db.dialect import claim_skip_locked, hold_write_lock, upsert
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import FineMark, Shipment, Violation
from lanshou.domain.money import to_fen
from lanshou.domain.rules.consequences import Allocation, CapAllocator, FineCandidate
from lanshou.domain.rules.profile import Profile
from lanshou.domain.violations import HAPPENED, IN_FORCE
from lanshou.enforcement import ledger

# Reversed violations keep their slot under the caps: winning an appeal must not raise the
# fines of other violations. Exempt and withdrawn ones never took a slot.
SLOT_STATES = HAPPENED
FINED_STATES = IN_FORCE
NOTHING = Allocation(Decimal(0), Decimal(0))


def fine_standing(state: str) -> str:
    """What a violation in ``state`` is to allocation: fined, holding a slot only (reversed),
    or nothing. Allocation reads nothing else of a violation but its rule, order and deadline."""
    if state in FINED_STATES:
        return "fined"
    return "slot" if state in SLOT_STATES else "none"


def local_day_start(at: datetime, profile: Profile) -> datetime:
    local = at.astimezone(profile.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _week_start(since: datetime, profile: Profile) -> datetime:
    day_start = local_day_start(since, profile)
    return day_start - timedelta(days=day_start.weekday())


class _Slot(NamedTuple):
    """What allocation reads of a violation."""

    id: int
    shop_id: int
    order_id: int
    rule_id: str
    deadline: datetime
    state: str
    shipment_key: str

    def sort_key(self) -> tuple[int, datetime, str, str, int]:
        """The allocation order within each shop (the id only orders equal shipment keys)."""
        return (self.shop_id, self.deadline, self.shipment_key, self.rule_id, self.id)


# Shops re-allocated together: their violations are counted in one query, and shops with few
# violations in their window are read, planned and booked together (a batch of tracking events
# touches hundreds of shops at once).
SHOPS_PER_GROUP = 100
# Violations read, planned and booked at a time (more when the last deadline is shared): a
# shop with more in its window is streamed in deadline order, so memory is bounded by this
# however many orders a shop has (a backfill of a few shops re-allocates them from their
# first day on).
VIOLATIONS_PER_BATCH = 2_000


def reallocate_fines(
    session: Session,
    touched: dict[int, tuple[datetime, Profile]],
    now: datetime,
    actor: str,
    *,
    bookings: ledger.Bookings,
) -> int:
    """Re-allocate fines and points of each touched shop from the local day of its ``since``.

    Context: the whole ISO week (the weekly points cap) and, per order, the count of its
    earlier fined violations (the per-order fine count). The entries go into ``bookings``,
    which is flushed, with the audit records, after each batch of violations (the caller
    flushes whatever it booked after).
    """
    touched = {
        shop_id: (since, profile)
        for shop_id, (since, profile) in touched.items()
        if _capped(profile)
    }
    shops = sorted(touched)
    moves = 0
    for i in range(0, len(shops), SHOPS_PER_GROUP):
        group = {shop_id: touched[shop_id] for shop_id in shops[i : i + SHOPS_PER_GROUP]}
        moves += _Reallocation(session, group, now, actor, bookings).run()
    return moves


def _capped(profile: Profile) -> bool:
    """Whether the profile has fines or points to allocate at all."""
    return any(r.consequences.fine or r.consequences.points for r in profile.rules)


class _Mark(NamedTuple):
    shop_id: int
    profile: str
    since: datetime
    seq: int


def _marks_table() -> Table:
    return cast(Table, FineMark.__table__)


def mark_fines(session: Session, touched: dict[int, tuple[datetime, Profile]]) -> None:
    """Remember that each shop's fines are to be re-allocated from ``since`` on (or from its
    stored mark's, if earlier) instead of re-allocating them now: written in the caller's
    transaction, with the violations that moved."""
    rows = [
        {"shop_id": shop_id, "profile": profile.name, "since": since, "seq": 1}
        for shop_id, (since, profile) in sorted(touched.items())
        if _capped(profile)
    ]
    if not rows:
        return
    t = _marks_table()
    session.execute(
        upsert(
            session,
            t,
            key=[t.c.shop_id],
            set_=lambda new: {
                "profile": new.profile,
                "since": case((new.since < t.c.since, new.since), else_=t.c.since),
                "seq": t.c.seq + 1,
            },
        ),
        rows,
    )


def _read_marks(
    session: Session, where: ColumnElement[bool], *, claim: bool = False, limit: int | None = None
) -> list[_Mark]:
    t = _marks_table()
    q = select(t.c.shop_id, t.c.profile, t.c.since, t.c.seq).where(where).order_by(t.c.shop_id)
    if limit is not None:
        q = q.limit(limit)
    if claim:
        q = claim_skip_locked(q)
    return [_Mark(*row) for row in read(session, q)]


def _clear_marks(session: Session, marks: list[_Mark]) -> None:
    """Remove the honoured marks, each only if no one marked its shop again since it was read."""
    if not marks:
        return
    t = _marks_table()
    session.execute(
        delete(t).where(t.c.shop_id == bindparam("s"), t.c.seq == bindparam("q")),
        [{"s": m.shop_id, "q": m.seq} for m in marks],
    )


def reallocate_touched(
    session: Session,
    touched: dict[int, tuple[datetime, Profile]],
    now: datetime,
    actor: str,
    *,
    bookings: ledger.Bookings,
) -> int:
    """:func:`reallocate_fines`, taking over the marks the touched shops have (a killed bulk
    run's): from a mark's ``since`` if earlier, and the mark removed."""
    if not touched:
        return 0
    t = _marks_table()
    marks = _read_marks(session, among(session.connection(), t.c.shop_id, sorted(touched)))
    merged = dict(touched)
    for m in marks:
        since, profile = merged[m.shop_id]
        merged[m.shop_id] = (min(since, m.since), profile)
    moves = reallocate_fines(session, merged, now, actor, bookings=bookings)
    _clear_marks(session, marks)
    return moves


def drain_marks(
    session: Session,
    profile_named: Callable[[str], Profile],
    now: datetime,
    actor: str,
    *,
    after: int = 0,
    limit: int = SHOPS_PER_GROUP,
) -> tuple[int | None, int]:
    """Honour up to ``limit`` marks of the shops after ``after`` (by id): re-allocate their
    fines and remove the marks, in this transaction. (Last shop honoured, ledger moves); the
    shop is None when no mark was left. Marks another transaction holds are skipped."""
    t = _marks_table()
    if not _read_marks(session, t.c.shop_id > after, limit=1):
        return None, 0  # the usual case: not a write, so no wait for SQLite's write lock
    hold_write_lock(session, t)
    marks = _read_marks(session, t.c.shop_id > after, claim=True, limit=limit)
    if not marks:
        return None, 0
    bookings = ledger.Bookings()
    touched = {m.shop_id: (m.since, profile_named(m.profile)) for m in marks}
    moves = reallocate_fines(session, touched, now, actor, bookings=bookings)
    bookings.flush(session)
    ledger.audit_pending(session)
    _clear_marks(session, marks)
    return marks[-1].shop_id, moves


def drain_fine_marks(
    sessions: sessionmaker[Session],
    profile_named: Callable[[str], Profile],
    now: datetime,
    actor: str = "system",
) -> int:
    """Honour every mark, a group of shops per transaction (what a killed drain committed
    stays done); the ledger moves. Books what one re-allocation of all of them books."""
    after, moves = 0, 0
    while True:
        with unit_of_work(sessions) as session:
            last, booked = drain_marks(session, profile_named, now, actor, after=after)
        if last is None:
            return moves
        after, moves = last, moves + booked


class _Reallocation:
    """One group of shops: its violations in batches, allocated in order, the caps' state
    carried from batch to batch."""

    def __init__(
        self,
        session: Session,
        touched: dict[int, tuple[datetime, Profile]],
        now: datetime,
        actor: str,
        bookings: ledger.Bookings,
    ) -> None:
        self.session, self.now, self.actor, self.bookings = session, now, actor, bookings
        # The earliest week of the group (a shop's earlier weeks cost time, not results).
        self.earliest = min(_week_start(since, profile) for since, profile in touched.values())
        self.day_start = {s: local_day_start(since, p) for s, (since, p) in touched.items()}
        self.allocators = {s: CapAllocator(p) for s, (_, p) in touched.items()}
        self.fined_rules = {
            s: {r.id for r in p.rules if r.consequences.fine is not None}
            for s, (_, p) in touched.items()
        }

    def run(self) -> int:
        """Shops in id order: consecutive ones with few violations in one batch, one with
        many streamed (so the entries come in the same order whatever the batch size)."""
        moves = 0
        pack: list[int] = []
        packed = 0
        for shop_id, count in self._window_counts():
            if count == 0:
                continue
            if pack and packed + count > VIOLATIONS_PER_BATCH:
                moves += self._batch(self._read(Violation.shop_id.in_(pack)), None)
                pack, packed = [], 0
            if count > VIOLATIONS_PER_BATCH:
                moves += self._stream(shop_id)
                continue
            pack.append(shop_id)
            packed += count
        if pack:
            moves += self._batch(self._read(Violation.shop_id.in_(pack)), None)
        return moves

    def _window_counts(self) -> list[tuple[int, int]]:
        """(shop, violations from the earliest week on) of the group's shops, by shop."""
        counts = dict(
            read(
                self.session,
                select(Violation.shop_id, func.count())
                .where(
                    Violation.shop_id.in_(sorted(self.allocators)),
                    Violation.deadline >= self.earliest,
                )
                .group_by(Violation.shop_id),
            )
        )
        return [(shop_id, counts.get(shop_id, 0)) for shop_id in sorted(self.allocators)]

    def _stream(self, shop_id: int) -> int:
        """A shop with many violations, a batch at a time in deadline order (a batch ends
        after the last violation of its last deadline)."""
        moves = 0
        after: datetime | None = None
        while True:
            since = (
                Violation.deadline >= self.earliest if after is None else Violation.deadline > after
            )
            end = self.session.execute(
                select(Violation.deadline)
                .where(Violation.shop_id == shop_id, since)
                .order_by(Violation.deadline)
                .offset(VIOLATIONS_PER_BATCH - 1)
                .limit(1)
            ).scalar()
            until = since if end is None else and_(since, Violation.deadline <= end)
            moves += self._batch(self._read(and_(Violation.shop_id == shop_id, until)), after)
            if end is None:
                return moves
            after = end

    def _read(self, where: ColumnElement[bool]) -> list[_Slot]:
        """The violations of a batch from the earliest week on, in allocation order."""
        rows = read(
            self.session,
            select(
                Violation.id,
                Violation.shop_id,
                Violation.order_id,
                Violation.rule_id,
                Violation.deadline,
                Violation.state,
                Shipment.key,
            )
            .join(Shipment, Shipment.id == Violation.shipment_id)
            .where(where, Violation.deadline >= self.earliest),
        )
        return sorted((_Slot(*row) for row in rows), key=_Slot.sort_key)

    def _batch(self, batch: list[_Slot], after: datetime | None) -> int:
        """Allocate a batch, book the differences, flush them with their audit records.

        ``after``: the last deadline of the shop's previous batch (None: the batch starts
        at the earliest week), before which the per-order counts are read."""
        if not batch:
            return 0
        self._count_orders(batch, after)
        plan: list[tuple[_Slot, Allocation]] = []
        for v in batch:
            allocation = NOTHING
            if v.state in SLOT_STATES:
                allocation = self.allocators[v.shop_id].take(
                    FineCandidate(
                        v.shipment_key, v.rule_id, str(v.order_id), str(v.shop_id), v.deadline
                    )
                )
            if v.deadline < self.day_start[v.shop_id] or v.state == "reversed":
                continue
            plan.append((v, allocation if v.state in FINED_STATES else NOTHING))
        entries = ledger.open_entries(self.session, [v.id for v, _ in plan], ("fine", "points"))
        moves = 0
        for v, allocation in plan:
            for kind, fen, points in (
                ("fine", to_fen(allocation.fine), Decimal(0)),
                ("points", 0, allocation.points),
            ):
                moves += self.bookings.settle(
                    shop_id=v.shop_id,
                    violation_id=v.id,
                    kind=kind,
                    target_fen=fen,
                    target_points=points,
                    current=entries.get((v.id, kind), []),
                    at=self.now,
                    memo=f"{v.rule_id} {kind}",
                    actor=self.actor,
                )
        self.bookings.flush(self.session)
        ledger.audit_pending(self.session)
        return moves

    def _count_orders(self, batch: list[_Slot], after: datetime | None) -> None:
        """Give each shop's allocator the fined violations of the batch's orders before it:
        an order's violations may lie days apart, before the window or in earlier batches."""
        orders = sorted({v.order_id for v in batch if v.state in SLOT_STATES})
        before = (
            Violation.deadline < self.earliest if after is None else Violation.deadline <= after
        )
        rows = read(
            self.session,
            # Through the shipments: violations have no index on their order.
            select(Violation.shop_id, Shipment.order_id, Violation.rule_id, func.count())
            .join(Violation, Violation.shipment_id == Shipment.id)
            .where(
                among(self.session.connection(), Shipment.order_id, orders),
                Violation.state.in_(SLOT_STATES),
                before,
            )
            .group_by(Violation.shop_id, Shipment.order_id, Violation.rule_id),
        )
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for shop_id, order_id, rule_id, n in rows:
            if rule_id in self.fined_rules.get(shop_id, ()):
                counts[shop_id][str(order_id)] += n
        for shop_id in {v.shop_id for v in batch}:
            self.allocators[shop_id].count_orders(dict(counts.get(shop_id, {})))
