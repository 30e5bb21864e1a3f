"""The appeal walk-through in real Chromium against ``lanshou serve`` with the demo world.

A merchant appeals a violation with a photo; a reviewer claims and rejects it; the merchant asks
for reconsideration with new evidence; a second reviewer approves; the case page shows the
reversal (冲销) and the dossier downloads with its PDF summary.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import User
from lanshou.domain.roles import Role
from lanshou.identity.auth import create_user
from tests.e2e.conftest import LiveServer
from tests.pdf_tools import pdf_pages_png

pytestmark = pytest.mark.e2e

PASSWORD = "lanshou-demo"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _jpeg(path: Path, color: str) -> Path:
    Image.new("RGB", (320, 240), color).save(path, "JPEG")
    return path


@pytest.fixture
def second_reviewer(live_server: LiveServer) -> str:
    """The demo has one reviewer; a second one is made through the auth service."""
    engine = create_engine(f"sqlite:///{live_server.database}")
    with Session(engine) as s:
        exists = s.execute(select(User.id).where(User.username == "reviewer2")).first()
        if exists is None:
            create_user(
                s, "reviewer2", PASSWORD, Role.REVIEWER, "赵敏（审核员）", [], datetime.now(UTC)
            )
            s.commit()
    engine.dispose()
    return "reviewer2"


@pytest.fixture
def login_as(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield open_as
    for context in contexts:
        context.close()


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def _flash(page: Any) -> str:
    """The success message at the top of the page, which must be in view."""
    box = page.locator(".flash")
    assert box.count() == 1 and box.is_visible() and box.get_attribute("role") == "status"
    assert box.bounding_box()["y"] < page.viewport_size["height"]
    return str(box.inner_text()).strip()


def _decide(page: Any, outcome: str, reason_code: str, comment: str) -> None:
    page.check(f"input[name=outcome][value={outcome}]")
    page.select_option("select[name=reason_code]", reason_code)
    page.fill("textarea[name=comment]", comment)
    page.click(".decision-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_appeal_rejected_reconsidered_approved_and_archived(
    login_as: Any, live_server: LiveServer, second_reviewer: str, tmp_path: Path
) -> None:
    url = live_server.url
    merchant = login_as("merchant")
    merchant.goto(f"{url}/violations")
    assert merchant.locator("h1").inner_text() == "违规与申诉"
    button = merchant.locator("a.btn-primary[href$='/appeal']").first
    assert button.inner_text() == "申诉"
    button.click()
    merchant.wait_for_load_state("networkidle")
    assert merchant.locator("h1").inner_text() == "提交申诉"
    statement = merchant.locator("textarea#statement")
    assert statement.input_value()  # drafted from the facts
    statement.fill("快递员未上门揽收，附交接照片。")
    assert merchant.locator("#statement-count").inner_text() == "15"  # live counter
    merchant.set_input_files("input[name=files]", str(_jpeg(tmp_path / "交接照片.jpg", "orange")))
    merchant.click("button[name=action][value=submit]")
    merchant.wait_for_load_state("networkidle")
    assert merchant.locator(".page-head .badge").inner_text() == "已提交"
    appeal_id = int(merchant.url.rsplit("/", 1)[1])
    assert merchant.locator("img.evidence-img").count() == 1
    # each action ends on a page that says what it did, once (a signed cookie, no script)
    assert _flash(merchant) == f"申诉 #{appeal_id} 已提交，审核结果会显示在本页。"
    merchant.reload()
    assert merchant.locator(".flash").count() == 0

    reviewer = login_as("reviewer")
    reviewer.goto(f"{url}/review")
    assert reviewer.locator("h1").inner_text() == "申诉审核"
    row = reviewer.locator(f"tr[data-appeal='{appeal_id}']")
    assert row.count() == 1
    _shot(reviewer, "review-queue-zh.png")
    row.locator("button", has_text="认领").click()
    reviewer.wait_for_load_state("networkidle")
    assert reviewer.url.endswith(f"/review/{appeal_id}")
    assert _flash(reviewer) == f"已认领申诉 #{appeal_id}，请在下方记录审核结论。"
    _decide(reviewer, "rejected", "insufficient_evidence", "照片无法证明揽收时间")
    assert reviewer.locator(".page-head .badge").inner_text() == "已驳回"
    assert _flash(reviewer) == f"审核结论已记录：申诉 #{appeal_id} 驳回。"

    merchant.goto(f"{url}/appeals/{appeal_id}")
    assert "照片无法证明揽收时间" in merchant.locator("main").inner_text()
    merchant.fill("textarea#reconsider", "快递员车辆故障未上门，附新的交接照片与聊天记录。")
    merchant.set_input_files(
        ".reconsider-form input[name=files]", str(_jpeg(tmp_path / "新照片.jpg", "teal"))
    )
    merchant.click(".reconsider-form button[type=submit]")
    merchant.wait_for_load_state("networkidle")
    assert merchant.locator(".page-head .badge").inner_text() == "复议中"
    assert _flash(merchant) == f"申诉 #{appeal_id} 的复议已提交，重新进入审核。"

    second = login_as(second_reviewer)
    second.goto(f"{url}/review/{appeal_id}")
    second.click("form[action$='/claim'] button")
    second.wait_for_load_state("networkidle")
    _decide(second, "approved", "carrier_fault", "快递方责任，撤销处罚")
    assert second.locator(".page-head .badge").inner_text() == "申诉通过"
    assert _flash(second) == f"审核结论已记录：申诉 #{appeal_id} 通过，处罚已撤销。"

    merchant.goto(f"{url}/appeals/{appeal_id}")
    assert merchant.locator(".page-head .badge").inner_text() == "申诉通过"
    ledger = merchant.locator(".ledger-table")
    assert ledger.locator(".reversal-tag").count() >= 1
    assert "冲销" in ledger.inner_text()
    assert ledger.locator(".ledger-net").inner_text() == "¥0.00"
    _shot(merchant, "appeal-case-zh.png", full_page=True)

    with merchant.expect_download() as info:
        merchant.click(f"a[href='/appeals/{appeal_id}/dossier']")
    download = info.value
    assert download.suggested_filename == f"appeal-{appeal_id}.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    pdf = archive.read("summary.pdf")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "summary.pdf").write_bytes(pdf)
    assert len([n for n in archive.namelist() if n.startswith("evidence/")]) >= 2
    # The summary's first page as a reviewer's viewer shows it (kept with the screenshots).
    first = pdf_pages_png(pdf, tmp_path / "pages", dpi=100)[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(first, SCREENSHOTS / "dossier-summary-zh.png")
    _explained_in_both_languages(merchant, appeal_id)


def _explained_in_both_languages(page: Any, appeal_id: int) -> None:
    """判定说明 on the case page: five labelled lines, the two deadlines labelled apart; the
    same in English (the user's language is put back afterwards)."""
    lines = page.locator("dl.explanation > div")
    assert lines.locator("dt").all_inner_texts() == ["起算", "违规截止", "完成", "结论", "后果"]
    assert "申诉通过后已退回" in lines.nth(4).inner_text()
    facts = page.locator("section.panel dl.facts").first.locator("dt").all_inner_texts()
    assert "违规截止" in facts and "审核截止" in facts and "截止" not in facts
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("networkidle")
    assert lines.locator("dt").all_inner_texts() == [
        "Start",
        "Breach deadline",
        "Completion",
        "Verdict",
        "Consequences",
    ]
    assert "returned after the appeal was approved" in lines.nth(4).inner_text()
    assert not re.search(r"[\u4e00-\u9fff]", lines.locator("dd").all_inner_texts()[4])
    page.locator("dl.explanation").scroll_into_view_if_needed()
    _shot(page, "appeal-case-en.png", full_page=True)
    page.click(".lang-switch button[value=zh_CN]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/appeals/{appeal_id}")
