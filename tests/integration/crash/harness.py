"""Run lanshou commands as real processes, kill them with SIGKILL, compare databases.

A SIGKILL gives the process no chance to clean up: whatever it had not committed is gone, and a
re-run must pick up from what it had. The comparison is a canonical dump of every table (rows in
primary-key order, every column), so "equal" means byte-for-byte the same data.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, make_url, select, text

from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.models import Base

LANSHOU = str(Path(sys.executable).with_name("lanshou"))
SECRET = "crash-test-secret-key-0123456789"  # the same key in every run: same audit hashes
Dump = dict[str, list[tuple[Any, ...]]]


@dataclass
class Database:
    """A database and the environment that points lanshou processes at it: a SQLite file
    (``path``) or a private PostgreSQL database (``url`` alone)."""

    url: str
    var_dir: Path
    path: Path | None = None

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        return cls(f"sqlite:///{path}", path.parent / "var", path)

    @classmethod
    def from_template(cls, template: Path, directory: Path) -> Database:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, directory / "lanshou.db")
        return cls.sqlite(directory / "lanshou.db")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LANSHOU_ENV": "test",
            "LANSHOU_SECRET_KEY": SECRET,
            "LANSHOU_DATABASE_URL": self.url,
            "LANSHOU_VAR_DIR": str(self.var_dir),
        }

    def copy_to(self, directory: Path) -> Database:
        """A copy of this SQLite database (it must not be open for writing)."""
        assert self.path is not None, "only SQLite files are copied"
        directory.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                shutil.copy(source, directory / f"lanshou.db{suffix}")
        return Database.sqlite(directory / "lanshou.db")

    def engine(self) -> Engine:
        return make_engine(self.url)


class Databases:
    """Makes migrated databases that lanshou processes reach through the environment: SQLite
    files copied from the migrated template, or PostgreSQL databases created from a migrated
    one (``CREATE DATABASE … TEMPLATE``), dropped when the test ends."""

    def __init__(
        self, root: Path, sqlite_template: Path, pg_base: Engine | None, pg_admin_url: str
    ) -> None:
        self.root, self.sqlite_template, self.pg_base = root, sqlite_template, pg_base
        self._admin = (
            make_engine(pg_admin_url).execution_options(isolation_level="AUTOCOMMIT")
            if pg_base is not None
            else None
        )
        self._made: list[str] = []

    def fresh(self, label: str) -> Database:
        if self.pg_base is None:
            return Database.from_template(self.sqlite_template, self.root / label)
        return self._pg_copy(self.pg_base.url.database or "", label)

    def copy(self, db: Database, label: str) -> Database:
        """A copy of ``db``, which no process may be using."""
        if db.path is not None:
            return db.copy_to(self.root / label)
        return self._pg_copy(make_url(db.url).database or "", label)

    def _pg_copy(self, source: str, label: str) -> Database:
        assert self._admin is not None and self.pg_base is not None
        name = f"{source}_{label}"
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        self._made.append(name)
        url = self.pg_base.url.set(database=name).render_as_string(hide_password=False)
        return Database(url, self.root / label / "var")

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in reversed(self._made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def run(db: Database, args: Sequence[str], cwd: Path) -> float:
    """Run a command to completion (it must succeed); return how long it took in seconds."""
    started = time.monotonic()
    done = subprocess.run(
        [LANSHOU, *args],
        env=db.env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"lanshou {' '.join(args)}: {done.stdout}{done.stderr}"
    return time.monotonic() - started


@dataclass
class KillLog:
    """What the kill loop did: the delays it used and how many processes it actually killed."""

    delays: list[float] = field(default_factory=list)
    killed: int = 0


def kill_and_rerun(
    db: Database,
    args: Sequence[str],
    cwd: Path,
    *,
    kills: int,
    clean_seconds: float,
    rng: random.Random,
) -> KillLog:
    """Start the command, SIGKILL it after a seeded random delay, ``kills`` times, then let a last
    run finish. A run that ends before its delay counts as done and is not killed."""
    log = KillLog()
    for _ in range(kills):
        delay = rng.uniform(0.1, 0.8) * clean_seconds
        log.delays.append(round(delay, 2))
        proc = subprocess.Popen(
            [LANSHOU, *args],
            env=db.env(),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            log.killed += 1
        else:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            assert proc.returncode == 0, f"lanshou {' '.join(args)} failed: {stderr}"
        finally:
            if proc.stderr:
                proc.stderr.close()
    run(db, args, cwd)
    return log


def dump(engine: Engine, *, skip: Sequence[str] = (), renumber: bool = False) -> Dump:
    """Every table's rows in primary-key order, each row every column's value.

    ``renumber`` is for PostgreSQL, where a killed transaction still used up the sequence values
    it drew: ids then differ from a clean run's by the gaps, and so do the audit hashes that
    cover them. Every id (and every reference to one) becomes its row's position in its table,
    and the audit chain's hashes are left out (``lanshou audit verify`` checks those). Also,
    PostgreSQL returns rows without an ORDER BY in whatever order they lie, which a killed and
    resumed run leaves different: one transaction's ledger entries and audit records may then be
    written in another order, and so are the analytics tables' rows (a cache rebuilt by
    delete and insert). Those tables are compared as sets of rows, a ledger entry named by its
    content rather than its position; the analytics watermarks (highest ids seen) are left out.
    """
    tables = [t for t in Base.metadata.sorted_tables if t.name not in skip]
    raw: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            raw[table.name] = [
                dict(row._mapping) for row in conn.execute(select(table).order_by(*order))
            ]
    if renumber:
        _renumber(raw)
    out = {
        name: [tuple(_canonical(v) for v in row.values()) for row in rows]
        for name, rows in raw.items()
    }
    if renumber:
        for name in out:
            if name in ORDER_FREE or name.startswith(ANALYTICS):
                out[name] = sorted(out[name], key=repr)
    return out


# Audit records name their entity by type and id; their JSON data names related rows by key.
AUDITED_TABLES = {
    "violation": "violations",
    "ledger_entry": "ledger_entries",
    "shipment": "shipments",
    "order": "orders",
    "appeal": "appeals",
    "complaint": "complaints",
    "exemption": "exemptions",
}
DATA_KEYS = {
    "violation_id": "violations",
    "reverses_id": "ledger_entries",
    "order_id": "orders",
    "shipment_id": "shipments",
    "appeal_id": "appeals",
}
ORDER_FREE = ("ledger_entries", "audit_events")
ANALYTICS = "analytics_"
WATERMARKS = ("ledger_id", "shipment_id", "deadline_id", "violation_id", "event_id")


def _renumber(raw: dict[str, list[dict[str, Any]]]) -> None:
    positions = {
        name: {row["id"]: n for n, row in enumerate(rows)}
        for name, rows in raw.items()
        if rows and "id" in rows[0]
    }

    def position(table: str, value: Any) -> Any:
        return value if value is None else positions.get(table, {}).get(value, ("?", value))

    references = {
        table.name: {
            column.name: next(iter(column.foreign_keys)).column.table.name
            for column in table.columns
            if column.foreign_keys
        }
        for table in Base.metadata.sorted_tables
    }
    for name, rows in raw.items():
        for row in rows:
            if name in positions:
                row["id"] = positions[name][row["id"]]
            for column, target in references[name].items():
                row[column] = position(target, row[column])
            if name == "audit_events":
                row["hash"] = row["prev_hash"] = None
                audited = AUDITED_TABLES.get(row["entity_type"])
                if audited:
                    row["entity_id"] = position(audited, row["entity_id"])
                row["data"] = {
                    k: position(DATA_KEYS[k], v) if k in DATA_KEYS else v
                    for k, v in (row["data"] or {}).items()
                }
    _name_ledger_entries_by_content(raw)
    for name, rows in raw.items():
        if name.startswith(ANALYTICS):
            for row in rows:
                for column in ("id", *WATERMARKS) if name == "analytics_state" else ("id",):
                    if column in row:
                        row[column] = None


def _name_ledger_entries_by_content(raw: dict[str, list[dict[str, Any]]]) -> None:
    """Replace a ledger entry's position, wherever it is referred to, by what it books."""
    ledger = raw.get("ledger_entries", [])
    content = {
        row["id"]: (
            row["shop_id"],
            row["violation_id"],
            row["kind"],
            row["amount_fen"],
            str(row["points"]),
            str(row["booked_at"]),
            row["memo"],
        )
        for row in ledger
    }
    for row in ledger:
        row["id"], row["reverses_id"] = None, content.get(row["reverses_id"])
    for row in raw.get("audit_events", []):
        row["id"] = None
        if row["entity_type"] == "ledger_entry":
            row["entity_id"] = content.get(row["entity_id"])
        if "reverses_id" in row["data"]:
            row["data"]["reverses_id"] = content.get(row["data"]["reverses_id"])


def _canonical(value: Any) -> Any:
    """JSON documents as sorted text, so rows can be compared and hashed."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def final_dump(db: Database, *, skip: Sequence[str] = ()) -> Dump:
    """The dump of a database, renumbered on PostgreSQL (see :func:`dump`)."""
    engine = db.engine()
    try:
        return dump(engine, skip=skip, renumber=db.path is None)
    finally:
        engine.dispose()


def differences(expected: Dump, actual: Dump, limit: int = 3) -> list[str]:
    """A readable list of the tables that differ, with their first differing rows."""
    problems = []
    for name in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(name, []), actual.get(name, [])
        if want == got:
            continue
        want_set, got_set = set(want), set(got)
        extra = [r for r in got if r not in want_set][:limit]
        missing = [r for r in want if r not in got_set][:limit]
        problems.append(
            f"{name}: {len(want)} rows expected, {len(got)} found; "
            f"missing {missing}; unexpected {extra}"
        )
    return problems


# How long a server may take to start: a readiness wait, not a measurement, so generous (a
# loaded CI machine has taken over a minute for two workers); a server that exits or never
# becomes ready still fails.
READY_WITHIN = 600.0
STARTUP_COMPLETE = "Application startup complete."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``lanshou serve`` as a child process on a free local port."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, db: Database, cwd: Path, *args: str) -> Server:
        port = free_port()
        log = (cwd / f"server-{port}.log").open("wb")
        process = subprocess.Popen(
            [LANSHOU, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=db.env(),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        server = cls(process, f"http://127.0.0.1:{port}", cwd / f"server-{port}.log")
        processes = int(args[args.index("--workers") + 1]) if "--workers" in args else 1
        deadline = time.monotonic() + READY_WITHIN
        while not server.ready(processes):
            # A server that exits fails at once; one that hangs, after the generous bound.
            exited = process.poll()
            if exited is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                why = f"exited {exited}" if exited is not None else f"not ready in {READY_WITHIN} s"
                raise RuntimeError(
                    f"lanshou serve {' '.join(args)}: {why}\n{server.log.read_text()}"
                )
            time.sleep(0.2)
        return server

    def ready(self, processes: int = 1) -> bool:
        """Every uvicorn process has finished its start-up (its own log line each, so with
        ``--workers N`` all N are up, not just the first) and the health check answers."""
        started = self.log.read_text(errors="replace").count(STARTUP_COMPLETE)
        return started >= processes and self.healthy()

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
