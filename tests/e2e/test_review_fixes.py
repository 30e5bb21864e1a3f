"""What issue 15's corrections look like in real Chromium on the demo world of ``make run``.

The appeal window of each violation counts from its breach (deadline + 7 days, not one date for
all); a breach whose window has passed says so; every appeal state is there on first run for the
merchant, the reviewer and customer service; the carriers chart's timeout axis is in percent.
Screenshots of the pages at 1440 and 390 px in both languages go to ``test-results/issue15/``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.e2e

BEIJING = ZoneInfo("Asia/Shanghai")
SHOTS = Path(__file__).parents[2] / "test-results" / "issue15"
WIDTHS = (1440, 390)
APPEAL_STATES = {
    "draft",
    "submitted",
    "under_review",
    "rejected",
    "reconsideration",
    "approved",
    "expired",
}


def _open(browser: Any, server: LiveServer, username: str, width: int, locale: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    log_in(page, server, username)
    _language(page, "zh_CN" if locale == "zh-CN" else "en")
    return page


def _language(page: Any, lang: str) -> None:
    """The switch saves the language on the user: the other tests expect Chinese back."""
    page.click(f"form.lang-switch button[value={lang}]")
    page.wait_for_load_state("networkidle")


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / name), full_page=False)


def _local(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)


def test_each_violation_can_be_appealed_until_its_own_breach_plus_seven_days(
    browser: Any, live_server: LiveServer
) -> None:
    page = _open(browser, live_server, "merchant", 1440, "zh-CN")
    page.goto(f"{live_server.url}/violations")
    rows = page.locator(".violations-table tbody tr").all()
    windows, closed = [], 0
    for row in rows:
        cells = row.locator("td").all_inner_texts()
        deadline, appeal = _local(cells[4]), cells[7]  # after the bulk checkbox and the id
        if "可申诉至" in appeal:
            until = _local(appeal.split("可申诉至", 1)[1].splitlines()[0])
            assert until - deadline == timedelta(days=7), cells
            windows.append(until)
        if "申诉期已于" in appeal:
            closed += 1
            assert "申诉" not in appeal.replace("申诉期已于", "").split("结束")[1], appeal
    assert len(set(windows)) > 1  # not one date for every violation
    assert closed > 0  # the demo's ten days hold breaches whose window has passed
    badges = page.locator(".violations-table [class*='appeal-']").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('appeal-')).slice(7))"
    )
    assert set(badges) >= APPEAL_STATES
    page.context.close()


def test_every_role_finds_real_cases_on_first_run(browser: Any, live_server: LiveServer) -> None:
    reviewer = _open(browser, live_server, "reviewer", 1440, "zh-CN")
    reviewer.goto(f"{live_server.url}/review")
    queue = reviewer.locator("table tbody").first.inner_text()
    assert "复议中" in queue and "审核中" in queue and "已提交" in queue
    reviewer.context.close()
    cs = _open(browser, live_server, "cs", 1440, "zh-CN")
    cs.goto(f"{live_server.url}/complaints")
    complaints = cs.locator("table tbody").first.inner_text()
    assert "买家来电：下单多日仍未揽收" in complaints
    cs.context.close()


def test_the_timeout_trend_axis_is_a_percentage(browser: Any, live_server: LiveServer) -> None:
    page = _open(browser, live_server, "merchant", 1440, "zh-CN")
    page.goto(f"{live_server.url}/analytics/carriers")
    page.wait_for_load_state("networkidle")
    option = page.evaluate(
        """() => { const o = echarts.getInstanceByDom(document.getElementById('chart-trend'))
        .getOption(); return {fmt: o.yAxis[0].axisLabel.formatter,
        max: Math.max(...o.series.flatMap(s => s.data.filter(v => v !== null)))}; }"""
    )
    rates = [
        float(t.rstrip("%"))
        for t in page.locator("#table-carrier tbody tr td:nth-child(7)").all_inner_texts()
        if t.endswith("%")
    ]
    assert option["fmt"] == "{value}%"
    assert max(rates) > 1 and option["max"] > 1  # percent, not a 0.06 fraction
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_the_changed_pages(
    browser: Any, live_server: LiveServer, width: int, locale: str
) -> None:
    page = _open(browser, live_server, "merchant", width, locale)
    tag = f"{width}-{locale}"
    page.goto(f"{live_server.url}/violations")
    _shot(page, f"violations-{tag}.png")
    closed = page.locator(".violations-table tr:has(.window-closed)").first
    vid = closed.get_attribute("id").split("-")[1]
    page.goto(f"{live_server.url}/violations/{vid}/appeal")
    assert page.locator(".window-closed").count() == 1
    assert page.locator("form.appeal-form").count() == 0
    _shot(page, f"appeal-window-closed-{tag}.png")
    page.goto(f"{live_server.url}/violations")
    page.locator(".violations-table a[href^='/appeals/']").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("#contacts").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#contacts").screenshot(path=str(SHOTS / f"case-contacts-{tag}.png"))
    page.goto(f"{live_server.url}/analytics/carriers")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / f"carriers-{tag}.png"), full_page=True)
    page.goto(f"{live_server.url}/at-risk")
    _shot(page, f"at-risk-{tag}.png")
    _language(page, "zh_CN")
    page.context.close()
