"""The 损失与风险 and 快递管理 dashboards in real Chromium: ECharts is loaded from our own
server, every chart is initialised and drawn at a non-zero size. Screenshots go to
``docs/screenshots/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "lanshou-demo"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _login(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def _charts(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.chart')).map(el => {
        const inst = window.echarts && echarts.getInstanceByDom(el);
        const c = el.querySelector('canvas, svg');
        return {id: el.id, inited: !!inst, series: inst ? inst.getOption().series.length : 0,
                w: c ? c.getBoundingClientRect().width : 0,
                h: c ? c.getBoundingClientRect().height : 0};
    })""")


@pytest.mark.parametrize(
    ("path", "title", "charts", "shot"),
    [
        (
            "/analytics/losses",
            "损失与风险",
            {"chart-daily", "chart-carrier", "chart-rule"},
            "losses-zh.png",
        ),
        ("/analytics/carriers", "快递管理", {"chart-latency", "chart-trend"}, "carriers-zh.png"),
    ],
)
def test_the_dashboards_draw_their_charts(
    page: Any, live_server: LiveServer, path: str, title: str, charts: set[str], shot: str
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, live_server, "merchant")
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # ECharts animates the first draw
    assert page.locator("h1").inner_text() == title
    assert page.locator(".sidenav a.active").inner_text() == title
    found = _charts(page)
    assert {c["id"] for c in found} == charts
    for c in found:
        assert c["inited"] and c["series"] > 0 and c["w"] > 100 and c["h"] > 100, c
    assert errors == []
    assert all(u.startswith(live_server.url) for u in requests)  # no CDN
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)


def test_the_board_shows_breach_probabilities(page: Any, live_server: LiveServer) -> None:
    _login(page, live_server, "merchant")
    page.goto(live_server.url + "/at-risk?sort=risk")
    cells = page.locator("td.risk-prob").all_inner_texts()
    assert cells and any("%" in c for c in cells)
