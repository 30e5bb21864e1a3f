"""A tracking stream for the worker crash tests: several scans per shipped order, accepted into
the inbox without judging, and worker processes that judge it as of a fixed time.

Each shipped order of :func:`~tests.integration.crash.data.write_orders` gets a pickup 0–39
hours after shipping (late when over 24), two transit scans and, for most, a delivery; scans
after :data:`~tests.integration.crash.data.NOW` have not happened yet.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from lanshou.adapters.db.models import InboxRecord
from tests.integration.crash.data import CARRIERS, NOW, Window
from tests.integration.crash.harness import LANSHOU, Database

_LOCAL = "%Y-%m-%d %H:%M:%S"
Scan = tuple[str, str, datetime, str, str, str]  # carrier, waybill, time, status, where, text


def scans(window: Window) -> list[Scan]:
    """The stream in the order a carrier would send it: by time."""
    out: list[Scan] = []
    for i in range(window.n):
        if i % 10 == 0:
            continue  # never shipped
        carrier, waybill = CARRIERS[i % 3], f"WB{i:08d}"
        pickup = window.paid_at(i) + timedelta(hours=2 + i % 5 + (i * 13) % 40)
        steps = [
            (pickup, "picked_up", "杭州", "已揽收"),
            (pickup + timedelta(hours=3), "in_transit", "杭州转运中心", "已发出"),
            (pickup + timedelta(hours=9), "in_transit", "上海转运中心", "已到达"),
        ]
        if i % 4:
            steps.append((pickup + timedelta(hours=20), "delivered", "上海", "已签收"))
        out += [(carrier, waybill, at, status, where, text) for at, status, where, text in steps]
    return sorted((s for s in out if s[2] <= NOW), key=lambda s: (s[2], s[1]))


def write_scans(path: Path, stream: list[Scan]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["carrier", "waybill", "time", "status", "location", "description"])
        for carrier, waybill, at, status, where, text in stream:
            out.writerow([carrier, waybill, at.strftime(_LOCAL), status, where, text])


BATCH = 100  # records a worker claims per transaction here: many commits to fall between


class Inbox:
    """How many inbox records are not yet judged (dead letters included: none may be)."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine()

    def pending(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).where(InboxRecord.done_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


def pending(db: Database) -> int:
    inbox = Inbox(db)
    try:
        return inbox.pending()
    finally:
        inbox.close()


def start_worker(db: Database, cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    """``lanshou worker --no-sweep --now NOW`` in a session of its own (its drainer processes
    die with it when the group is killed)."""
    log = (cwd / "worker.log").open("ab")
    try:
        return subprocess.Popen(
            [LANSHOU, "worker", "--no-sweep", "--now", NOW.isoformat(), *args],
            env={**db.env(), "LANSHOU_INBOX_BATCH": str(BATCH)},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the worker and every process it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _drainers_started(cwd: Path) -> int:
    log = cwd / "worker.log"
    return log.read_text().count("inbox drainer started") if log.exists() else 0


def drain_with_workers(
    db: Database, cwd: Path, workers: int = 1, timeout: float = 240
) -> tuple[float, float]:
    """Start ``workers`` worker processes, wait until the inbox is judged, stop them as a
    process manager would (SIGTERM); return how long they took to start (to the first
    commit) and then to judge the rest."""
    started = time.monotonic()
    ready_before = _drainers_started(cwd)
    processes = [start_worker(db, cwd) for _ in range(workers)]
    inbox = Inbox(db)
    try:
        first, first_commit = inbox.pending(), None
        while left := inbox.pending():
            if first_commit is None and left < first:
                first_commit = time.monotonic()
            assert time.monotonic() - started < timeout, (cwd / "worker.log").read_text()[-3000:]
            for p in processes:
                assert p.poll() is None, (cwd / "worker.log").read_text()[-3000:]
            time.sleep(0.05)
        ended = time.monotonic()
        first_commit = first_commit or ended
        took = (first_commit - started, ended - first_commit)
        # The inbox may be empty before a worker is up (the killed runs finished it): a SIGTERM
        # before its handler is installed ends it as the signal's default does. Stop only
        # workers that are running, as a process manager's health check would.
        while _drainers_started(cwd) < ready_before + workers:
            assert time.monotonic() - started < timeout, (cwd / "worker.log").read_text()[-3000:]
            time.sleep(0.05)
        for p in processes:
            p.terminate()
        for p in processes:
            assert p.wait(timeout=60) == 0
        return took
    finally:
        inbox.close()
        for p in processes:
            if p.poll() is None:
                kill_group(p)
