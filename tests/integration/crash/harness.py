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
from sqlalchemy import Engine, select

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
        return {**os.environ, "LANSHOU_ENV": "test", "LANSHOU_SECRET_KEY": SECRET,
                "LANSHOU_DATABASE_URL": self.url, "LANSHOU_VAR_DIR": str(self.var_dir)}

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


def run(db: Database, args: Sequence[str], cwd: Path) -> float:
    """Run a command to completion (it must succeed); return how long it took in seconds."""
    started = time.monotonic()
    done = subprocess.run([LANSHOU, *args], env=db.env(), cwd=cwd, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, f"lanshou {' '.join(args)}: {done.stdout}{done.stderr}"
    return time.monotonic() - started


@dataclass
class KillLog:
    """What the kill loop did: the delays it used and how many processes it actually killed."""

    delays: list[float] = field(default_factory=list)
    killed: int = 0


def kill_and_rerun(db: Database, args: Sequence[str], cwd: Path, *, kills: int,
                   clean_seconds: float, rng: random.Random) -> KillLog:
    """Start the command, SIGKILL it after a seeded random delay, ``kills`` times, then let a last
    run finish. A run that ends before its delay counts as done and is not killed."""
    log = KillLog()
    for _ in range(kills):
        delay = rng.uniform(0.1, 0.8) * clean_seconds
        log.delays.append(round(delay, 2))
        proc = subprocess.Popen([LANSHOU, *args], env=db.env(), cwd=cwd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def dump(engine: Engine, *, skip: Sequence[str] = ()) -> Dump:
    """Every table's rows in primary-key order, each row every column's value."""
    out: Dump = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(_canonical(v) for v in row)
                               for row in conn.execute(select(table).order_by(*order))]
    return out


def _canonical(value: Any) -> Any:
    """JSON documents as sorted text, so rows can be compared and hashed."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def final_dump(db: Database, *, skip: Sequence[str] = ()) -> Dump:
    engine = db.engine()
    try:
        return dump(engine, skip=skip)
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
        problems.append(f"{name}: {len(want)} rows expected, {len(got)} found; "
                        f"missing {missing}; unexpected {extra}")
    return problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``lanshou serve`` as a child process on a free local port."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, db: Database, cwd: Path, *args: str) -> Server:
        port = free_port()
        log = (cwd / f"server-{port}.log").open("wb")
        process = subprocess.Popen(
            [LANSHOU, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=db.env(), cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120
        while not server.healthy():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((cwd / f"server-{port}.log").read_text())
            time.sleep(0.2)
        return server

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
