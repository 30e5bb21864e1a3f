"""``lanshou serve --workers N``: N uvicorn processes answer, each with its own runtime."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.crash import harness
from tests.integration.crash.harness import Database, Server


def _spawned_children(pid: int) -> int:
    """Children of ``pid`` started by multiprocessing's spawn (uvicorn's worker processes)."""
    found = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == pid and b"spawn_main" in cmdline:
            found += 1
    return found


def test_two_workers_answer_pages_and_the_api(tmp_path: Path) -> None:
    db = Database.sqlite(tmp_path / "lanshou.db")
    server = Server.start(db, tmp_path, "--workers", "2", "--no-worker")
    try:
        assert _spawned_children(server.process.pid) == 2
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for _ in range(4):  # whichever process takes the connection, the same answers
                assert client.get("/api/v1/health").json()["database"] == "ok"
                login = client.get("/login")
                assert login.status_code == 200
                assert 'name="csrf_token"' in login.text
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_server_that_exits_or_never_gets_ready_fails_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.sqlite(tmp_path / "lanshou.db")
    with pytest.raises(RuntimeError, match=r"^lanshou serve --no-such-option: exited 2\n"):
        Server.start(db, tmp_path, "--no-such-option")
    # One that runs but is never ready is killed at the bound (here shortened, and the
    # readiness line made one it never writes).
    monkeypatch.setattr(harness, "READY_WITHIN", 1.0)
    monkeypatch.setattr(harness, "STARTUP_COMPLETE", "a line uvicorn never logs")
    with pytest.raises(RuntimeError, match=r"^lanshou serve --no-worker: not ready in 1.0 s\n"):
        Server.start(db, tmp_path, "--no-worker")
