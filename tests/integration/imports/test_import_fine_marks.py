"""`import orders` re-allocates fines once after its last chunk. Under Douyin's own caps (500
yuan a shop-day, 0.1 points each, 2 a day, 6 a week) an unsorted backfill books the fines and
points the re-allocation after every chunk booked before; killed between chunks, the marks it
leaves are honoured by the sweep, and the run that completes the file ends the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import FineMark, LedgerEntry, Order, Shop, Violation
from lanshou.enforcement import run_sweep
from lanshou.imports import service as import_service
from lanshou.imports import stream as import_stream
from lanshou.imports.run import ImportRun
from lanshou.settings import load_settings
from tests.integration.imports.helpers import CTX, NOW, add_carriers
from tests.integration.imports.test_shop_orders_import import HEADER, run, write

CST = timezone(timedelta(hours=8))
MONDAY = datetime(2025, 12, 1, 8, tzinfo=CST)  # an ISO week's Monday
DAYS = 4  # Monday to Thursday: the week's 6 points are used up by Wednesday
PER_DAY = 55  # pickup violations per shop and day: over the 50 fines the 500-yuan cap allows
SETTINGS = load_settings(env="test", secret_key="x" * 32)


def _rows(prefix: str) -> list[str]:
    """Two shops' orders of four days, paid a minute apart, shipped an hour later, never picked
    up; listed in a stride that scatters them over shops, days and minutes."""
    orders = [(s, d, m) for s in range(2) for d in range(DAYS) for m in range(PER_DAY)]
    stride = 97  # coprime with the 440 orders: a permutation
    rows = [HEADER]
    for j in range(len(orders)):
        s, d, m = orders[(j * stride) % len(orders)]
        paid = MONDAY + timedelta(days=d, minutes=m)
        rows.append(
            f"{s}-{d}-{m:02d},{prefix}{s},{paid:%Y-%m-%d %H:%M},100.00,1,浙江,shipped,"
            f"{paid + timedelta(hours=1):%Y-%m-%d %H:%M},顺丰,SF{prefix}{s}{d}{m:02d}"
        )
    return rows


def _nets(sessions: sessionmaker[Session], prefix: str) -> dict[tuple[str, str], object]:
    """Net fine (fen) and points per order of the shops named ``prefix``…, where not zero."""
    with sessions() as s:
        rows = s.execute(
            select(
                Order.external_id,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount_fen),
                func.sum(LedgerEntry.points),
            )
            .join(Violation, Violation.id == LedgerEntry.violation_id)
            .join(Order, Order.id == Violation.order_id)
            .join(Shop, Shop.id == Order.shop_id)
            .where(LedgerEntry.kind.in_(("fine", "points")), Shop.code.startswith(prefix))
            .group_by(Order.external_id, LedgerEntry.kind)
        ).all()
    out: dict[tuple[str, str], object] = {}
    for ext, kind, fen, pts in rows:
        value = int(fen) if kind == "fine" else Decimal(pts)
        if value:
            out[(ext, kind)] = value
    return out


def _marks(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(FineMark)).scalar_one()


def test_a_deferred_import_books_what_reallocating_after_every_chunk_booked(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 11 rows. Per shop and day the first 50 pickup violations (by minute) are fined
    10 yuan; Monday to Wednesday the first 20 get 0.1 points, Thursday none (the week's 6)."""
    monkeypatch.setattr(import_stream, "CHUNK", 11)
    add_carriers(sessions)
    expected: dict[tuple[str, str], object] = {}
    for s in range(2):
        for d in range(DAYS):
            for m in range(PER_DAY):
                if m < 50:
                    expected[(f"{s}-{d}-{m:02d}", "fine")] = 1000
                if m < 20 and d < 3:
                    expected[(f"{s}-{d}-{m:02d}", "points")] = Decimal("0.1")

    summary = run(sessions, write(tmp_path / "marked.csv", _rows("marked")))
    assert (summary.inserted, summary.chunks) == (440, 40)
    assert _marks(sessions) == 0
    with sessions() as s:
        reversals = s.execute(
            select(func.count()).where(LedgerEntry.reverses_id.is_not(None))
        ).scalar_one()
    assert reversals == 0  # each fine booked once, after the last chunk
    assert _nets(sessions, "marked") == expected

    # Before marks: every chunk re-allocated its shops at once, reversing what earlier ones booked.
    writer = import_service.OrderWriter

    def per_chunk(*args: object, **kw: object) -> object:
        kw["defer_fines"] = False
        return writer(*args, **kw)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(import_service, "OrderWriter", per_chunk)
        run(sessions, write(tmp_path / "per-chunk.csv", _rows("chunked")))
    assert _nets(sessions, "chunked") == expected

    # Killed after 25 chunks: their shops stay marked, and the sweep books their fines.
    flush = ImportRun.flush
    done = []

    def killed(self: ImportRun, *args: object) -> None:
        if len(done) == 25:
            raise KeyboardInterrupt
        done.append(1)
        flush(self, *args)  # type: ignore[arg-type]

    path = write(tmp_path / "killed.csv", _rows("killed"))
    with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):
        m.setattr(ImportRun, "flush", killed)
        run(sessions, path)
    assert _marks(sessions) == 2
    assert _nets(sessions, "killed") == {}
    swept = run_sweep(sessions, NOW, SETTINGS, ctx=CTX)
    assert _marks(sessions) == 0
    part = _nets(sessions, "killed")
    assert swept.evaluation.ledger_moves == len(part) > 0
    # ... what a whole re-allocation of the first 275 rows books; the run again completes it.
    summary = run(sessions, path)
    assert (summary.inserted, summary.unchanged) == (440 - 275, 275)
    assert _marks(sessions) == 0
    assert _nets(sessions, "killed") == expected
