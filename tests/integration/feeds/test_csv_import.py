"""``lanshou import tracking FILE``: files as real exports write them (a BOM, GBK, XLSX; every
offset form; padded lower-case waybills; carrier spellings), read by the one reading layer,
accepted into the inbox in chunks and judged by the drain; rejects beside the file, good rows
kept."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.models import Shipment, TrackingEvent
from lanshou.enforcement.inbox import drain_inbox
from lanshou.enforcement.receipts import receipt_totals
from lanshou.enforcement.rules_context import RulesContext
from lanshou.errors import InvalidInput
from lanshou.imports import import_tracking
from tests.integration.enforcement.world import World, t

CST = timezone(timedelta(hours=8))
SH = ZoneInfo("Asia/Shanghai")
HEADER = ["carrier", "waybill", "time", "status", "location", "description"]
# Rows 2-12 of the file (the header is row 1). Row 5 (a time nobody can read) and row 10 (a
# status outside the vocabulary) are refused; the rows around them land.
ROWS: list[list[Any]] = [
    ["中通", "  75c1 ", "2026-11-02 15:00:00+08", "picked_up", "杭州", "已揽收"],
    ["zhongtong", "75C1", "2026-11-02T07:00:00Z", "picked_up", "杭州", "已揽收"],  # row 2 again
    ["中通快递", "75C1", "2026-11-02 09:00 -05", "in_transit", "上海", ""],  # 14:00 UTC
    ["中通", "75C1", "tomorrow", "in_transit", "", ""],
    ["顺丰", "sf900", "2026-11-03 08:00:00 +0800", "picked_up", "", ""],
    ["SF", "SF900", "2026-11-03T09:00:00+08:00", "in_transit", "", ""],
    ["shunfeng", "Sf900 ", "2026-11-03 10:00", "out_for_delivery", "", ""],  # naive: Shanghai
    ["顺丰速运", "sf900", "2026/11/3 11:00", "delivered", "", ""],
    ["中通", "75C2", "2026-11-03 10:00", "lost", "", ""],
    ["火星快递", "XX9", "2026-11-03 09:00:00", "in_transit", "", ""],
    ["中通", "75c2", "2026-11-02 20:00:00+08:00", "picked_up", "", ""],
]
STATUSES = (
    "awaiting_pickup, created, delivered, exception, in_transit, out_for_delivery, picked_up, "
    "returned"
)
TIME_REASON = "不是有效时间（「tomorrow」无法识别为时间）"
STATUS_REASON = f"「lost」不是可用的状态，可用的有：{STATUSES}"
REJECTS = [
    ["row_number", "column", "reason_code", "reason", *HEADER],
    ["5", "time", "bad_time", TIME_REASON, "中通", "75C1", "tomorrow", "in_transit", "", ""],
    [
        *["10", "status", "unknown_status", STATUS_REASON],
        *["中通", "75C2", "2026-11-03 10:00", "lost", "", ""],
    ],
]


def write_export(path: Path, rows: list[list[Any]], form: str) -> Path:
    """The rows as a spreadsheet program or an export tool writes them."""
    if form == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [HEADER, *rows]:
            sheet.append(row)
        book.save(path)
        return path
    lines = "\r\n".join(",".join(row) for row in [HEADER, *rows]) + "\r\n"
    path.write_bytes(lines.encode(form))
    return path


def stored_events(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as s:
        rows = s.execute(
            select(
                TrackingEvent.waybill_no,
                TrackingEvent.carrier_code,
                TrackingEvent.status,
                TrackingEvent.event_time,
                TrackingEvent.location,
                TrackingEvent.shipment_id,
            ).order_by(TrackingEvent.waybill_no, TrackingEvent.event_time)
        ).all()
    return [(w, c, st, at.astimezone(CST), loc, sid) for w, c, st, at, loc, sid in rows]


@pytest.mark.parametrize(
    ("form", "name"), [("utf-8-sig", "scans.csv"), ("gbk", "scans.csv"), ("xlsx", "scans.xlsx")]
)
def test_an_export_is_read_by_the_shared_reader_and_lands_in_chunks(
    sessions: sessionmaker[Session], tmp_path: Path, form: str, name: str
) -> None:
    w = World(sessions).setup()
    c1 = w.order("C1", t(2, 10), shipped=t(2, 12))
    c2 = w.order("C2", t(2, 10), shipped=t(2, 12))
    rows = [list(r) for r in ROWS]
    if form == "xlsx":  # a spreadsheet keeps a typed-in time as a date cell, without a zone
        rows[10][2] = datetime(2026, 11, 2, 20, 0)
    path = write_export(tmp_path / name, rows, form)

    result = import_tracking(sessions, path, tz=SH, now=t(4), chunk=4)

    assert (result.rows, result.rejected, result.accepted) == (11, 2, 9)
    assert result.receipt_ids == [1, 2, 3]  # 4 + 4 + 1 good rows
    assert result.unknown_carriers == Counter({"火星快递": 1})
    assert drain_inbox(sessions, t(4), RulesContext()).records == 9
    with sessions() as s:
        totals = receipt_totals(s, result.receipt_ids)
        shipments = [s.get_one(Shipment, sid) for sid in (c1, c2)]
        facts = [(sh.status, sh.picked_up_at) for sh in shipments]
        first = (
            s.execute(
                select(TrackingEvent.raw)
                .where(TrackingEvent.status == "picked_up")
                .order_by(TrackingEvent.event_time)
            )
            .scalars()
            .first()
        )
    assert (totals.accepted, totals.judged, totals.stored, totals.duplicates) == (9, 9, 8, 1)
    assert totals.unmatched == 5  # SF900 four times, XX9 once: no order has them yet
    assert stored_events(sessions) == [
        ("75C1", "ZTO", "picked_up", datetime(2026, 11, 2, 15, tzinfo=CST), "杭州", c1),
        ("75C1", "ZTO", "in_transit", datetime(2026, 11, 2, 22, tzinfo=CST), "上海", c1),
        ("75C2", "ZTO", "picked_up", datetime(2026, 11, 2, 20, tzinfo=CST), None, c2),
        ("SF900", "SF", "picked_up", datetime(2026, 11, 3, 8, tzinfo=CST), None, None),
        ("SF900", "SF", "in_transit", datetime(2026, 11, 3, 9, tzinfo=CST), None, None),
        ("SF900", "SF", "out_for_delivery", datetime(2026, 11, 3, 10, tzinfo=CST), None, None),
        ("SF900", "SF", "delivered", datetime(2026, 11, 3, 11, tzinfo=CST), None, None),
        ("XX9", None, "in_transit", datetime(2026, 11, 3, 9, tzinfo=CST), None, None),
    ]
    assert facts == [
        ("in_transit", datetime(2026, 11, 2, 15, tzinfo=CST)),
        ("picked_up", datetime(2026, 11, 2, 20, tzinfo=CST)),
    ]
    # What the file said is kept with the event: the spelling and the time as written.
    assert first == {
        "carrier": "中通",
        "waybill": "75c1",
        "time": "2026-11-02 15:00:00+08",
        "status": "picked_up",
        "location": "杭州",
        "description": "已揽收",
    }
    assert result.rejects_path == tmp_path / f"{path.name}.rejects.csv"
    with result.rejects_path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == REJECTS


def test_judging_each_chunk_books_the_late_pickup_and_a_second_run_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """With a judge the CLI's path drains after each chunk; running the file again adds only
    duplicates (the import is idempotent, chunk by chunk)."""
    w = World(sessions).setup()
    sid = w.order("L1", t(2, 10), shipped=t(2, 12))
    path = write_export(
        tmp_path / "late.csv",
        [["ZTO", " 75l1", "2026-11-04 13:00 +08", "picked_up", "", ""]],
        "utf-8",
    )
    first = import_tracking(sessions, path, tz=SH, now=t(5), judge=RulesContext())
    again = import_tracking(sessions, path, tz=SH, now=t(5), judge=RulesContext())
    with sessions() as s:
        once = receipt_totals(s, first.receipt_ids)
        twice = receipt_totals(s, again.receipt_ids)
        picked = s.get_one(Shipment, sid).picked_up_at
    # Shipped 11-02 12:00, picked up 11-04 13:00: past the 24 h pickup window of douyin.
    assert (once.accepted, once.judged, once.stored, once.violations) == (1, 1, 1, 1)
    assert (twice.accepted, twice.judged, twice.stored, twice.duplicates) == (1, 1, 0, 1)
    assert picked == datetime(2026, 11, 4, 13, tzinfo=CST)
    assert first.rejects_path is None


def test_spreadsheet_dates_need_their_order_and_a_file_without_the_columns_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    w = World(sessions).setup()
    w.order("D1", t(2, 10), shipped=t(2, 12))
    path = write_export(
        tmp_path / "dates.csv",
        [["ZTO", "75D1", "11/3/2026 8:05 PM", "picked_up", "", ""]],
        "utf-8",
    )
    with pytest.raises(InvalidInput, match=r"column 'time' has dates like 1/5/2024"):
        import_tracking(sessions, path, tz=SH, now=t(5))
    result = import_tracking(sessions, path, tz=SH, now=t(5), date_order="mdy")
    assert (result.accepted, result.rejected) == (1, 0)
    drain_inbox(sessions, t(5), RulesContext())
    assert [e[3] for e in stored_events(sessions)] == [datetime(2026, 11, 3, 20, 5, tzinfo=CST)]

    bare = tmp_path / "bare.csv"
    bare.write_text("中通,75D1,2026-11-03 10:00,picked_up\n", encoding="utf-8")
    with pytest.raises(
        InvalidInput,
        match=r"expected the columns carrier, waybill, time, status; missing carrier, waybill",
    ):
        import_tracking(sessions, bare, tz=SH, now=t(5))


def test_the_command_reads_through_the_same_layer_and_exits_1_on_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.adapters.db.engine import make_engine, session_factory
    from lanshou.adapters.db.migrate import upgrade
    from lanshou.entrypoints.cli.app import app
    from lanshou.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    World(session_factory(engine)).setup().order("K1", t(2, 10), shipped=t(2, 12))
    engine.dispose()
    monkeypatch.setenv("LANSHOU_ENV", "dev")
    monkeypatch.setenv("LANSHOU_DATABASE_URL", url)
    get_settings.cache_clear()
    path = write_export(
        tmp_path / "k.csv",
        [
            ["顺丰速运", "75k1", "2026-11-02 15:00 +08", "picked_up", "", ""],
            ["中通", "75K1", "", "in_transit", "", ""],
        ],
        "gbk",
    )
    try:
        args = ["import", "tracking", str(path), "--now", "2026-11-04T00:00:00+08:00"]
        out = CliRunner().invoke(app, args)
        again = CliRunner().invoke(app, [*args, "--lang", "en"])
        waiting = CliRunner().invoke(app, [*args, "--no-judge", "--lang", "en"])
        teleport = ["Teleport Express", "TP1", "2026-11-02 15:00", "picked_up", "", ""]
        unknown = write_export(tmp_path / "u.csv", [teleport], "utf-8")
        zh_unknown = CliRunner().invoke(app, ["import", "tracking", str(unknown), "--no-judge"])
        en_unknown = CliRunner().invoke(
            app, ["import", "tracking", str(unknown), "--lang", "en", "--no-judge"]
        )
    finally:
        get_settings.cache_clear()
    rejects = tmp_path / f"{path.name}.rejects.csv"
    assert out.exit_code == 1, out.output
    assert out.output.splitlines() == [  # Chinese: the default locale
        "2 行：保存 1 条，重复 0 条，0 条尚无对应包裹，无法读取 1 行",
        f"无法读取的行已写入：{rejects}",
    ]
    assert (again.exit_code, again.output.splitlines()) == (
        1,
        [
            "2 rows: 0 stored, 1 duplicates, 0 without a shipment yet, 1 unreadable",
            f"unreadable rows written to: {rejects}",
        ],
    )
    assert waiting.output.splitlines()[0] == (
        "2 rows: 1 accepted, 1 waiting for a worker, 1 unreadable"
    )
    assert zh_unknown.output.splitlines() == [
        "1 行：已接收 1 条，1 条等待后台判定，无法读取 0 行",
        "1 条轨迹的快递公司无法识别：Teleport Express",
    ]
    assert en_unknown.output.splitlines() == [
        "1 rows: 1 accepted, 1 waiting for a worker, 0 unreadable",
        "1 events name an unknown carrier: Teleport Express",
    ]
