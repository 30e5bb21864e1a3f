"""``lanshou retention``: months older than N archived to Parquet and dropped, across a year
end, on SQLite and PostgreSQL; idempotent; audited; a too-short N refused with the reason.

``now`` is 2044-01-10 10:00 in Beijing; keeping 1 month keeps December 2043 and January 2044.
PostgreSQL tests use years of their own: partitions outlive the truncation between tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.models import (
    AuditEvent,
    InboxRecord,
    Order,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
    TrackingReceipt,
    Violation,
)
from lanshou.adapters.db.partitions import Month, ensure_partitions, monthly_partitions
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement import RulesContext
from lanshou.entrypoints.cli.app import app as cli_app
from lanshou.retention import RetentionPolicy, RetentionRefused, run_retention
from lanshou.settings import get_settings

CST = timezone(timedelta(hours=8))
NOW = datetime(2044, 1, 10, 10, 0, tzinfo=CST)
CTX = RulesContext()

# (event time, waybill): two in October, three in November (the last two are 1 December in
# Beijing but still November in UTC), two in December, one in January.
EVENTS = [
    (datetime(2043, 10, 1, 0, 0, tzinfo=UTC), "A"),
    (datetime(2043, 10, 31, 23, 59, 59, 999999, tzinfo=UTC), "A"),
    (datetime(2043, 11, 15, 12, 0, tzinfo=UTC), "B"),
    (datetime(2043, 12, 1, 7, 0, tzinfo=CST), "B"),
    (datetime(2043, 11, 30, 23, 59, 59, 999999, tzinfo=UTC), "C"),
    (datetime(2043, 12, 1, 0, 0, tzinfo=UTC), "C"),
    (datetime(2043, 12, 31, 23, 0, tzinfo=UTC), "D"),
    (datetime(2044, 1, 2, 3, 0, tzinfo=UTC), "D"),
]


def event(at: datetime, waybill: str, shipment_id: int | None = None) -> TrackingEvent:
    update = TrackingUpdate(waybill_no=waybill, status="in_transit", event_time=at, source="test")
    return TrackingEvent(
        shipment_id=shipment_id,
        waybill_no=waybill,
        status="in_transit",
        event_time=at,
        received_at=at + timedelta(minutes=5),
        source="test",
        dedup_key=update.dedup_key,
        raw={"context": "运输中", "at": at.isoformat()},
    )


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖音", profile="douyin"))
        s.add(Shop(id=1, platform_id=1, code="s1", name="店"))
        s.flush()
        s.add_all(event(at, wb) for at, wb in EVENTS)
        s.commit()


@pytest.fixture(autouse=True)
def _no_partitions_of_other_tests(db_engine: Engine) -> None:
    """PostgreSQL: partitions outlive the truncation between tests, and a pass drops every
    empty one older than the cutoff; start from DEFAULT alone so results are this test's."""
    if db_engine.dialect.name != "postgresql":
        return
    with db_engine.begin() as conn:
        for month in monthly_partitions(conn):
            conn.execute(text(f"DROP TABLE {month.partition}"))


def missing_ahead(engine: Engine) -> list[Month]:
    """The partitions a run at NOW creates ahead: those an earlier test in this PostgreSQL
    database did not (none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        have = set(monthly_partitions(conn))
    return [m for m in (Month(2044, 1), Month(2044, 2), Month(2044, 3)) if m not in have]


def policy(tmp_path: Path, keep: int = 1) -> RetentionPolicy:
    return RetentionPolicy(keep_months=keep, archive_dir=tmp_path / "archive")


def parquet(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con.execute(
        f"SELECT event_time::VARCHAR, waybill_no, raw FROM read_parquet('{path}') "
        "ORDER BY event_time"
    ).fetchall()


def stored_times(sessions: sessionmaker[Session]) -> list[datetime]:
    with sessions() as s:
        return list(s.scalars(select(TrackingEvent.event_time).order_by(TrackingEvent.event_time)))


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, int, Any]]:
    with sessions() as s:
        return [
            (a, i, d["events"] if "events" in d else d.get("records"))
            for a, i, d in s.execute(
                select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.data).order_by(
                    AuditEvent.id
                )
            )
        ]


def test_old_months_are_archived_then_dropped_and_a_second_run_changes_nothing(
    sessions: sessionmaker[Session], db_engine: Engine, tmp_path: Path
) -> None:
    seed(sessions)
    with db_engine.begin() as conn:  # October has a partition; November is in DEFAULT
        ensure_partitions(conn, [Month(2043, 10), Month(2043, 12)])
    ahead = missing_ahead(db_engine)
    result = run_retention(sessions, NOW, CTX, policy(tmp_path))
    archive = tmp_path / "archive"
    assert result.first_kept == Month(2043, 12)
    assert [(str(m.month), m.rows, m.file, m.file_rows) for m in result.archived] == [
        ("2043-10", 2, archive / "tracking_events-2043-10.parquet", 2),
        ("2043-11", 3, archive / "tracking_events-2043-11.parquet", 3),
    ]
    assert result.events_removed == 5
    assert parquet(archive / "tracking_events-2043-11.parquet") == [
        ("2043-11-15 12:00:00+00", "B", '{"at": "2043-11-15T12:00:00+00:00", "context": "运输中"}'),
        (
            "2043-11-30 23:00:00+00",
            "B",
            '{"at": "2043-12-01T07:00:00+08:00", "context": "运输中"}',
        ),
        (
            "2043-11-30 23:59:59.999999+00",
            "C",
            '{"at": "2043-11-30T23:59:59.999999+00:00", "context": "运输中"}',
        ),
    ]
    assert stored_times(sessions) == [at.astimezone(UTC) for at, _ in EVENTS[5:]]
    assert audit_actions(sessions) == [
        ("retention.archived", 204310, 2),
        ("retention.archived", 204311, 3),
    ]
    if db_engine.dialect.name == "postgresql":
        with db_engine.connect() as conn:
            have = [m for m in monthly_partitions(conn) if m.year in (2043, 2044)]
        # October dropped; this month and the two after it created ahead.
        assert have == [Month(2043, 12), Month(2044, 1), Month(2044, 2), Month(2044, 3)]
    assert result.partitions_created == ahead
    files = {p.name: p.read_bytes() for p in archive.iterdir()}
    again = run_retention(sessions, NOW, CTX, policy(tmp_path))
    assert (again.archived, again.partitions_created, again.inbox_pruned) == ([], [], 0)
    assert {p.name: p.read_bytes() for p in archive.iterdir()} == files
    assert len(audit_actions(sessions)) == 2
    assert len(stored_times(sessions)) == 3


def test_a_late_event_of_an_archived_month_is_merged_into_its_file(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions)
    run_retention(sessions, NOW, CTX, policy(tmp_path))
    late = datetime(2043, 11, 20, 8, 0, tzinfo=UTC)
    with sessions() as s:
        s.add(event(late, "LATE"))
        s.commit()
    result = run_retention(sessions, NOW, CTX, policy(tmp_path))
    assert [(str(m.month), m.rows, m.file_rows) for m in result.archived] == [("2043-11", 1, 4)]
    rows = parquet(tmp_path / "archive" / "tracking_events-2043-11.parquet")
    assert [(t, w) for t, w, _ in rows] == [
        ("2043-11-15 12:00:00+00", "B"),
        ("2043-11-20 08:00:00+00", "LATE"),
        ("2043-11-30 23:00:00+00", "B"),
        ("2043-11-30 23:59:59.999999+00", "C"),
    ]


def test_folded_inbox_records_older_than_the_age_are_pruned_and_audited(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions)
    with sessions() as s:
        receipt = TrackingReceipt(source="test", received_at=NOW - timedelta(days=20), accepted=3)
        s.add(receipt)
        s.flush()
        for waybill, done in (
            ("old", NOW - timedelta(days=7, seconds=1)),
            ("recent", NOW - timedelta(days=6)),
            ("pending", None),
        ):
            s.add(
                InboxRecord(
                    receipt_id=receipt.id, waybill_no=waybill, status="in_transit",
                    event_time=NOW, source="test", dedup_key=waybill,
                    received_at=NOW - timedelta(days=20), done_at=done,
                )
            )  # fmt: skip
        s.commit()
    result = run_retention(sessions, NOW, CTX, policy(tmp_path))
    assert result.inbox_pruned == 1
    with sessions() as s:
        assert sorted(s.scalars(select(InboxRecord.waybill_no))) == ["pending", "recent"]
    assert audit_actions(sessions)[-1] == ("retention.inbox_pruned", 0, 1)


def test_zero_months_is_refused_by_the_appeal_window(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions)
    with pytest.raises(RetentionRefused) as refused:
        run_retention(sessions, NOW, CTX, policy(tmp_path, keep=0))
    assert refused.value.message == (
        "--keep-months 0 is below the appeal evidence window: appeals may be filed and "
        "reconsidered up to 7 days after a violation; keep at least 1 months"
    )
    assert len(stored_times(sessions)) == len(EVENTS)


def test_events_an_appealable_violation_needs_hold_retention_back(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions)
    with sessions() as s:
        at = datetime(2043, 10, 20, tzinfo=UTC)
        s.add(
            Order(
                id=1, shop_id=1, external_id="o1", status="shipped", paid_at=at,
                amount_fen=1000, quantity=1, created_at=at, updated_at=at,
            )
        )  # fmt: skip
        s.add(Shipment(id=1, order_id=1, key="1", status="in_transit", amount_fen=1000))
        s.flush()
        s.add(event(at, "V", shipment_id=1))
        s.add(
            Violation(
                id=41, shipment_id=1, order_id=1, shop_id=1, profile="douyin",
                rule_id="pickup_timeout", started_at=at, deadline=at, state="open",
                explanation="", detected_at=NOW - timedelta(days=2), updated_at=NOW,
            )
        )  # fmt: skip
        s.commit()
    with pytest.raises(RetentionRefused) as refused:
        run_retention(sessions, NOW, CTX, policy(tmp_path, keep=1))
    assert refused.value.message == (
        "--keep-months 1 would drop tracking events from 2043-10 that violation 41 still needs "
        "as appeal evidence; keep at least 3 months"
    )
    # Past its appeal window the violation no longer holds the events back.
    later = NOW + timedelta(days=6)
    result = run_retention(sessions, later, CTX, policy(tmp_path, keep=1))
    assert [str(m.month) for m in result.archived] == ["2043-10", "2043-11"]


def test_the_command_prints_a_summary_and_refuses_in_the_catalogue_s_words(
    db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    seed(sessions)
    created = len(missing_ahead(db_engine))
    monkeypatch.setenv("LANSHOU_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANSHOU_ENV", "test")
    monkeypatch.setenv("LANSHOU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(
            cli_app, ["retention", "--keep-months", "0", "--now", NOW.isoformat()]
        )
        assert refused.exit_code == 2
        assert "keep at least 1 months" in refused.stderr
        ran = CliRunner().invoke(
            cli_app,
            ["retention", "--keep-months", "1", "--now", NOW.isoformat(),
             "--archive-dir", str(tmp_path / "out")],
        )  # fmt: skip
        # --lang overrides the setting: the refusal and a second run (nothing left) in Chinese.
        refused_zh = CliRunner().invoke(
            cli_app,
            ["retention", "--keep-months", "0", "--now", NOW.isoformat(), "--lang", "zh-CN"],
        )
        again_zh = CliRunner().invoke(
            cli_app,
            ["retention", "--keep-months", "1", "--now", NOW.isoformat(), "--lang", "zh_CN",
             "--archive-dir", str(tmp_path / "out")],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert refused_zh.exit_code == 2
    assert "至少保留 1 个月" in refused_zh.stderr
    assert again_zh.stdout.splitlines() == [
        "保留自 2043-12 起：归档 0 个月，删除 0 条轨迹，预建 0 个分区，清理 0 条收件箱记录"
    ]
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.splitlines() == [
        f"2043-10: 2 events archived to {tmp_path / 'out' / 'tracking_events-2043-10.parquet'} "
        "and dropped",
        f"2043-11: 3 events archived to {tmp_path / 'out' / 'tracking_events-2043-11.parquet'} "
        "and dropped",
        f"kept from 2043-12: 2 months archived, 5 events dropped, {created} partitions created "
        "ahead, 0 inbox records pruned",
    ]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(TrackingEvent)) == 3
