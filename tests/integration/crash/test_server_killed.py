"""The server killed with SIGKILL while clients post tracking batches loses nothing it answered.

Four client threads post batches of 50 events to ``POST /api/v1/tracking/events`` of a real
``lanshou serve`` process; after a seeded random time the process is killed, twice (a new server
in between). Every event of a batch that got a 2xx answer must then be in the database. Finally a
fresh server receives every batch that was sent again, as a client that never saw an answer
would resend it, and each event is stored exactly once. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from lanshou.adapters.db.engine import session_factory
from lanshou.adapters.db.models import InboxRecord, TrackingEvent, TrackingReceipt
from lanshou.domain.roles import Role
from lanshou.enforcement.inbox import drain_inbox
from lanshou.enforcement.rules_context import RulesContext
from lanshou.identity.auth import Principal, create_integration_token, create_user
from tests.integration.crash.data import CARRIERS, Window, write_orders
from tests.integration.crash.harness import Database, Server, run

SEED = int(os.environ.get("LANSHOU_CRASH_SEED", "20261203"))
ORDERS, THREADS, BATCH, KILLS = 300, 4, 50, 2


@dataclass
class Batch:
    events: list[dict[str, Any]]
    sent: bool = False
    acked: bool = False

    @property
    def descriptions(self) -> set[str]:
        return {e["description"] for e in self.events}


@dataclass
class Feed:
    """The batches each client thread will send, in order. The description makes each event a
    scan of its own (it is part of the dedup key), whatever its waybill and time."""

    now: datetime
    threads: list[list[Batch]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # answers that were neither 2xx nor lost

    def add_round(self, number: int, batches_per_thread: int) -> list[list[Batch]]:
        shipped = [i for i in range(ORDERS) if i % 10 != 0]
        round_batches = []
        for t in range(THREADS):
            batches = []
            for b in range(batches_per_thread):
                events = []
                for j in range(BATCH):
                    i = shipped[(b * BATCH + j) % len(shipped)]
                    events.append(
                        {
                            "carrier": CARRIERS[i % 3],
                            "waybill": f"WB{i:08d}",
                            "time": (
                                self.now - timedelta(hours=20) + timedelta(seconds=b * BATCH + j)
                            ).isoformat(),
                            "status": "in_transit",
                            "location": "上海转运中心",
                            "description": f"scan {number}-{t}-{b}-{j}",
                        }
                    )
                batches.append(Batch(events))
            round_batches.append(batches)
        self.threads += round_batches
        return round_batches

    def all_batches(self) -> list[Batch]:
        return [b for thread in self.threads for b in thread]


def _post(client: httpx.Client, batch: Batch) -> bool | None:
    """True: answered 2xx; False: answered otherwise; None: no answer (the server died)."""
    batch.sent = True
    try:
        response = client.post("/api/v1/tracking/events", json={"events": batch.events})
    except httpx.HTTPError:
        return None
    batch.acked = response.is_success
    return batch.acked


def _client_thread(
    url: str, token: str, batches: list[Batch], feed: Feed, answered: threading.Event
) -> None:
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        for batch in batches:
            outcome = _post(client, batch)
            if outcome is None:
                return
            if not outcome:
                feed.failures.append(f"{batch.events[0]['description']}: refused")
            answered.set()


def _prepare(db: Database, tmp_path: Path, now: datetime) -> str:
    """Orders shipped a day or two ago, an administrator and its integration token."""
    write_orders(
        tmp_path / "orders.csv",
        Window(ORDERS, start=now - timedelta(days=3), span=timedelta(days=1)),
    )
    run(
        db,
        [
            "import",
            "orders",
            str(tmp_path / "orders.csv"),
            "--source",
            "generic",
            "--now",
            now.isoformat(),
        ],
        tmp_path,
    )
    engine = db.engine()
    with session_factory(engine)() as s:
        admin = create_user(s, "feed-admin", "feed-admin-password", Role.ADMIN, "Feed", [], now)
        actor = Principal(admin.id, admin.username, admin.display_name, Role.ADMIN, None)
        token, _ = create_integration_token(s, actor, "carrier feed", now)
        s.commit()
    engine.dispose()
    return token


def _stored(db: Database, now: datetime) -> dict[str, int]:
    """Each stored event's description and how many rows carry it, once what the server
    accepted into the tracking inbox is drained (it runs without its worker) by the worker's
    own function: every record judged, every receipt complete, no dead letter."""
    engine = db.engine()
    try:
        drained = drain_inbox(session_factory(engine), now, RulesContext())
        assert drained.dead_letters == 0
        with engine.connect() as conn:
            # every accepted record judged, every receipt complete
            assert (
                conn.execute(select(func.count()).where(InboxRecord.done_at.is_(None))).scalar_one()
                == 0
            )
            assert (
                conn.execute(
                    select(func.count()).where(TrackingReceipt.judged_at.is_(None))
                ).scalar_one()
                == 0
            )
            query = select(TrackingEvent.description, func.count()).group_by(
                TrackingEvent.description
            )
            return {str(d): int(n) for d, n in conn.execute(query)}
    finally:
        engine.dispose()


def test_every_acknowledged_batch_survives_a_killed_server(
    crash_database: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    db = crash_database
    token = _prepare(db, tmp_path, now)
    feed, rng = Feed(now), random.Random(SEED)
    for number in range(KILLS):
        server = Server.start(db, tmp_path, "--no-worker")
        answered = threading.Event()
        threads = [
            threading.Thread(
                target=_client_thread, args=(server.url, token, batches, feed, answered)
            )
            for batches in feed.add_round(number, batches_per_thread=400)
        ]
        for thread in threads:
            thread.start()
        assert answered.wait(timeout=120), "no batch was answered before the kill"
        time.sleep(rng.uniform(0.5, 3.0))
        server.kill()
        for thread in threads:
            thread.join(timeout=120)
        assert feed.failures == []
        stored = _stored(db, now)
        acked = [b for b in feed.all_batches() if b.acked]
        lost = [d for b in acked for d in b.descriptions if d not in stored]
        assert lost == [], f"{len(lost)} acknowledged events are missing after kill {number + 1}"
        in_flight = [b for b in feed.all_batches() if b.sent and not b.acked]
        assert acked and in_flight, "the kill should fall between answered and unanswered batches"

    server = Server.start(db, tmp_path, "--no-worker")
    sent = [b for b in feed.all_batches() if b.sent]
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        assert all(_post(client, batch) for batch in sent), "a resent batch was not accepted"
    server.stop()
    expected = {d: 1 for b in sent for d in b.descriptions}
    assert _stored(db, now) == expected
