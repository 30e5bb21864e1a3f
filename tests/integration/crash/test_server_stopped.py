"""``lanshou serve`` stopped the way supervisors stop it exits 0 and loses no accepted batch.

systemd and ``docker stop`` send SIGTERM, a terminal Ctrl-C sends SIGINT; an exit by the signal
(status -15 / 143) or by KeyboardInterrupt reads as a failure to them. A real server with its
background worker, with and without ``--workers``, is stopped while four clients post tracking
batches: it must exit 0 after its worker stopped, and every batch it acknowledged must be judged
(by the stopping worker) or still pending in the inbox for the next start, which judges it once.
On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lanshou.adapters.db.models import InboxRecord, TrackingEvent
from tests.integration.crash.harness import Database, Server
from tests.integration.crash.test_server_killed import Feed, _client_thread, _prepare, _stored

CASES = [
    (signal.SIGTERM, ()),
    (signal.SIGINT, ()),
    (signal.SIGTERM, ("--workers", "2")),
]


def _judged_and_pending(db: Database) -> tuple[set[str], set[str]]:
    """Descriptions of the events judged into the tracking history, and of the inbox records
    still waiting to be judged."""
    engine = db.engine()
    try:
        with engine.connect() as conn:
            judged = set(conn.scalars(select(TrackingEvent.description)))
            pending = set(
                conn.scalars(select(InboxRecord.description).where(InboxRecord.done_at.is_(None)))
            )
        return {str(d) for d in judged}, {str(d) for d in pending}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("sig", "args"), CASES, ids=lambda c: c.name if isinstance(c, signal.Signals) else " ".join(c)
)
def test_a_stopped_server_exits_0_and_every_accepted_batch_is_judged_or_kept(
    crash_database: Database, tmp_path: Path, sig: signal.Signals, args: tuple[str, ...]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    db = crash_database
    token = _prepare(db, tmp_path, now)
    feed = Feed(now)
    server = Server.start(db, tmp_path, *args)  # with its background worker
    answered = threading.Event()
    threads = [
        threading.Thread(target=_client_thread, args=(server.url, token, batches, feed, answered))
        for batches in feed.add_round(0, batches_per_thread=100)
    ]
    for thread in threads:
        thread.start()
    try:
        assert answered.wait(timeout=120), "no batch was answered"
        time.sleep(1.0)  # batches in flight, the drainer judging
        server.process.send_signal(sig)
        status = server.process.wait(timeout=120)
    finally:
        if server.process.poll() is None:
            server.kill()
        for thread in threads:
            thread.join(timeout=120)
    log = server.log.read_text(errors="replace")
    assert status == 0, log
    assert f"{sig.name}" in log
    assert "inbox drainer stopped" in log and "worker stopped" in log, log
    assert feed.failures == []
    acked = {d for b in feed.all_batches() if b.acked for d in b.descriptions}
    assert acked
    judged, pending = _judged_and_pending(db)
    assert acked - judged - pending == set()  # nothing accepted went missing
    assert judged & pending == set()
    # The next start judges what was left, each event once.
    stored = _stored(db, now)
    assert {d: n for d, n in stored.items() if d in acked} == dict.fromkeys(acked, 1)
