"""A process killed in the middle of a long statement on PostgreSQL does not keep its locks.

PostgreSQL notices a vanished client only when it next talks to it, so without
``client_connection_check_interval`` (set by ``make_engine``) the backend of a SIGKILLed process
runs its statement to the end, holding the advisory lock its transaction took (in the product:
the audit chain's, which every writer takes) — the next writer then waits for as long as the
orphaned statement runs. Here that statement sleeps for ten minutes; the lock must be free again
within the check interval.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from sqlalchemy import Engine, text

from lanshou.adapters.db.engine import CLIENT_CHECK_INTERVAL_MS, make_engine
from tests.conftest import _private_pg_database

LOCK_KEY = 7356099
HOLDER = """
import sys
from sqlalchemy import text
from lanshou.adapters.db.engine import make_engine
with make_engine(sys.argv[1]).connect() as conn:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(sys.argv[2])})
    conn.execute(text("SELECT pg_sleep(600)"))
"""


def _holders(engine: Engine) -> list[str]:
    """The state of every other backend that holds the test's advisory lock."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.objid = :k AND l.granted"
                    " AND a.pid <> pg_backend_pid()"
                ),
                {"k": LOCK_KEY},
            ).scalars()
        )


def test_a_killed_clients_statement_stops_and_frees_its_lock() -> None:
    with _private_pg_database("_orphan") as database:
        url = database.url.render_as_string(hide_password=False)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, str(LOCK_KEY)])
        try:
            deadline = time.monotonic() + 60
            while _holders(database) != ["active"]:
                assert holder.poll() is None and time.monotonic() < deadline, "no lock holder"
                time.sleep(0.2)
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
        killed_at = time.monotonic()
        waiter = make_engine(url)
        try:
            with waiter.connect() as conn:
                conn.execute(text(f"SET lock_timeout = {3 * CLIENT_CHECK_INTERVAL_MS}"))
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                waited = time.monotonic() - killed_at
                conn.rollback()
        finally:
            waiter.dispose()
        assert _holders(database) == []
        assert waited < 3 * CLIENT_CHECK_INTERVAL_MS / 1000
