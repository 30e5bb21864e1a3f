"""Truncation, edits re-hashed with or without the key, and legacy plain-hash records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from lanshou.adapters.db.migrate import downgrade, upgrade
from lanshou.adapters.db.models import AuditEvent
from lanshou.audit.chain import GENESIS, ChainReport, Problem, verify_chain
from lanshou.audit.keys import derive_key

from .chain import (
    NOW,
    SECRET,
    append,
    body,
    cut_last,
    exported_head,
    keyed_sessions,
    rewrite_from,
    rows,
)


def _ids_hashes(sessions) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return [(ev.id, ev.hash) for ev in rows(s)]


@pytest.mark.parametrize("cut", [1, 3])
def test_cutting_the_last_records_is_reported_against_the_exported_head(
    db_engine: Engine, tmp_path: Path, cut: int
) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 6)
    head = exported_head(sessions, tmp_path / "audit_head")
    assert (head.count, head.last_hash) == (6, _ids_hashes(sessions)[-1][1])
    cut_last(sessions, cut)
    kept = _ids_hashes(sessions)
    with sessions() as s:
        assert verify_chain(s).ok  # the chain alone cannot tell it was longer
        report = verify_chain(s, heads=[head])
    assert report == ChainReport(
        checked=6 - cut,
        plain=0,
        last_id=kept[-1][0],
        last_hash=kept[-1][1],
        first_bad_id=None,
        problem=Problem.TRUNCATED,
        head=head,
    )


def test_an_edit_re_hashed_with_plain_sha256_is_detected_at_the_edited_record(
    db_engine: Engine,
) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 5)
    before = _ids_hashes(sessions)
    rewrite_from(sessions, 3, reason="edited")
    with sessions() as s:
        assert [ev.reason for ev in rows(s)] == ["r1", "r2", "edited", "r4", "r5"]
        report = verify_chain(s)
    assert report == ChainReport(2, 0, before[1][0], before[1][1], before[2][0], Problem.CONTENT)


def test_an_edit_re_hashed_as_plain_records_is_a_downgrade(db_engine: Engine) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 5)
    before = _ids_hashes(sessions)
    rewrite_from(sessions, 3, reason="edited", scheme=1)
    with sessions() as s:
        report = verify_chain(s)
    assert report == ChainReport(2, 0, before[1][0], before[1][1], before[2][0], Problem.DOWNGRADE)


def test_the_whole_chain_re_hashed_as_plain_passes_alone_but_not_against_the_head(
    db_engine: Engine, tmp_path: Path
) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 4)
    head = exported_head(sessions, tmp_path / "audit_head")
    rewrite_from(sessions, 1, reason="edited", scheme=1)
    after = _ids_hashes(sessions)
    with sessions() as s:
        assert verify_chain(s) == ChainReport(4, 4, after[3][0], after[3][1])
        report = verify_chain(s, heads=[head])
    assert report == ChainReport(
        3, 3, after[2][0], after[2][1], after[3][0], Problem.HEAD_MISMATCH, head
    )


def test_an_edit_re_hashed_with_the_key_itself_is_caught_by_the_head(
    db_engine: Engine, tmp_path: Path
) -> None:
    sessions = keyed_sessions(db_engine)
    append(sessions, 5)
    head = exported_head(sessions, tmp_path / "audit_head")
    rewrite_from(sessions, 2, reason="edited", key=derive_key(SECRET).chain)
    after = _ids_hashes(sessions)
    with sessions() as s:
        assert verify_chain(s).ok  # whoever holds the key can rebuild a valid chain...
        report = verify_chain(s, heads=[head])
    # ...but not one ending in the hash exported before.
    assert report == ChainReport(
        4, 0, after[3][0], after[3][1], after[4][0], Problem.HEAD_MISMATCH, head
    )


def test_records_signed_under_another_secret_name_an_unknown_key(db_engine: Engine) -> None:
    append(keyed_sessions(db_engine, "another-audit-secret-0123456789"), 2)
    first = _ids_hashes(keyed_sessions(db_engine))[0][0]
    with keyed_sessions(db_engine)() as s:
        assert verify_chain(s) == ChainReport(0, 0, 0, GENESIS, first, Problem.UNKNOWN_KEY)


def test_plain_records_from_before_the_migration_still_verify_and_are_counted(
    db_engine: Engine,
) -> None:
    downgrade(db_engine, "0008")
    try:
        prev, legacy = GENESIS, []
        for i in (1, 2, 3):
            ev = AuditEvent(
                entity_type="appeal",
                entity_id=i,
                action="create",
                actor="u",
                at=NOW,
                reason="",
                data={"round": 1},
            )
            digest = hashlib.sha256(body(prev, ev)).hexdigest()
            legacy.append(
                {
                    "entity_type": "appeal",
                    "entity_id": i,
                    "action": "create",
                    "actor": "u",
                    "at": NOW,
                    "reason": "",
                    "data": {"round": 1},
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        old_columns = [c for c in AuditEvent.__table__.c if c.name not in ("scheme", "key_id")]
        with db_engine.begin() as conn:
            for row in legacy:
                conn.execute(
                    insert(AuditEvent.__table__).values(
                        {c.name: row[c.name] for c in old_columns if c.name in row}
                    )
                )
    finally:
        upgrade(db_engine)
    sessions = keyed_sessions(db_engine)
    append(sessions, 2)
    with sessions() as s:
        stored = s.execute(
            select(AuditEvent.scheme, AuditEvent.key_id, AuditEvent.prev_hash).order_by(
                AuditEvent.id
            )
        ).all()
        report = verify_chain(s)
    key_id = derive_key(SECRET).key_id
    assert [tuple(r) for r in stored] == [
        (1, None, GENESIS),
        (1, None, legacy[0]["hash"]),
        (1, None, legacy[1]["hash"]),
        (2, key_id, legacy[2]["hash"]),
        (2, key_id, _ids_hashes(sessions)[3][1]),
    ]
    assert (report.ok, report.checked, report.plain) == (True, 5, 3)

    # Re-hashing an edited legacy record needs the key from the first keyed record on.
    rewrite_from(sessions, 1, reason="edited")
    ids = [i for i, _ in _ids_hashes(sessions)]
    with sessions() as s:
        report = verify_chain(s)
    assert (report.problem, report.first_bad_id, report.checked, report.plain) == (
        Problem.CONTENT,
        ids[3],
        3,
        3,
    )
