"""Issue 15, plain words: a file over the upload limit is answered on the form itself, in the
user's language, with what to do, not with an HTTP status or a bare error page.

A server of its own with the evidence limit set low (LANSHOU_EVIDENCE_MAX_FILE_BYTES, 20 KB),
so a small photo is already too large; the form is looked at on a phone (390 px) in Chinese
and in English (docs/screenshots/upload-too-large-390-*.png).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import LANSHOU, LiveServer, _free_port, log_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
LIMIT = 20 * 1024
MESSAGES = {
    "zh_CN": (
        "文件「现场照片.png」太大：每个文件最大 20 KB。"
        "请缩小后重新上传（例如降低照片分辨率、截短录音）。"
    ),
    "en": (
        "The file 现场照片.png is too large: each file may be at most 20 KB. Make it smaller "
        "(a photo at a lower resolution, a shorter recording) and upload it again."
    ),
}
HINTS = {
    "zh_CN": "每轮最多 5 张图片，每个文件最大 20 KB。可上传照片、截图、PDF、通话录音和聊天记录。",
    "en": "Up to 5 images per round, at most 20 KB per file. Photos, screenshots, PDF, call "
    "recordings and chat exports.",
}


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A demo world of its own, served as ``live_server`` serves one, with a 20 KB limit."""
    var = tmp_path_factory.mktemp("e2e-small-limits")
    database = var / "lanshou.db"
    env = {
        **os.environ,
        "LANSHOU_ENV": "dev",
        "LANSHOU_VAR_DIR": str(var),
        "LANSHOU_DATABASE_URL": f"sqlite:///{database}",
        "LANSHOU_EVIDENCE_MAX_FILE_BYTES": str(LIMIT),
    }
    seeded = subprocess.run(
        [LANSHOU, "demo", "seed", "--orders", "300", "--days", "10"],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stderr.decode(errors="replace")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (var / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [LANSHOU, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (var / "server.log").read_text(errors="replace")
                try:
                    if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "lanshou serve did not answer in 60 s"
                time.sleep(0.3)
            yield LiveServer(url, database)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _photo(path: Path) -> Path:
    """A PNG of noise, which does not compress: well over the 20 KB limit."""
    Image.frombytes("RGB", (160, 160), os.urandom(160 * 160 * 3)).save(path, "PNG")
    assert path.stat().st_size > 3 * LIMIT
    return path


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_file_over_the_limit_is_explained_on_the_form(
    browser: Any, small_limits: LiveServer, tmp_path: Path, lang: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, small_limits, "merchant")
        switch = page.locator(f".lang-switch button[value={lang}]")
        if switch.get_attribute("aria-pressed") != "true":
            switch.click()
            page.wait_for_load_state("networkidle")
        page.goto(f"{small_limits.url}/violations")
        appeal = page.locator("a.btn-primary[href$='/appeal']").first.get_attribute("href")
        page.goto(small_limits.url + appeal)
        page.wait_for_load_state("networkidle")
        assert page.locator("form p.small.muted").first.inner_text() == HINTS[lang]
        page.fill("textarea#statement", "快递员未上门揽收，附现场照片。")
        page.set_input_files("input[name=files]", str(_photo(tmp_path / "现场照片.png")))
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("button[name=action][value=submit]")
        page.wait_for_load_state("networkidle")
        assert answer.value.status == 413
        alert = page.locator(".alert-error[role=alert]")
        assert alert.count() == 1 and alert.is_visible()
        assert alert.inner_text().strip() == MESSAGES[lang]
        # the statement the merchant wrote is still there, ready to send with a smaller file
        assert page.locator("textarea#statement").input_value() == "快递员未上门揽收，附现场照片。"
        fit = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fit is True
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        html_lang = "zh-CN" if lang == "zh_CN" else "en"
        page.screenshot(path=str(SCREENSHOTS / f"upload-too-large-390-{html_lang}.png"))
    finally:
        context.close()
