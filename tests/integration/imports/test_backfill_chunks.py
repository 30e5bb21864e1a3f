"""A backfill whose rows do not follow payment time, imported in small chunks with the fines
re-allocated one shop at a time, books the fines and points a whole-file allocation gives."""
# The chunks mark the shops; the fines are re-allocated once, after the last chunk (fines.py).

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import FineMark, LedgerEntry, Order, Violation
from lanshou.enforcement import fines
from lanshou.imports import stream as import_stream
from tests.integration.imports.helpers import add_carriers
from tests.integration.imports.test_shop_orders_import import HEADER, run, write

CST = timezone(timedelta(hours=8))
SHOPS = ("s1", "s2")
DAYS = (datetime(2025, 12, 1, 8, tzinfo=CST), datetime(2025, 12, 2, 8, tzinfo=CST))
PER_DAY = 60  # pickup violations per shop and day: over the 50 fines the 500-yuan cap allows


def _rows() -> list[str]:
    """Every shop's orders of both days, paid a minute apart, shipped an hour later, never
    picked up; listed in a stride that scatters them over shops, days and minutes."""
    orders = [(s, d, m) for s in range(len(SHOPS)) for d in range(len(DAYS)) for m in range(60)]
    stride = 97  # coprime with the 240 orders: a permutation
    rows = [HEADER]
    for j in range(len(orders)):
        s, d, m = orders[(j * stride) % len(orders)]
        paid = DAYS[d] + timedelta(minutes=m)
        rows.append(
            f"{SHOPS[s]}-{d}-{m:02d},{SHOPS[s]},{paid:%Y-%m-%d %H:%M},100.00,1,浙江,shipped,"
            f"{paid + timedelta(hours=1):%Y-%m-%d %H:%M},顺丰,SF{s}{d}{m:02d}"
        )
    return rows


def test_a_scattered_backfill_in_small_chunks_books_the_whole_file_allocation(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pickup deadlines of a shop-day fall a minute apart, so the caps pick by minute: the
    first 50 are fined 10 yuan (500 a day), the first 20 get 0.1 points (2 a day). Chunks of 7
    rows bring earlier deadlines after later ones; the chunks only mark the shops, and one
    re-allocation after the last chunk books each fine once, with no marks left."""
    monkeypatch.setattr(import_stream, "CHUNK", 7)
    monkeypatch.setattr(fines, "SHOPS_PER_GROUP", 1)
    add_carriers(sessions)

    summary = run(sessions, write(tmp_path / "backfill.csv", _rows()))

    assert (summary.inserted, summary.chunks) == (240, 35)
    with sessions() as s:
        net = s.execute(
            select(
                Order.external_id,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount_fen),
                func.sum(LedgerEntry.points),
            )
            .join(Violation, Violation.id == LedgerEntry.violation_id)
            .join(Order, Order.id == Violation.order_id)
            .where(LedgerEntry.kind.in_(("fine", "points")))
            .group_by(Order.external_id, LedgerEntry.kind)
        ).all()
        reversals = s.execute(
            select(func.count()).where(LedgerEntry.reverses_id.is_not(None))
        ).scalar_one()
        marks = s.execute(select(func.count()).select_from(FineMark)).scalar_one()
    fined = {ext: int(fen) for ext, kind, fen, _ in net if kind == "fine" and fen}
    pointed = {ext: Decimal(pts) for ext, kind, _, pts in net if kind == "points" and pts}
    expected = [
        f"{shop}-{d}-{m:02d}" for shop in SHOPS for d in range(len(DAYS)) for m in range(60)
    ]
    assert fined == {ext: 1000 for ext in expected if int(ext[-2:]) < 50}
    assert pointed == {ext: Decimal("0.1") for ext in expected if int(ext[-2:]) < 20}
    # Nothing booked per chunk to be moved by a later one: every fine booked once, at the end.
    assert (reversals, marks) == (0, 0)
