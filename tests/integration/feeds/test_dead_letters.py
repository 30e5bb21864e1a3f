"""A poison record of the tracking inbox becomes a dead letter instead of blocking the head.

The poison is a record whose status this lanshou does not know (as a newer version, or a hand
edit, would leave it): folding it raises. The records around it in the same batch and receipt
are judged; the poison is set aside with its error, attempts and failure times, audited, shown
on its receipt, listed by ``lanshou inbox dead`` and put back by ``lanshou inbox retry``. The
world is the one of test_inbox (WBA004 and WBB000 each late for pickup).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import AuditEvent, InboxRecord, TrackingReceipt
from lanshou.audit import verify_chain
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement import DeadLetter, list_dead_letters, retry_dead_letters
from lanshou.enforcement.dead_letters import MAX_ATTEMPTS
from lanshou.enforcement.inbox import DrainResult, accept_updates
from lanshou.entrypoints.cli import inbox as inbox_cli
from lanshou.errors import InvalidInput
from tests.integration.feeds.test_inbox import _shipment, _violation
from tests.integration.web.world import NOW, World, bearer

CST = timezone(timedelta(hours=8))
Drain = Callable[[], DrainResult]
POISON_AT = datetime(2026, 11, 3, 15, tzinfo=CST)
ERROR = (
    "ValueError: unknown tracking status 'lost_in_space'; known: ['awaiting_pickup', "
    "'created', 'delivered', 'exception', 'in_transit', 'out_for_delivery', 'picked_up', "
    "'returned']"
)


def _accept_with_poison(runtime: Runtime) -> int:
    """One receipt: WBA004 picked up late, the poison (a scan of WBA004), WBB000 picked up
    late; in that order in the inbox, ids 1, 2, 3."""
    good = [
        TrackingUpdate("WBA004", "picked_up", datetime(2026, 11, 3, 12, tzinfo=CST), "t"),
        TrackingUpdate("WBB000", "picked_up", datetime(2026, 11, 4, 11, tzinfo=CST), "t"),
    ]
    with unit_of_work(runtime.sessions) as s:
        receipt = accept_updates(s, good[:1], NOW, source="t").receipt_id
        s.add(
            InboxRecord(
                receipt_id=receipt,
                waybill_no="WBA004",
                status="lost_in_space",
                event_time=POISON_AT,
                source="t",
                dedup_key="f" * 64,
                received_at=NOW,
            )
        )
        s.flush()
        accept_updates(s, good[1:], NOW, source="t")  # a second receipt for the last record
        s.execute(update(InboxRecord).where(InboxRecord.id == 3).values(receipt_id=receipt))
        s.execute(update(TrackingReceipt).where(TrackingReceipt.id == receipt).values(accepted=3))
    return receipt


def _audit(
    sessions: sessionmaker[Session],
) -> list[tuple[str, int, str, str, str, dict[str, object]]]:
    with sessions() as s:
        rows = s.execute(
            select(
                AuditEvent.entity_type,
                AuditEvent.entity_id,
                AuditEvent.action,
                AuditEvent.actor,
                AuditEvent.reason,
                AuditEvent.data,
            )
            .where(AuditEvent.entity_type == "inbox_record")
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _record(sessions: sessionmaker[Session], record_id: int) -> tuple[object, ...]:
    with sessions() as s:
        r = s.get(InboxRecord, record_id)
        assert r is not None
        return (r.attempts, r.last_error, r.first_failed_at, r.last_failed_at, r.dead_at, r.done_at)


def _next_attempt(sessions: sessionmaker[Session], record_id: int) -> datetime | None:
    with sessions() as s:
        return s.execute(
            select(InboxRecord.next_attempt_at).where(InboxRecord.id == record_id)
        ).scalar_one()


def _cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(inbox_cli, "runtime", lambda: runtime)
    result = CliRunner().invoke(inbox_cli.app, list(args))
    return result.exit_code, result.output


def test_a_poison_record_is_set_aside_and_the_rest_of_its_batch_is_judged(
    client: TestClient,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    world: World,
    drain: Drain,
) -> None:
    receipt = _accept_with_poison(runtime)
    drained = drain()
    assert (drained.records, drained.dead_letters, drained.batches) == (2, 1, 1)
    # The records on either side of the poison are judged: both pickups late.
    assert _shipment(sessions, "WBA004") == ("picked_up", datetime(2026, 11, 3, 12, tzinfo=CST))
    a, b = _violation(sessions, "WBA004"), _violation(sessions, "WBB000")
    assert _record(sessions, 2) == (1, ERROR, NOW, NOW, NOW, None)
    assert [_record(sessions, i)[0::4] for i in (1, 3)] == [(0, None), (0, None)]
    assert _audit(sessions) == [
        (
            "inbox_record",
            2,
            "dead_lettered",
            "system",
            ERROR,
            {
                "receipt_id": receipt,
                "waybill_no": "WBA004",
                "attempts": 1,
                "next_attempt_at": "2026-11-04T12:00:30+08:00",
            },
        )
    ]
    # Not claimed again: the head of the inbox is free.
    again = drain()
    assert (again.records, again.dead_letters) == (0, 0)
    admin = bearer(client, "admin")
    seen = client.get(f"/api/v1/tracking/receipts/{receipt}", headers=admin).json()
    assert seen == {
        "receipt_id": receipt,
        "received": 3,
        "judged": 2,
        "stored": None,
        "duplicates": None,
        "unmatched": None,
        "unknown_carriers": 0,
        "judged_at": None,
        "violations": sorted([a, b]),
        "dead_letters": 1,
    }
    with sessions() as s:
        assert list_dead_letters(s) == [
            DeadLetter(
                2,
                receipt,
                "WBA004",
                "lost_in_space",
                POISON_AT,
                1,
                ERROR,
                NOW,
                NOW,
                NOW,
                NOW + timedelta(seconds=30),
            )
        ]
        assert verify_chain(s).ok


def test_an_administrator_lists_and_retries_dead_letters(
    client: TestClient,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    world: World,
    drain: Drain,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receipt = _accept_with_poison(runtime)
    assert drain().dead_letters == 1
    code, out = _cli(runtime, monkeypatch, "dead")  # Chinese: the default locale
    assert code == 0, out
    assert out == (
        f"2  回执 {receipt}  WBA004 lost_in_space  已尝试 1 次  "
        "首次失败 2026-11-04T04:00:00+00:00  最近失败 2026-11-04T04:00:00+00:00  "
        "下次尝试 2026-11-04T04:00:30+00:00\n"
        f"    {ERROR}\n共 1 条死信\n"
    )
    assert _cli(runtime, monkeypatch, "dead", "--lang", "en") == (
        0,
        f"2  receipt {receipt}  WBA004 lost_in_space  attempts 1  "
        "first failed 2026-11-04T04:00:00+00:00  last failed 2026-11-04T04:00:00+00:00  "
        f"next attempt 2026-11-04T04:00:30+00:00\n    {ERROR}\n1 dead letters\n",
    )
    # Retried before the cause is mended: it fails again, a second attempt, dead again.
    assert _cli(runtime, monkeypatch, "retry", "2", "--actor", "ops-admin") == (
        0,
        "1 条死信已重新排队：2\n",
    )
    assert _record(sessions, 2)[0::4] == (1, None)
    assert drain().dead_letters == 1
    assert _record(sessions, 2) == (2, ERROR, NOW, NOW, NOW, None)
    assert _next_attempt(sessions, 2) == NOW + timedelta(seconds=60)  # the wait doubled
    # The cause mended (the scan's status corrected), retried: judged, the receipt complete.
    with unit_of_work(sessions) as s:
        s.execute(update(InboxRecord).where(InboxRecord.id == 2).values(status="in_transit"))
    assert _cli(runtime, monkeypatch, "retry", "2", "--actor", "ops-admin", "--lang", "en-US") == (
        0,
        "1 dead letters back in line: 2\n",
    )
    drained = drain()
    assert (drained.records, drained.dead_letters) == (1, 0)
    assert _record(sessions, 2) == (2, ERROR, NOW, NOW, None, NOW)
    assert _next_attempt(sessions, 2) is None
    assert _shipment(sessions, "WBA004") == ("in_transit", datetime(2026, 11, 3, 12, tzinfo=CST))
    seen = client.get(f"/api/v1/tracking/receipts/{receipt}", headers=bearer(client, "admin"))
    assert (seen.json()["judged"], seen.json()["stored"], seen.json()["dead_letters"]) == (
        3,
        3,
        0,
    )
    assert seen.json()["judged_at"] == "2026-11-04T12:00:00+08:00"
    assert [(e[1], e[2], e[3]) for e in _audit(sessions)] == [
        (2, "dead_lettered", "system"),
        (2, "dead_letter_retried", "ops-admin"),
        (2, "dead_lettered", "system"),
        (2, "dead_letter_retried", "ops-admin"),
    ]
    assert _cli(runtime, monkeypatch, "dead") == (0, "共 0 条死信\n")


def test_only_dead_letters_can_be_retried_and_a_refusal_changes_nothing(
    runtime: Runtime,
    sessions: sessionmaker[Session],
    world: World,
    drain: Drain,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _accept_with_poison(runtime)
    drain()
    refusal = "not a dead letter of the tracking inbox: 1, 99"
    with pytest.raises(InvalidInput, match=refusal), unit_of_work(sessions) as s:
        retry_dead_letters(s, [2, 1, 99], "ops-admin", NOW)
    assert _record(sessions, 2)[4] == NOW  # still dead: the whole request was refused
    assert [e[2] for e in _audit(sessions)] == ["dead_lettered"]
    monkeypatch.setattr(inbox_cli, "runtime", lambda: runtime)
    refused = CliRunner().invoke(inbox_cli.app, ["retry", "3"])
    assert isinstance(refused.exception, InvalidInput)
    assert refused.exception.message == "not a dead letter of the tracking inbox: 3"


def test_a_dead_letter_is_tried_again_alone_after_a_doubling_capped_wait(
    runtime: Runtime,
    sessions: sessionmaker[Session],
    world: World,
    drain: Drain,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each failure doubles the wait (30 s, 1 min, … capped at an hour); no attempt before its
    time; after the tenth failure only an administrator retries it."""
    assert isinstance(runtime.clock, FixedClock)
    _accept_with_poison(runtime)
    assert drain().dead_letters == 1
    failed_at, waits = NOW, []
    while (due := _next_attempt(sessions, 2)) is not None:
        waits.append(int((due - failed_at).total_seconds()))
        runtime.clock.at = due - timedelta(seconds=1)
        assert (drain().records, _record(sessions, 2)[0]) == (0, len(waits))  # not yet
        runtime.clock.at = failed_at = due
        drained = drain()
        assert (drained.records, drained.dead_letters, drained.batches) == (0, 1, 0)
        assert _record(sessions, 2) == (len(waits) + 1, ERROR, NOW, due, due, None)
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert MAX_ATTEMPTS == 10 == len(waits) + 1
    runtime.clock.at = failed_at + timedelta(days=30)
    assert drain().dead_letters == 0  # no more attempts
    code, out = _cli(runtime, monkeypatch, "dead", "--lang", "en")
    assert code == 0, out
    assert "attempts 10  " in out
    assert "no more attempts: retry it by hand\n" in out
    audit = _audit(sessions)
    assert [e[2] for e in audit] == ["dead_lettered"] * 10
    # The ninth failure named the tenth attempt's time; the tenth none.
    assert [e[5]["next_attempt_at"] for e in audit][-2:] == [failed_at.isoformat(), None]


def test_a_dead_letter_whose_cause_is_mended_goes_through_at_its_next_attempt(
    client: TestClient,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    world: World,
    drain: Drain,
) -> None:
    assert isinstance(runtime.clock, FixedClock)
    receipt = _accept_with_poison(runtime)
    assert drain().dead_letters == 1
    with unit_of_work(sessions) as s:  # the cause mended: the scan's status corrected
        s.execute(update(InboxRecord).where(InboxRecord.id == 2).values(status="in_transit"))
    runtime.clock.at = NOW + timedelta(seconds=30)
    drained = drain()
    assert (drained.records, drained.dead_letters, drained.batches) == (1, 0, 0)
    assert _record(sessions, 2) == (1, ERROR, NOW, NOW, None, NOW + timedelta(seconds=30))
    assert _next_attempt(sessions, 2) is None
    assert _shipment(sessions, "WBA004") == ("in_transit", datetime(2026, 11, 3, 12, tzinfo=CST))
    assert [(e[1], e[2], e[3]) for e in _audit(sessions)] == [
        (2, "dead_lettered", "system"),
        (2, "dead_letter_recovered", "system"),
    ]
    seen = client.get(f"/api/v1/tracking/receipts/{receipt}", headers=bearer(client, "admin"))
    assert (seen.json()["judged"], seen.json()["dead_letters"]) == (3, 0)
    with sessions() as s:
        assert list_dead_letters(s) == []
        assert verify_chain(s).ok
