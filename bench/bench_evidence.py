"""Evidence files in the database (``DatabaseStorage``, 1 MiB chunks) against the directory
store it replaces as default (``LocalDirectoryStorage``), the same bytes in the same run.

Two shapes: one 20 MB photo, and 50 photos of 200 KB (a case's worth). Random bytes, as
compressed JPEGs are. Each store writes every file in one transaction (as an upload does)
and reads it back; the median of three rounds, each round on fresh keys. The read's peak of
Python allocations (tracemalloc) shows how many copies of a 20 MB file a read holds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from common import BACKENDS, PG_URL, Result, fmt_n, log, pg_drop, pg_scratch, timer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.storage import DatabaseStorage, EvidenceStorage, LocalDirectoryStorage

MB = 1_000_000
SHAPES = {"one 20 MB photo": (1, 20 * MB), "50 photos of 200 KB": (50, 200_000)}
ROUNDS = 3
Timing = tuple[float, float, list[str]]  # store seconds, read seconds, keys


def _engine(backend: str, tmp: Path) -> Engine:
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        url = pg_scratch("lanshou_bench_evidence")
    engine = make_engine(url)
    upgrade(engine)
    return engine


def _round(store: EvidenceStorage, commit: Callable[[], None], files: list[bytes]) -> Timing:
    """Store every file in one transaction, then read each back: (store s, read s, keys)."""
    with timer() as w:
        keys = [store.put(f).sha256 for f in files]
        commit()
    with timer() as r:
        for key, f in zip(keys, files, strict=True):
            assert len(store.get(key)) == len(f)
    return w[0], r[0], keys


def _shape(
    db: DatabaseStorage, sessions: sessionmaker[Session], tmp: Path, count: int, size: int
) -> tuple[dict[str, list[Timing]], str]:
    """ROUNDS rounds of fresh files through both stores; also a key of the first round."""
    measured: dict[str, list[Timing]] = {"db": [], "dir": []}
    for n in range(ROUNDS):
        files = [os.urandom(size) for _ in range(count)]
        with sessions() as session:
            stores = {
                "db": (db.within(session), session.commit),
                "dir": (LocalDirectoryStorage(tmp / f"dir{n}"), lambda: None),
            }
            # Alternate which store goes first, so neither always has the warmer cache.
            for name in ("db", "dir") if n % 2 == 0 else ("dir", "db"):
                store, commit = stores[name]
                measured[name].append(_round(store, commit, files))
    return measured, measured["db"][0][2][0]


def _peak_read(store: EvidenceStorage, key: str) -> int:
    tracemalloc.start()
    store.get(key)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(quick: bool) -> list[Result]:
    lines = [
        "| backend | files | store: database MB/s | directory MB/s | database / directory "
        "| read: database MB/s | directory MB/s | database / directory |",
        "|---|---|---|---|---|---|---|---|",
    ]
    peaks = []
    for backend in BACKENDS:
        with tempfile.TemporaryDirectory(prefix="lanshou-bench-evidence-") as tmp_name:
            tmp = Path(tmp_name)
            engine = _engine(backend, tmp)
            sessions = session_factory(engine)
            db = DatabaseStorage(engine)
            for shape, (count, size) in SHAPES.items():
                measured, key = _shape(db, sessions, tmp, count, size)
                if count == 1:
                    on_disk = LocalDirectoryStorage(tmp / "dir0")
                    peaks.append(
                        f"| {backend} | {fmt_n(_peak_read(db, key) / MB)} MB "
                        f"| {fmt_n(_peak_read(on_disk, key) / MB)} MB |"
                    )
                store = [count * size / MB / statistics.median(t[0] for t in measured[k])
                         for k in ("db", "dir")]  # fmt: skip
                read = [count * size / MB / statistics.median(t[1] for t in measured[k])
                        for k in ("db", "dir")]  # fmt: skip
                lines.append(
                    f"| {backend} | {shape} | {store[0]:,.0f} | {store[1]:,.0f} "
                    f"| {store[0] / store[1]:.2f} | {read[0]:,.0f} | {read[1]:,.0f} "
                    f"| {read[0] / read[1]:.2f} |"
                )
                log(f"evidence: {lines[-1]}")
            engine.dispose()
            if backend == "postgresql":
                pg_drop("lanshou_bench_evidence")
    lines += [
        "",
        "Peak Python allocations while reading the 20 MB photo back:",
        "",
        "| backend | database | directory |",
        "|---|---|---|",
        *peaks,
    ]
    return [
        Result(
            "Evidence store: database (chunked) vs local directory (issue #16)",
            f"LANSHOU_BENCH_DATABASE_URL={PG_URL.split('@')[0]}@… "
            ".venv/bin/python bench/run_all.py --only evidence --no-write",
            lines,
        )
    ]
