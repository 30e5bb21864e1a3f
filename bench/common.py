"""Shared pieces of the benchmarks: the result type, timing, the machine, scratch databases."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Services sign audit records with a key derived from the process's LANSHOU_SECRET_KEY
# (lanshou.audit.keys); the benchmarks call them without settings.
os.environ.setdefault("LANSHOU_SECRET_KEY", "bench-audit-secret-0123456789abcdef")
# `LANSHOU_BENCH_BACKENDS=postgresql` measures one backend only (e.g. the slow 10 M builds).
BACKENDS = tuple(
    b for b in os.environ.get("LANSHOU_BENCH_BACKENDS", "sqlite,postgresql").split(",") if b
)
PG_URL = os.environ.get(
    "LANSHOU_BENCH_DATABASE_URL",
    os.environ.get(
        "LANSHOU_TEST_DATABASE_URL", "postgresql+psycopg://lanshou@127.0.0.1:55432/lanshou_test"
    ),
)


@dataclass
class Result:
    title: str
    command: str
    lines: list[str] = field(default_factory=list)


@contextmanager
def timer() -> Iterator[list[float]]:
    """`with timer() as t: ...` then `t[0]` holds the elapsed seconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def pg_version() -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            v = str(conn.execute(text("SHOW server_version")).scalar_one())
        engine.dispose()
        return v
    except Exception as exc:  # the machine section must not fail because PG is down
        return f"unavailable ({type(exc).__name__})"


def machine() -> list[str]:
    import duckdb
    import sqlalchemy

    return [
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores)",
        f"- Memory: {memory_gib():.1f} GiB",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg_version()}, "
        f"SQLAlchemy {sqlalchemy.__version__}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Commit: {git_head()}",
    ]


def git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return head + (" (working tree has uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def _scratch_name(name: str) -> str:
    """`name` with LANSHOU_BENCH_DB_SUFFIX, so two benches can run side by side."""
    return name + os.environ.get("LANSHOU_BENCH_DB_SUFFIX", "")


def pg_scratch(name: str) -> str:
    """Create (or recreate) database `name` next to PG_URL's; returns its URL."""
    from sqlalchemy import create_engine, make_url, text

    name = _scratch_name(name)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_drop(name: str) -> None:
    from sqlalchemy import create_engine, text

    name = _scratch_name(name)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def fmt_n(n: float) -> str:
    return f"{n:,.0f}"
