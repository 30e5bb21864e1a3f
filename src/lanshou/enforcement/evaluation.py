"""Evaluate shipments against their platform's rules and store the outcome.

The one entry point every path uses — a new tracking event, an order change, the sweep, a
recomputation after a calendar change — is :func:`evaluate_shipments`. It runs the pure rules
(`lanshou.domain.rules.evaluate`), then makes the database agree: deadlines (with the next time
the sweep must look), violations (audited), ledger entries (reversing, never editing) and the
fines of every shop-day the change touched, re-allocated under the caps in deadline order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, make_transient_to_detached

from lanshou import audit
from lanshou.adapters.db.bulk import among, insert_ids, read, update_many
from lanshou.adapters.db.models import Deadline, Violation
from lanshou.domain.money import to_fen
from lanshou.domain.rules.evaluate import RuleOutcome, evaluate_shipment
from lanshou.domain.rules.exemptions import Exemption
from lanshou.domain.rules.profile import Profile
from lanshou.domain.violations import IN_FORCE, DeadlineState, ViolationState
from lanshou.enforcement import ledger
from lanshou.enforcement.facts import ShipmentRef, complete_first_times, load_facts
from lanshou.enforcement.fines import fine_standing, mark_fines, reallocate_touched
from lanshou.enforcement.rules_context import RulesContext, approved_exemptions
from lanshou.enforcement.warnings import due_warning_rows, insert_warnings, next_warning_at

_TICK = timedelta(microseconds=1)


@dataclass
class EvaluationResult:
    shipments: int = 0
    violations_new: int = 0
    violations_changed: int = 0
    warnings_fired: int = 0
    ledger_moves: int = 0
    touched_shop_days: dict[int, datetime] = field(default_factory=dict)
    new_violations: list[Violation] = field(default_factory=list, repr=False)

    def merge(self, other: EvaluationResult) -> None:
        self.shipments += other.shipments
        self.violations_new += other.violations_new
        self.violations_changed += other.violations_changed
        self.warnings_fired += other.warnings_fired
        self.ledger_moves += other.ledger_moves


def violation_state(outcome: RuleOutcome) -> str:
    if outcome.exempt:
        return ViolationState.EXEMPT
    if outcome.satisfied_at is not None or outcome.auto_refund > 0:
        return ViolationState.CONFIRMED  # late and settled: it can no longer get worse
    return ViolationState.OPEN


def deadline_state(outcome: RuleOutcome) -> str:
    if outcome.late:
        return DeadlineState.EXEMPT if outcome.exempt else DeadlineState.BREACHED
    return DeadlineState.MET if outcome.satisfied_at is not None else DeadlineState.PENDING


def _next_check(
    outcome: RuleOutcome, profile: Profile, fired: set[int], now: datetime
) -> datetime | None:
    """When the sweep must look again: a warning, the deadline itself, an auto refund, or the
    time of a fact dated after ``now`` (a scan recorded ahead of the clock), which counts then."""
    due = _next_due(outcome, profile, fired, now)
    unseen = outcome.unseen_fact_at
    if unseen is None:
        return due
    return unseen if due is None else min(due, unseen)


def _next_due(
    outcome: RuleOutcome, profile: Profile, fired: set[int], now: datetime
) -> datetime | None:
    """The next warning, the deadline itself, or an auto refund still to come."""
    assert outcome.deadline is not None
    state = deadline_state(outcome)
    if state == DeadlineState.PENDING:
        candidates = [outcome.deadline]
        warn = next_warning_at(outcome.deadline, profile, fired, now)
        if warn is not None:
            candidates.append(warn)
        at = min(candidates)
        # Unsatisfied exactly at the deadline is not yet late: look again just after it.
        return at if at > now else max(now, outcome.deadline) + _TICK
    refund_hours = profile.rule(outcome.rule_id).consequences.auto_refund_after_hours
    if state != DeadlineState.BREACHED or not refund_hours or outcome.auto_refund > 0:
        return None
    refund_at = outcome.deadline + timedelta(hours=float(refund_hours))
    # A pickup recorded for a time after the refund instant does not prevent the refund. Once
    # the instant has passed there is nothing left to wait for (a zero-amount order refunds 0).
    if refund_at > now and (outcome.satisfied_at is None or outcome.satisfied_at > refund_at):
        return refund_at
    return None


def evaluate_shipments(
    session: Session,
    shipment_ids: Sequence[int],
    now: datetime,
    ctx: RulesContext,
    *,
    actor: str = "system",
    exemptions: list[Exemption] | None = None,
    first_times: Mapping[int, dict[str, datetime]] | None = None,
    first_times_partial: bool = False,
    defer_fines: bool = False,
) -> EvaluationResult:
    """Re-judge the given shipments at ``now`` and store deadlines, violations and money.

    ``defer_fines``: mark the shops whose fine slots moved instead of re-allocating their fines
    (a bulk run, which drains the marks at its end: see :mod:`.fines`).

    ``first_times``: each shipment's earliest event time per status, if the caller has them.
    ``first_times_partial``: they cover only some events (the new ones) and the shipments'
    stored ``picked_up_at`` already includes them; exact for every profile whose pickup
    statuses all prove a pickup, and the others' times are read in full.
    """
    result = EvaluationResult()
    refs = load_facts(session, shipment_ids, first_times)
    if first_times_partial:
        refs = complete_first_times(session, refs, ctx)
    if not refs:
        return result
    exemptions = approved_exemptions(session) if exemptions is None else exemptions
    stored = _Stored.load(session, [r.shipment_id for r in refs])
    changes = _judge(refs, stored, ctx, exemptions, now, actor, result)
    changes.deadlines.flush(session, now)
    result.warnings_fired += _fire_warnings(session, changes.judged, stored.fired, now)
    audit.record_many(session, changes.audits)
    _insert_new_violations(session, result.new_violations, now, actor)
    result.ledger_moves += _book_money(session, changes, refs, ctx, now, actor, defer_fines)
    result.touched_shop_days = changes.touched
    ledger.audit_pending(session)
    return result


@dataclass
class _Stored:
    """What is stored of the shipments being judged, keyed by (shipment, rule)."""

    deadlines: dict[tuple[int, str], _Deadline]
    violations: dict[tuple[int, str], Violation]
    fired: dict[int, set[int]]  # deadline id -> lead minutes of the warnings already sent

    @classmethod
    def load(cls, session: Session, ids: list[int]) -> _Stored:
        deadlines = _load_deadlines(session, ids)
        violations = _load_violations(session, ids)
        fired = _fired_leads(session, [d.id for d in deadlines.values() if d.id is not None])
        return cls(deadlines, violations, fired)


@dataclass
class _Changes:
    """What judging changed against :class:`_Stored`, gathered before anything is written."""

    deadlines: _DeadlineWrites
    judged: list[tuple[_Deadline, Profile]] = field(default_factory=list)  # for warnings
    audits: list[audit.Entry] = field(default_factory=list)  # of changed violations
    # Violations whose compensation and refund to settle, with their outcome when late.
    money: list[tuple[Violation, RuleOutcome | None]] = field(default_factory=list)
    touched: dict[int, datetime] = field(default_factory=dict)  # shop -> earliest deadline
    # ... of a changed violation; below, of one whose fine slot moved (new, another standing,
    # another deadline): fines depend on nothing else, so a late pickup on a booked violation
    # (open -> confirmed) re-allocates nothing.
    slots_moved: dict[int, datetime] = field(default_factory=dict)

    def note_changed(self, shop_id: int, deadline: datetime, slot_moved: bool) -> None:
        for shops in (self.touched, self.slots_moved) if slot_moved else (self.touched,):
            first = shops.get(shop_id)
            if first is None or deadline < first:
                shops[shop_id] = deadline


def _judge(
    refs: list[ShipmentRef],
    stored: _Stored,
    ctx: RulesContext,
    exemptions: list[Exemption],
    now: datetime,
    actor: str,
    result: EvaluationResult,
) -> _Changes:
    """Run the rules on every shipment; bring deadlines and violations to the verdicts in
    memory (``stored`` takes them) and note what that changed."""
    changes = _Changes(_DeadlineWrites())
    writes, fired = changes.deadlines, stored.fired
    deadlines, violations = stored.deadlines, stored.violations
    for ref in refs:
        profile = ctx.profile(ref.profile)
        facts = ref.facts_for(profile.pickup_statuses)
        outcomes = evaluate_shipment(facts, profile, ctx.calendar(profile), exemptions, now)
        result.shipments += 1
        for outcome in outcomes:
            key = (ref.shipment_id, outcome.rule_id)
            if outcome.deadline is None:
                waiting = _store_waiting(writes, deadlines.get(key), ref, outcome, profile)
                if waiting is not None:
                    deadlines[key] = waiting
                continue
            dl = _store_deadline(writes, deadlines.get(key), ref, outcome, profile, now, fired)
            deadlines[key] = dl
            changes.judged.append((dl, profile))
            changed = _store_violation(
                violations, key, ref, outcome, now, actor, result, changes.audits
            )
            if changed is not None:
                violation, slot_moved = changed
                changes.money.append((violation, outcome if outcome.late else None))
                changes.note_changed(ref.shop_id, outcome.deadline, slot_moved)
            elif key in violations and violations[key].state in IN_FORCE:
                changes.money.append((violations[key], outcome))
    return changes


def _fire_warnings(
    session: Session,
    judged: list[tuple[_Deadline, Profile]],
    fired: dict[int, set[int]],
    now: datetime,
) -> int:
    """Send the warnings whose time has come on the judged deadlines; how many were sent."""
    rows: list[dict[str, object]] = []
    for dl, profile in judged:
        rows.extend(due_warning_rows(dl, profile, fired, now))
    return insert_warnings(session, rows) if rows else 0


def _book_money(
    session: Session,
    changes: _Changes,
    refs: list[ShipmentRef],
    ctx: RulesContext,
    now: datetime,
    actor: str,
    defer_fines: bool,
) -> int:
    """Settle the violations' compensation and refunds, re-allocate the fines of the shop-days
    whose slots moved (or mark them, ``defer_fines``), and book all of it in one batch; return
    the ledger moves."""
    bookings = ledger.Bookings()
    moves = _settle_direct_money(session, bookings, changes.money, now, actor)
    profile_of = {r.shop_id: r.profile for r in refs}
    touched = {
        shop: (since, ctx.profile(profile_of[shop])) for shop, since in changes.slots_moved.items()
    }
    if defer_fines:
        mark_fines(session, touched)
    else:
        moves += reallocate_touched(session, touched, now, actor, bookings=bookings)
    bookings.flush(session)
    return moves


def _insert_new_violations(
    session: Session, new: list[Violation], now: datetime, actor: str
) -> None:
    """Insert the new violations in one statement, then their audit records in one batch.

    Built as plain objects and inserted through Core (the ORM would insert them one by one on
    SQLite), then attached to the session as if loaded, so later changes go through the ORM.
    """
    if not new:
        return
    session.flush()  # pending ORM changes (audit records among them) keep their place
    table = cast(Table, Violation.__table__)
    columns = [c.key for c in table.columns if c.key != "id"]
    ids = insert_ids(
        session.connection(), table, [{c: getattr(v, c) for c in columns} for v in new]
    )
    for v, new_id in zip(new, ids, strict=True):
        v.id = new_id
        make_transient_to_detached(v)
        session.add(v)
    audit.record_many(
        session,
        [
            audit.Entry(
                entity_type="violation",
                entity_id=v.id,
                action="detected",
                actor=actor,
                at=now,
                reason=v.explanation.splitlines()[0],
                data={"state": v.state, "deadline": v.deadline.isoformat()},
            )
            for v in new
        ],
    )


def _fired_leads(session: Session, deadline_ids: list[int]) -> dict[int, set[int]]:
    from lanshou.adapters.db.models import Warning_

    out: dict[int, set[int]] = defaultdict(set)
    if deadline_ids:
        for did, lead in read(
            session,
            select(Warning_.deadline_id, Warning_.lead_minutes).where(
                among(session.connection(), Warning_.deadline_id, deadline_ids)
            ),
        ):
            out[did].add(lead)
    return out


@dataclass(slots=True)
class _Deadline:
    """A deadline row as plain values: the event path touches thousands, ORM objects cost."""

    id: int | None
    shipment_id: int
    shop_id: int
    rule_id: str
    profile: str
    started_at: datetime | None
    due_at: datetime | None
    satisfied_at: datetime | None
    state: str
    next_check_at: datetime | None


_DL_COLS = (
    "id",
    "shipment_id",
    "shop_id",
    "rule_id",
    "profile",
    "started_at",
    "due_at",
    "satisfied_at",
    "state",
    "next_check_at",
)
_DL_VALUES = ("profile", "started_at", "due_at", "satisfied_at", "state", "next_check_at")


def _load_deadlines(session: Session, ids: list[int]) -> dict[tuple[int, str], _Deadline]:
    table = _deadline_table()
    q = select(*(table.c[c] for c in _DL_COLS)).where(
        among(session.connection(), table.c.shipment_id, ids)
    )
    return {(row[1], row[3]): _Deadline(*row) for row in read(session, q)}


def _load_violations(session: Session, ids: list[int]) -> dict[tuple[int, str], Violation]:
    conn = session.connection()
    return {
        (v.shipment_id, v.rule_id): v
        for v in session.execute(
            select(Violation).where(among(conn, Violation.shipment_id, ids))
        ).scalars()
    }


def update_deadlines(session: Session, rows: list[dict[str, object]]) -> None:
    """Write changed deadline rows (``id`` plus the changed columns) in one batch."""
    update_many(session.connection(), _deadline_table(), rows)
    # Loaded Deadline objects of this session would now show the old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Deadline):
            session.expire(obj)


def _deadline_table() -> Table:
    return cast(Table, Deadline.__table__)


@dataclass
class _DeadlineWrites:
    """Changed and new deadlines, written in two statements (see :meth:`flush`)."""

    updates: list[_Deadline] = field(default_factory=list)
    inserts: list[_Deadline] = field(default_factory=list)

    def flush(self, session: Session, now: datetime) -> None:
        table = _deadline_table()
        conn = session.connection()
        if self.updates:
            update_deadlines(
                session,
                [
                    {"id": d.id, "evaluated_at": now} | {c: getattr(d, c) for c in _DL_VALUES}
                    for d in self.updates
                ],
            )
        if self.inserts:
            rows = [
                {c: getattr(d, c) for c in _DL_COLS if c != "id"} | {"evaluated_at": now}
                for d in self.inserts
            ]
            for d, new_id in zip(self.inserts, insert_ids(conn, table, rows), strict=True):
                d.id = new_id
        self.updates.clear()
        self.inserts.clear()


def _store_deadline(
    writes: _DeadlineWrites,
    dl: _Deadline | None,
    ref: ShipmentRef,
    outcome: RuleOutcome,
    profile: Profile,
    now: datetime,
    fired: dict[int, set[int]],
) -> _Deadline:
    state = deadline_state(outcome)
    next_check = _next_check(
        outcome, profile, fired.get(dl.id, set()) if dl is not None and dl.id else set(), now
    )
    if dl is None:
        values = (outcome.started_at, outcome.deadline, outcome.satisfied_at, state, next_check)
        return _insert_deadline(writes, ref, outcome, profile, *values)
    if (
        dl.profile == profile.name
        and dl.started_at == outcome.started_at
        and dl.due_at == outcome.deadline
        and dl.satisfied_at == outcome.satisfied_at
        and dl.state == state
        and dl.next_check_at == next_check
    ):
        return dl  # nothing moved: no UPDATE (the event path re-judges far more than changes)
    dl.profile = profile.name
    dl.started_at = outcome.started_at
    dl.due_at = outcome.deadline
    dl.satisfied_at = outcome.satisfied_at
    dl.state = state
    dl.next_check_at = next_check
    if dl.id is not None:
        writes.updates.append(dl)
    return dl


def _insert_deadline(
    writes: _DeadlineWrites,
    ref: ShipmentRef,
    outcome: RuleOutcome,
    profile: Profile,
    started_at: datetime | None,
    due_at: datetime | None,
    satisfied_at: datetime | None,
    state: str,
    next_check: datetime | None,
) -> _Deadline:
    """A new row of the shipment's rule, written with the others at the flush."""
    dl = _Deadline(
        None,
        ref.shipment_id,
        ref.shop_id,
        outcome.rule_id,
        profile.name,
        started_at,
        due_at,
        satisfied_at,
        state,
        next_check,
    )
    writes.inserts.append(dl)
    return dl


def _store_waiting(
    writes: _DeadlineWrites,
    dl: _Deadline | None,
    ref: ShipmentRef,
    outcome: RuleOutcome,
    profile: Profile,
) -> _Deadline | None:
    """A rule not started because the fact that starts it is dated after now (a shipped_at
    ahead of the clock) gets a ``waiting`` row checked at that fact's time: the sweep judges
    the shipment when it comes even if no other rule of the profile has a row to revisit it.
    A row still waiting when nothing is dated later any more is not checked again."""
    at = outcome.unseen_fact_at if outcome.started_at is None else None
    if dl is None:
        if at is None:
            return None
        waiting = DeadlineState.WAITING
        return _insert_deadline(writes, ref, outcome, profile, None, None, None, waiting, at)
    if dl.state != DeadlineState.WAITING or dl.next_check_at == at:
        return dl  # a started deadline stands as stored, as before
    dl.next_check_at = at
    if dl.id is not None:
        writes.updates.append(dl)
    return dl


def _store_violation(
    violations: dict[tuple[int, str], Violation],
    key: tuple[int, str],
    ref: ShipmentRef,
    outcome: RuleOutcome,
    now: datetime,
    actor: str,
    result: EvaluationResult,
    audits: list[audit.Entry],
) -> tuple[Violation, bool] | None:
    """Create or update the violation; when its state or facts changed, return it and whether
    its fine slot moved (new, another :func:`fine_standing`, another deadline). A change's
    audit record goes to ``audits``."""
    existing = violations.get(key)
    if existing is None:
        if not outcome.late:
            return None
        v = violations[key] = _new_violation(ref, outcome, now)
        result.new_violations.append(v)
        result.violations_new += 1
        return v, True
    new_state = _next_violation_state(existing.state, outcome)
    facts_changed = (
        existing.satisfied_at != outcome.satisfied_at or existing.deadline != outcome.deadline
    )
    if new_state is None or (new_state == existing.state and not facts_changed):
        return None
    slot_moved = fine_standing(new_state) != fine_standing(existing.state) or (
        outcome.deadline is not None and outcome.deadline != existing.deadline
    )
    audits.append(_update_violation(existing, new_state, outcome, now, actor))
    result.violations_changed += 1
    return existing, slot_moved


def _new_violation(ref: ShipmentRef, outcome: RuleOutcome, now: datetime) -> Violation:
    """A violation for a late outcome, not yet inserted (see :func:`_insert_new_violations`)."""
    assert outcome.started_at is not None and outcome.deadline is not None
    return Violation(
        shipment_id=ref.shipment_id,
        order_id=ref.order_id,
        shop_id=ref.shop_id,
        profile=ref.profile,
        rule_id=outcome.rule_id,
        started_at=outcome.started_at,
        deadline=outcome.deadline,
        satisfied_at=outcome.satisfied_at,
        state=violation_state(outcome),
        exemption_ref=outcome.exemption_id,
        exemption_reason=None,
        explanation="\n".join(outcome.explanation),
        detected_at=now,
        updated_at=now,
    )


def _next_violation_state(current: str, outcome: RuleOutcome) -> str | None:
    """The state a stored violation moves to under the outcome; None to leave it alone."""
    if current == ViolationState.REVERSED:
        return None  # an appeal decided this one; re-evaluation does not undo that
    if outcome.late:
        return violation_state(outcome)
    # The facts changed and it is no longer late. A withdrawn one stays withdrawn but takes the
    # facts as they are now (an earlier pickup arriving after a later scan withdrew it), so its
    # pickup and explanation depend on the events, not on the order they arrived in.
    return ViolationState.WITHDRAWN


def _update_violation(
    v: Violation, new_state: str, outcome: RuleOutcome, now: datetime, actor: str
) -> audit.Entry:
    """Bring a stored violation to ``new_state`` and the outcome's facts; its audit record."""
    old_state = v.state
    v.state = new_state
    v.satisfied_at = outcome.satisfied_at
    if outcome.deadline is not None:
        v.deadline = outcome.deadline
    v.exemption_ref = outcome.exemption_id
    v.explanation = "\n".join(outcome.explanation)
    v.updated_at = now
    return audit.Entry(
        entity_type="violation",
        entity_id=v.id,
        action="state_changed" if old_state != new_state else "facts_changed",
        actor=actor,
        at=now,
        reason=f"{old_state} → {new_state}",
        data={
            "from": old_state,
            "to": new_state,
            "satisfied_at": outcome.satisfied_at.isoformat() if outcome.satisfied_at else None,
        },
    )


def _settle_direct_money(
    session: Session,
    bookings: ledger.Bookings,
    targets: list[tuple[Violation, RuleOutcome | None]],
    now: datetime,
    actor: str,
) -> int:
    """Compensation and refunds belong to one violation each; fines are settled per shop-day."""
    if not targets:
        return 0
    entries = ledger.open_entries(session, [v.id for v, _ in targets])
    moves = 0
    for v, outcome in targets:
        active = outcome is not None and v.state in IN_FORCE
        for kind, amount in (
            ("compensation", outcome.compensation if active and outcome else 0),
            ("refund", outcome.auto_refund if active and outcome else 0),
        ):
            moves += bookings.settle(
                shop_id=v.shop_id,
                violation_id=v.id,
                kind=kind,
                target_fen=to_fen(Decimal(amount)),
                target_points=Decimal(0),
                current=entries.get((v.id, kind), []),
                at=now,
                memo=f"{v.rule_id} {kind}",
                actor=actor,
            )
    return moves


__all__ = ["EvaluationResult", "evaluate_shipments", "update_deadlines"]
