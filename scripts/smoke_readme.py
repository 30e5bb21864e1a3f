"""CI stage "README": what the README promises a newcomer, done the way a newcomer does it.

A fresh clone of this repository runs ``make run`` (its own virtualenv from the lock, migrations,
demo data, the server); the demo merchant logs in through the login form in Chromium and finds
rows on the at-risk board (a screenshot is saved); then README commands run as written in the
clone's directory, with no LANSHOU_* variable set, so they rely on the ``.env`` that ``make run``
wrote. Any failure exits non-zero. The server's whole process group is stopped at the end and
must be gone.

Run it with the main checkout's virtualenv, which has Playwright: ``bash scripts/smoke-readme.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DEMO_USER, DEMO_PASSWORD = "merchant", "lanshou-demo"
AT_RISK_PATH = "/at-risk"  # src/lanshou/entrypoints/web/routes/at_risk.py
STARTED = time.monotonic()


class SmokeFailure(Exception):
    """A promise of the README that did not hold."""


def say(message: str) -> None:
    print(f"[smoke-readme +{time.monotonic() - STARTED:.0f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def newcomer_env() -> dict[str, str]:
    """This process's environment without any LANSHOU_* setting: only .env may configure."""
    return {key: value for key, value in os.environ.items() if not key.startswith("LANSHOU_")}


def log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def get_health(base: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as answer:
            return dict(json.load(answer))
    except (OSError, urllib.error.URLError, ValueError):
        return None


@contextmanager
def make_run(clone: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``make run`` in its own process group; on leaving, the whole group is stopped."""
    say(f"$ make run HOST=127.0.0.1 PORT={port}   (log: {log})")
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["make", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=clone,
            env=newcomer_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield server
    finally:
        stop_group(server)


def stop_group(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to make and everything under it; SIGKILL after 20 s. No process may be left."""
    group = server.pid  # start_new_session: the group's id is make's pid
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and group_alive(group):
        server.poll()
        time.sleep(0.2)
    if group_alive(group):
        os.killpg(group, signal.SIGKILL)
        server.wait()
        raise SmokeFailure(f"process group {group} ignored SIGTERM for 20 s; killed")
    server.wait()
    say(f"server stopped (process group {group} is empty)")


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_health(server: subprocess.Popen[bytes], base: str, log: Path, timeout: float) -> None:
    """Poll the health endpoint while ``make run`` installs, migrates and seeds."""
    deadline = time.monotonic() + timeout
    last_note = 0.0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SmokeFailure(f"make run exited with {server.returncode}:\n{log_tail(log)}")
        health = get_health(base)
        if health is not None:
            if health.get("status") != "ok":
                raise SmokeFailure(f"GET /api/v1/health answered {health}")
            say(f"ok: GET /api/v1/health -> {json.dumps(health)}")
            return
        if time.monotonic() - last_note > 20:
            last_note = time.monotonic()
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            say(f"waiting for the server; make run says: {lines[-1][:120] if lines else '…'}")
        time.sleep(1)
    raise SmokeFailure(f"no healthy server after {timeout:.0f} s:\n{log_tail(log)}")


def check_banner(log: Path) -> None:
    """The README: "The terminal prints the address and the demo logins"."""
    text = log.read_text(encoding="utf-8", errors="replace")
    for expected in ("is running at http://127.0.0.1:", "Demo logins", DEMO_USER):
        if expected not in text:
            raise SmokeFailure(f"make run did not print {expected!r}:\n{log_tail(log)}")
    say("ok: make run printed the address and the demo logins")


def browse_at_risk_board(base: str, screenshot: Path) -> str:
    """Log in through the form, open the at-risk board, return the first row's order number."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/login")
            page.fill('input[name="username"]', DEMO_USER)
            page.fill('input[name="password"]', DEMO_PASSWORD)
            with page.expect_navigation():
                page.click('form[action="/login"] button[type="submit"]')
            if "/login" in page.url:
                raise SmokeFailure(f"the login form did not log {DEMO_USER} in ({page.url})")
            say(f"ok: logged in as {DEMO_USER} through the login form -> {page.url}")
            answer = page.goto(f"{base}{AT_RISK_PATH}")
            if answer is None or answer.status != 200:
                raise SmokeFailure(f"GET {AT_RISK_PATH}: {answer.status if answer else 'none'}")
            rows = page.locator("table.risk-table tbody.risk-item")
            count = rows.count()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
            say(f"screenshot of the at-risk board: {screenshot}")
            if count == 0:
                raise SmokeFailure("the at-risk board shows no rows for the demo merchant")
            order = rows.first.locator("a.mono").inner_text().strip()
            say(f"ok: the at-risk board shows {count} rows, the first is order {order}")
        finally:
            browser.close()
    if errors:
        raise SmokeFailure(f"JavaScript errors on the pages: {errors}")
    return order


def run_readme_commands(clone: Path, order: str) -> None:
    """README commands as a newcomer types them in the directory of ``make run``."""
    lanshou = str(clone / ".venv" / "bin" / "lanshou")
    commands = [
        ["report", "--json"],
        ["scorecard"],
        ["sweep"],
        ["explain", order],
        ["audit", "verify"],
        ["whatif", "--profile", "douyin", "--set", "pickup_timeout.hours=12"],
    ]
    for args in commands:
        shown = "lanshou " + " ".join(args)
        done = subprocess.run(
            [lanshou, *args],
            cwd=clone,
            env=newcomer_env(),
            check=False,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise SmokeFailure(f"{shown} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        first = done.stdout.strip().splitlines()[:1]
        say(f"ok: {shown} -> {first[0][:100] if first else '(no output)'}")
        if args == ["report", "--json"]:
            json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds for make run to answer (it builds its virtualenv first)",
    )
    parser.add_argument(
        "--screenshot", type=Path, default=REPO / "test-results" / "smoke-readme" / "at-risk.png"
    )
    parser.add_argument("--keep", action="store_true", help="keep the clone for a look")
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        say(f"FAILED: {CHROMIUM} is missing (bash scripts/test-services.sh installs it)")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="lanshou-readme-"))
    clone = workdir / "lanshou"
    try:
        say(f"$ git clone {REPO} {clone}")
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = workdir / "make-run.log"
        with make_run(clone, port, log) as server:
            wait_for_health(server, base, log, options.timeout)
            check_banner(log)
            order = browse_at_risk_board(base, options.screenshot)
            run_readme_commands(clone, order)
    except (SmokeFailure, subprocess.CalledProcessError, subprocess.TimeoutExpired) as failure:
        say(f"FAILED: {failure}")
        return 1
    finally:
        if options.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    say("passed: make run in a fresh clone, login, at-risk board, README commands")
    return 0


if __name__ == "__main__":
    sys.exit(main())
