"""The to-do home, the header search box, a bulk appeal and the owner's what-if in real Chromium
on the demo world. Screenshots at 1440×900 and 390×844 in both languages go to
``test-results/workbench/``."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).parents[2] / "test-results" / "workbench"
SIZES = ((1440, 900), (390, 844))


def _query(server: LiveServer, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(server.database) as db:
        return db.execute(sql, params).fetchall()


def _open(
    browser: Any, server: LiveServer, username: str, size: tuple[int, int] = (1440, 900)
) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    log_in(page, server, username)
    return page


def _cards(page: Any) -> dict[str, int]:
    return {
        a.get_attribute("href"): int(a.locator(".todo-count").inner_text())
        for a in page.locator("a.todo-card").all()
    }


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / name), full_page=False)


def test_each_role_lands_on_its_to_do_and_each_count_opens_those_rows(
    browser: Any, live_server: LiveServer
) -> None:
    merchant = _open(browser, live_server, "merchant")
    assert merchant.url == f"{live_server.url}/"
    assert merchant.locator("h1").inner_text() == "待办"
    cards = _cards(merchant)
    assert set(cards) == {
        "/at-risk?within=6",
        "/violations?todo=appealable",
        "/violations?todo=reconsider",
        "/tasks",
        "/tasks?overdue=1",
    }
    assert cards["/violations?todo=appealable"] > 0  # the demo has breaches still appealable
    merchant.click("a.todo-card[href='/violations?todo=appealable']")
    merchant.wait_for_load_state("networkidle")
    assert merchant.locator(".violations-table tbody tr").count() == min(
        cards["/violations?todo=appealable"], 200
    )
    merchant.go_back()
    merchant.click("a.todo-card[href='/at-risk?within=6']")
    merchant.wait_for_load_state("networkidle")
    assert merchant.locator("tbody.risk-item").count() == min(cards["/at-risk?within=6"], 100)
    merchant.context.close()

    reviewer = _open(browser, live_server, "reviewer")
    cards = _cards(reviewer)
    assert cards["/review?unclaimed=1"] > 0  # submitted and reconsideration cases are seeded
    reviewer.click("a.todo-card[href='/review?unclaimed=1']")
    reviewer.wait_for_load_state("networkidle")
    assert reviewer.locator("tr[data-appeal]").count() == cards["/review?unclaimed=1"]
    reviewer.context.close()

    cs = _open(browser, live_server, "cs")
    cards = _cards(cs)
    cs.click("a.todo-card[href='/complaints?state=open']")
    cs.wait_for_load_state("networkidle")
    assert cs.locator("tr[id^=complaint-]").count() == cards["/complaints?state=open"]
    cs.context.close()


def test_the_header_search_finds_an_order_by_waybill_and_by_phone_tail(
    browser: Any, live_server: LiveServer
) -> None:
    [(order_id, waybill)] = _query(
        live_server,
        "SELECT o.id, s.waybill_no FROM orders o JOIN shipments s ON s.order_id = o.id "
        "JOIN shops sh ON sh.id = o.shop_id WHERE sh.code = 'demo-dy-hemu' "
        "AND s.waybill_no IS NOT NULL ORDER BY o.id LIMIT 1",
    )
    page = _open(browser, live_server, "merchant")
    page.goto(f"{live_server.url}/violations")
    page.fill(".topbar-search input[name=q]", f" {waybill.lower()} ")
    page.press(".topbar-search input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/orders/{order_id}"
    tails = _query(
        live_server,
        "SELECT o.buyer_phone_tail, count(*) FROM orders o JOIN shops sh ON sh.id = o.shop_id "
        "WHERE sh.code IN ('demo-dy-hemu', 'demo-dy-yuewei') AND o.buyer_phone_tail IS NOT NULL "
        "GROUP BY o.buyer_phone_tail "
        "HAVING count(*) > 1 ORDER BY o.buyer_phone_tail LIMIT 1",
    )
    [(tail, count)] = tails  # several of the merchant's orders share it: a list, one row each
    page.fill(".topbar-search input[name=q]", tail)
    page.press(".topbar-search input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    assert page.locator(".search-results tbody tr").count() == count
    page.fill(".topbar-search input[name=q]", "no-such-order")
    page.press(".topbar-search input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    assert (
        "您的店铺中没有与“no-such-order”匹配的订单。" in page.locator(".search-none").inner_text()
    )
    page.context.close()


def test_filing_appeals_in_bulk_shows_each_draft_before_submitting(
    browser: Any, live_server: LiveServer
) -> None:
    page = _open(browser, live_server, "merchant")
    page.goto(f"{live_server.url}/violations?todo=appealable")
    rows = page.locator("input[data-bulk-row]").count()
    assert rows >= 2
    appeal_button = page.locator("button[name=action][value=appeal]")
    assert appeal_button.is_disabled()  # nothing selected yet
    page.check("input[data-bulk-all]")
    assert page.locator("[data-bulk-count]").inner_text() == f"已选 {rows} 项"
    assert appeal_button.is_enabled()
    page.uncheck("input[data-bulk-all]")
    boxes = page.locator("input[data-bulk-row]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator("[data-bulk-count]").inner_text() == "已选 2 项"
    appeals_before = _query(live_server, "SELECT count(*) FROM appeals")[0][0]
    appeal_button.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "提交前核对申诉"
    drafts = page.locator("section.bulk-draft")
    assert drafts.count() == 2
    for i in range(2):
        assert drafts.nth(i).locator("textarea").input_value().strip() != ""
        assert drafts.nth(i).locator(".bulk-evidence dd").count() == 6
    assert _query(live_server, "SELECT count(*) FROM appeals")[0][0] == appeals_before
    drafts.nth(1).locator("input[name=confirm]").uncheck()
    drafts.nth(0).locator("textarea").fill("快递员当天未上门揽收，已电话催促两次。")
    page.click("form.bulk-appeals button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".bulk-summary").inner_text() == "完成 1 项，未完成 0 项。"
    assert page.locator(".bulk-results tbody tr").count() == 1
    assert _query(live_server, "SELECT count(*) FROM appeals")[0][0] == appeals_before + 1
    [(state, statement)] = _query(
        live_server, "SELECT state, statement FROM appeals ORDER BY id DESC LIMIT 1"
    )
    assert (state, statement) == ("submitted", "快递员当天未上门揽收，已电话催促两次。")
    page.context.close()


def _money(text: str) -> str:
    found = re.search(r"¥[\d,]+\.\d\d", text)
    assert found, text
    return found.group(0)


def test_the_owners_what_if_starts_from_the_losses_page(
    browser: Any, live_server: LiveServer
) -> None:
    page = _open(browser, live_server, "merchant")
    page.goto(f"{live_server.url}/analytics/losses?days=30")
    net = _money(page.locator(".stat-card.stat-bad").inner_text())
    page.goto(f"{live_server.url}/analytics/whatif")
    page.check("input[name=kind][value=rule]")
    page.fill("input[name=hours]", "12")
    page.select_option("select[name=days]", "30")
    page.click(".whatif-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    baseline = page.locator(".whatif-baseline").inner_text()
    assert f"净损失（与损失页一致）：{net}。" in baseline
    assert page.locator("#table-whatif tfoot th").nth(4).inner_text() == net
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_new_pages(
    browser: Any, live_server: LiveServer, size: tuple[int, int], locale: str
) -> None:
    page = _open(browser, live_server, "merchant", size)
    lang = "zh_CN" if locale == "zh-CN" else "en"
    page.click(f"form.lang-switch button[value={lang}]")
    page.wait_for_load_state("networkidle")
    tag = f"{size[0]}-{locale}"
    try:
        page.goto(f"{live_server.url}/")
        _shot(page, f"home-{tag}.png")
        page.goto(f"{live_server.url}/violations?todo=appealable")
        boxes = page.locator("input[data-bulk-row]")
        boxes.nth(0).check()
        _shot(page, f"violations-bulk-{tag}.png")
        page.click("button[name=action][value=appeal]")
        page.wait_for_load_state("networkidle")
        _shot(page, f"bulk-appeals-review-{tag}.png")
        page.goto(f"{live_server.url}/at-risk")
        _shot(page, f"at-risk-bulk-{tag}.png")
        page.goto(f"{live_server.url}/search?q=0000x")
        _shot(page, f"search-none-{tag}.png")
        page.goto(f"{live_server.url}/analytics/whatif?kind=rule&rule=pickup_timeout&hours=12")
        _shot(page, f"whatif-{tag}.png")
        reviewer = _open(browser, live_server, "reviewer", size)
        reviewer.click(f"form.lang-switch button[value={lang}]")
        reviewer.wait_for_load_state("networkidle")
        reviewer.goto(f"{live_server.url}/")
        _shot(reviewer, f"home-reviewer-{tag}.png")
        reviewer.click("form.lang-switch button[value=zh_CN]")
        reviewer.context.close()
    finally:
        page.click("form.lang-switch button[value=zh_CN]")  # the other tests expect Chinese
        page.context.close()
