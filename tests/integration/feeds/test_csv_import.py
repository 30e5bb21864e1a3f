"""``lanshou import tracking FILE``: chunks into the inbox, judged by the drain; rejects beside the
file."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Shipment, TrackingEvent
from lanshou.enforcement.inbox import drain_inbox
from lanshou.enforcement.receipts import receipt_totals
from lanshou.enforcement.rules_context import RulesContext
from lanshou.feeds.csv_import import import_tracking_csv
from tests.integration.enforcement.world import World, t

CST = timezone(timedelta(hours=8))


def test_a_csv_is_imported_in_chunks_with_rejects_beside_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    w = World(sessions).setup()
    sid = w.order("C1", t(2, 10), shipped=t(2, 12))
    path = tmp_path / "scans.csv"
    path.write_text(
        "carrier,waybill,time,status,location,description\n"
        "中通,75C1,2026-11-02 15:00:00,picked_up,杭州,已揽收\n"
        "zhongtong,75C1,2026-11-02T07:00:00Z,picked_up,杭州,已揽收\n"  # the same scan again
        "中通,75C1,2026-11-03 09:00:00,in_transit,上海,\n"
        "火星快递,XX9,2026-11-03 09:00:00,in_transit\n"
        "中通,75C1,tomorrow,in_transit\n"
        "中通,75C1\n",
        encoding="utf-8",
    )
    result = import_tracking_csv(sessions, path, tz=ZoneInfo("Asia/Shanghai"), now=t(4), chunk=2)
    ev = result.events
    assert (result.rows, result.rejected) == (6, 2)
    assert (ev.receipt_ids, ev.received, ev.unknown_carriers) == ([1, 2], 4, 1)
    assert drain_inbox(sessions, t(4), RulesContext()).records == 4
    with sessions() as s:
        totals = receipt_totals(s, ev.receipt_ids)
    assert (totals.accepted, totals.judged, totals.stored, totals.duplicates) == (4, 4, 3, 1)
    assert totals.unmatched == 1
    assert result.rejects_path == tmp_path / "scans.csv.rejects.csv"
    with result.rejects_path.open(encoding="utf-8") as fh:
        rejects = list(csv.reader(fh))
    assert rejects == [
        ["line", "error", "carrier", "waybill", "time", "status", "location", "description"],
        ["6", "time: 'tomorrow' is not an ISO 8601 time", "中通", "75C1", "tomorrow", "in_transit"],
        ["7", "expected 4 to 6 columns, found 2", "中通", "75C1"],
    ]
    with sessions() as s:
        shipment = s.get_one(Shipment, sid)
        sources = set(s.execute(select(TrackingEvent.source)).scalars())
    assert (shipment.status, shipment.picked_up_at) == (
        "in_transit",
        datetime(2026, 11, 2, 15, tzinfo=CST),
    )
    assert sources == {"import"}
