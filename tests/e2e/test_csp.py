"""The pages with behaviour in JavaScript work under the Content-Security-Policy: no violation
reported in the browser console, and the behaviour is there (countdowns tick, charts draw, the
character counter counts, the reminder text is copied). Screenshots go to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "lanshou-demo"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


class Console:
    """Everything the page reported that CSP or a script error would produce."""

    def __init__(self, page: Any) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(message.text)
        elif message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def merchant(browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, Console]]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    console = Console(page)
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "merchant")
    page.fill("input[name=password]", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("networkidle")
    yield page, console
    context.close()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / name))


def test_the_at_risk_board_counts_down_without_csp_violations(
    merchant: tuple[Any, Console], live_server: LiveServer
) -> None:
    page, console = merchant
    page.goto(f"{live_server.url}/at-risk")
    page.wait_for_load_state("networkidle")
    first = page.locator("[data-deadline]").first
    before = first.inner_text()
    page.wait_for_timeout(1500)
    assert first.inner_text() != before  # at_risk.js ticks
    _shot(page, "csp-at-risk-zh.png")
    assert (console.violations, console.errors) == ([], [])


def test_the_charts_draw_without_csp_violations(
    merchant: tuple[Any, Console], live_server: LiveServer
) -> None:
    page, console = merchant
    page.goto(f"{live_server.url}/analytics/losses")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # ECharts animates the first draw
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('.chart')).map(
        el => !!(window.echarts && echarts.getInstanceByDom(el) && el.querySelector('canvas')))""")
    assert drawn and all(drawn)
    page.locator("#chart-daily canvas").hover()  # the tooltip writes style attributes
    page.wait_for_timeout(300)
    _shot(page, "csp-losses-zh.png")
    period = page.locator("select[data-autosubmit]")
    other = next(
        v
        for v in period.locator("option").evaluate_all("os => os.map(o => o.value)")
        if v != period.input_value()
    )
    with page.expect_navigation():
        period.select_option(other)  # autosubmit.js submits the form
    assert page.url.endswith(f"days={other}")
    assert (console.violations, console.errors) == ([], [])


def test_the_appeal_pages_count_characters_without_csp_violations(
    merchant: tuple[Any, Console], live_server: LiveServer, tmp_path: Path
) -> None:
    page, console = merchant
    page.goto(f"{live_server.url}/violations")
    page.locator("a.btn-primary[href$='/appeal']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("textarea#statement", "快递员未上门揽收。")
    assert page.locator("#statement-count").inner_text() == "9"  # counter.js counts
    photo = tmp_path / "交接照片.jpg"
    Image.new("RGB", (320, 240), "orange").save(photo, "JPEG")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state("networkidle")
    assert "/appeals/" in page.url
    _shot(page, "csp-appeal-case-zh.png")
    assert (console.violations, console.errors) == ([], [])


def test_the_reminder_page_copies_without_csp_violations(
    merchant: tuple[Any, Console], live_server: LiveServer
) -> None:
    page, console = merchant
    page.goto(f"{live_server.url}/at-risk")
    page.locator("a.btn[href^='/reminders/']").first.click()
    page.wait_for_load_state("networkidle")
    page.click("#copy-reminder")
    page.wait_for_timeout(300)
    assert page.locator("#copy-reminder").inner_text() == "已复制"  # reminder.js copied
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#reminder-text").input_value()
    _shot(page, "csp-reminder-zh.png")
    assert (console.violations, console.errors) == ([], [])


def test_the_api_docs_run_their_allowed_inline_script(
    merchant: tuple[Any, Console], live_server: LiveServer
) -> None:
    page, console = merchant
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "lanshou" in page.locator(".swagger-ui .info .title").inner_text()
    assert console.violations == []
