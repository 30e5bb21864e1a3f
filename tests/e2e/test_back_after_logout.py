"""Back after logging out shows the login form, not the case that was open (no-store pages and
``Clear-Site-Data`` on logout; Chromium's back/forward cache would otherwise restore it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.e2e


def test_back_after_logout_does_not_show_the_case(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "merchant")
    page.goto(f"{live_server.url}/violations")
    case_link = page.locator("a[href^='/appeals/']").first
    case_url = live_server.url + case_link.get_attribute("href")
    page.goto(case_url)
    assert page.locator("h1").first.inner_text() != ""
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{live_server.url}/login")
    page.go_back()
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{live_server.url}/login?next=")
    assert page.locator("input[name=password]").count() == 1
