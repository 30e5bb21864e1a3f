"""The live server fixture fails at once, with the server's stderr, when ``lanshou serve`` exits
before it answers (instead of waiting out its minute), and says so when it never answers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LANSHOU, wait_until_ready


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    stderr = tmp_path / "stderr.log"
    env = {
        **os.environ,
        "LANSHOU_ENV": "dev",
        "LANSHOU_VAR_DIR": str(tmp_path),
        "LANSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'lanshou.db'}",
    }
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [LANSHOU, "serve", *args], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    return proc, stderr


def test_a_server_that_exits_fails_the_wait_with_its_status_and_stderr(tmp_path: Path) -> None:
    proc, stderr = _serve(tmp_path, "--no-such-option")
    try:
        # The full minute as the fixture uses it: an exit is reported, not waited out.
        with pytest.raises(RuntimeError) as failed:
            wait_until_ready(proc, "http://127.0.0.1:9", stderr)
    finally:
        proc.kill()
        proc.wait()
    message = str(failed.value)
    assert message.startswith(
        "lanshou serve exited with status 2 before it answered; its stderr:\n"
    )
    assert "No such option: --no-such-option" in message


def test_a_server_that_never_answers_fails_the_wait_at_the_limit(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "30"])  # alive, never answering
    stderr = tmp_path / "stderr.log"
    stderr.write_text("still starting\n")
    try:
        with pytest.raises(RuntimeError) as failed:
            wait_until_ready(proc, "http://127.0.0.1:9", stderr, within=0.5)
    finally:
        proc.kill()
        proc.wait()
    assert (
        str(failed.value)
        == "lanshou serve did not answer within 0.5 s; its stderr:\nstill starting\n"
    )
