"""End-to-end fixtures: the real ``lanshou serve`` process and real Chromium via Playwright.

Chromium is Debian's (/usr/bin/chromium); ``make test`` installs it when missing. Without it the
browser tests skip loudly on a laptop and fail under CI=true.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import missing_service

CHROMIUM = "/usr/bin/chromium"
LANSHOU = str(Path(sys.executable).with_name("lanshou"))


@dataclass(frozen=True)
class LiveServer:
    url: str
    database: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Migrate, seed a small demo world and serve it, exactly as ``make run`` does."""
    var = tmp_path_factory.mktemp("e2e-var")
    database = var / "lanshou.db"
    env = {
        **os.environ,
        "LANSHOU_ENV": "dev",
        "LANSHOU_VAR_DIR": str(var),
        "LANSHOU_DATABASE_URL": f"sqlite:///{database}",
    }
    subprocess.run(
        [LANSHOU, "demo", "seed", "--orders", "300", "--days", "10"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = _free_port()
    log = (var / "server.log").open("w")
    proc = subprocess.Popen(
        [LANSHOU, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(var / 'server.log').read_text()}")
            time.sleep(0.3)
        yield LiveServer(url, database)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        missing_service(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


DEMO_PASSWORD = "lanshou-demo"


def log_in(page: Any, server: LiveServer, username: str) -> None:
    """Through the login form, as a person would; waits until the landing page has loaded."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("networkidle")
