"""The dossier's PDF as a platform reviewer reads it: its text (pdftotext), its fonts (pdffonts)
and its pages as pictures (pdftoppm). One case: filed with a photo, a call logged, rejected,
reconsidered with a chat export, approved; 3.00 compensation, 10.00 fine and 2 points booked
and all reversed by the approval."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.models import Violation
from lanshou.enforcement import ledger
from lanshou.entrypoints.cli import appeals as appeals_cli
from tests.integration.appeals.conftest import jpeg_bytes
from tests.integration.web.world import bearer, csrf_of, login
from tests.pdf_tools import pdf_fonts, pdf_lines, pdf_pages_png, pdf_text

API = "/api/v1"
PHOTO = jpeg_bytes()
DIGEST = hashlib.sha256(PHOTO).hexdigest()


def _book_points(sessions: sessionmaker[Session], violation_id: int) -> None:
    with sessions() as s:
        ledger.book(
            s,
            shop_id=1,
            violation_id=violation_id,
            kind="points",
            amount_fen=0,
            points=Decimal(2),
            at=s.get_one(Violation, violation_id).detected_at,
            memo="pickup_timeout points",
            actor="system",
        )
        s.commit()


def _approved_case(client: TestClient, violation_id: int, contact_name: str = "西湖网点") -> int:
    """File with a photo, log a call, reject, reconsider with a chat export, approve."""
    merchant = bearer(client, "merchant")
    created = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": "快递员未上门揽收"},
        headers=merchant,
    )
    aid = int(created.json()["id"])
    up = client.post(
        f"{API}/appeals/{aid}/evidence", files={"file": ("交接照片.jpg", PHOTO)}, headers=merchant
    )
    assert up.status_code == 201, up.text
    assert client.post(f"{API}/appeals/{aid}/submit", headers=merchant).status_code == 200
    login(client, "merchant")
    logged = client.post(
        f"/appeals/{aid}/contacts",
        data={
            "csrf_token": csrf_of(client.get(f"/appeals/{aid}").text),
            "counterpart_kind": "outlet",
            "counterpart_name": contact_name,
            "channel": "phone",
            "summary": "网点称车辆故障，次日上门",
            "occurred_at": "2026-11-03T14:05",
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303, logged.text
    reviewer = bearer(client, "reviewer")
    assert client.post(f"{API}/appeals/{aid}/claim", headers=reviewer).status_code == 200
    rejected = client.post(
        f"{API}/appeals/{aid}/decision",
        headers=reviewer,
        json={
            "outcome": "rejected",
            "reason_code": "insufficient_evidence",
            "comment": "照片无时间",
        },
    )
    assert rejected.status_code == 200, rejected.text
    chat = client.post(
        f"{API}/appeals/{aid}/evidence",
        files={"file": ("chat.txt", "13:00 催促快递员上门，对方称车坏了".encode())},
        headers=merchant,
    )
    assert chat.status_code == 201, chat.text
    again = client.post(
        f"{API}/appeals/{aid}/reconsider",
        headers=merchant,
        json={"statement": "快递员车辆故障未上门，附聊天记录"},
    )
    assert again.status_code == 200, again.text
    approved = client.post(
        f"{API}/appeals/{aid}/decision",
        headers=bearer(client, "reviewer2"),
        json={"outcome": "approved", "reason_code": "carrier_fault", "comment": "同意"},
    )
    assert approved.status_code == 200, approved.text
    return aid


def _summary(client: TestClient, aid: int, locale: str) -> bytes:
    """summary.pdf of the dossier downloaded from the case page in ``locale``."""
    client.cookies.set("lanshou_locale", locale)
    response = client.get(f"/appeals/{aid}/dossier")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.content)).read("summary.pdf")


def _flat(pdf: bytes) -> str:
    """All text with whitespace made single spaces: a wrapped table cell reads as one phrase."""
    return " ".join(pdf_text(pdf).split())


def test_the_chinese_summary_states_facts_times_money_and_points_plainly(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    _book_points(sessions, violation_id)
    aid = _approved_case(client, violation_id)
    pdf = _summary(client, aid, "zh-CN")
    lines = pdf_lines(pdf)
    expected = [
        f"申诉资料汇总（申诉 #{aid}）",
        "运单号 顺丰 · WBA000",
        "规则 揽收超时",
        "违规状态 已冲销",
        "判定时间 2026-11-03 12:00:00",
        "申诉状态 申诉通过 · 第 2 轮",
        "审核截止 —",
        "二、判定说明",
        "起算 2026-11-02 12:00:00（自发货起算）",
        "违规截止 2026-11-03 12:00:00（起算后 24 个自然小时）",
        "完成 尚无首次揽收扫描",
        "结论 截止前未完成，截至 2026-11-04 12:00:00 已超时 1天0小时；申诉通过，处罚已撤销",
        "后果 已处罚：赔付 ¥3.00、罚款 ¥10.00、2分；申诉通过后已退回：¥13.00、2分",
        "时间 操作 状态 操作人 备注",
        "2026-11-04 12:00:00 已创建 — → 草稿 Merchant —",
        "2026-11-04 12:00:00 驳回 审核中 → 已驳回 Reviewer 证据不足；照片无时间",
        "2026-11-04 12:00:00 申诉复议 已驳回 → 复议中 Merchant —",
        "2026-11-04 12:00:00 通过 审核中 → 申诉通过 Reviewer 2 快递方责任；同意",
        "#1 交接照片.jpg",
        "拍摄 2026-11-03 09:15:00（EXIF）",
        "上传时间 2026-11-04 12:00:00",
        # The photo's hash in two lines of four 8-digit groups: never cut inside a group.
        " ".join(DIGEST[i : i + 8] for i in range(0, 32, 8)),
        " ".join(DIGEST[i : i + 8] for i in range(32, 64, 8)),
        "2026-11-03 14:05:00 网点 · 西湖网点 电话 网点称车辆故障，次日上门",
        "结果 申诉通过",
        "原因 快递方责任",
        "审核意见 同意",
        "项目 已处罚 申诉追回 仍需承担",
        "赔付 ¥3.00 ¥3.00 ¥0.00",
        "罚款 ¥10.00 ¥10.00 ¥0.00",
        "金额合计 ¥13.00 ¥13.00 ¥0.00",
        "扣分（非金额） 2分 2分 0分",
        "#3 扣分 2分 2026-11-03 12:00:00 揽收超时 · 扣分",
        "#4 赔付 -¥3.00 2026-11-04 12:00:00 冲销 #1：申诉 #1 通过",
        "#6 扣分 -2分 2026-11-04 12:00:00 冲销 #3：申诉 #1 通过",
    ]
    assert [line for line in expected if line not in lines] == []
    text = pdf_text(pdf)
    # No engine output: no ISO times, microseconds, UTC offsets, snake_case codes or money-points.
    assert (
        re.findall(
            r"\d{2}:\d{2}:\d{2}\.\d|\dT\d{2}:\d{2}|[+]0[08]:00", text.split("导出时审计链头")[0]
        )
        == []
    )
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []
    assert "¥0.00 分" not in text and "合计 0.00 元" not in text and "扣分 ¥" not in text
    chat_row = next(line for line in lines if line.startswith("#3 chat.txt"))
    assert chat_row.startswith("#3 chat.txt 聊天记录或文档 2026-11-04 12:00:00 ")


def test_the_english_summary_is_in_english(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    _book_points(sessions, violation_id)
    aid = _approved_case(client, violation_id)
    pdf = _summary(client, aid, "en")
    flat = _flat(pdf)
    for phrase in (
        f"Appeal dossier (appeal #{aid}) 1. Facts",
        "Rule Pickup timeout Violation state Reversed",
        "Appeal state Approved · Round 2",
        "2. Why it was judged a violation Start 2026-11-02 12:00:00 (from shipping) "
        "Breach deadline 2026-11-03 12:00:00 (24 hours after the start) "
        "Completion First pickup scan: none yet",
        "Verdict Not done by the deadline; 1d 0h overdue as of 2026-11-04 12:00:00; "
        "the penalty was reversed on appeal",
        "Consequences Booked: Compensation ¥3.00, Fine ¥10.00, 2 points; "
        "returned after the appeal was approved: ¥13.00, 2 points",
        "Captured 2026-11-03 09:15:00 (EXIF)",
        "#2 system-round1.json System evidence 2026-11-04 12:00:00",  # no word cut in two
        "2026-11-03 14:05:00 Outlet · 西湖网点 Phone",
        "Outcome Approved Reason Carrier at fault",
        "Money total ¥13.00 ¥13.00 ¥0.00",
        "Points (not money) 2 points 2 points 0 points",
        "Reversal of #1: Appeal #1 approved",
    ):
        assert phrase in flat, phrase
    # Han characters only where the merchant or the world wrote them (names, statement, notes).
    own_words = {
        "甜橙小铺",
        "交接照片",
        "西湖网点",
        "网点称车辆故障",
        "次日上门",
        "照片无时间",
        "同意",
        "快递员车辆故障未上门",
        "附聊天记录",
        "揽收超时",
    }
    joined = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", flat)  # wrapped cells
    han = set(re.findall(r"[\u4e00-\u9fff]+", joined))
    assert han - own_words == set()


def test_the_font_is_embedded_and_the_pages_show_the_photo(  # type: ignore[no-untyped-def]
    client, violation_id, tmp_path
) -> None:
    aid = _approved_case(client, violation_id)
    pdf = _summary(client, aid, "zh-CN")
    fonts = pdf_fonts(pdf)
    assert fonts, "no font listed"
    assert {(f["name"].split("+")[1], f["type"], f["emb"], f["sub"], f["uni"]) for f in fonts} == {
        ("NotoSansCJKsc-Regular", "TrueType", "yes", "yes", "yes")
    }
    pages = pdf_pages_png(pdf, tmp_path / "pages")
    assert len(pages) == 3
    # The JPEG is drawn as a thumbnail: a block of its red on the page with the evidence.
    reds = []
    for page in pages:
        with Image.open(page) as img:
            rgb = img.convert("RGB")
            reds.append(
                sum(1 for r, g, b in rgb.get_flattened_data() if r > 200 and g < 60 and b < 60)
            )
    assert reds[0] == 0 and reds[1] > 10_000 and reds[2] == 0, reds


def test_a_character_outside_the_shipped_font_is_still_shown(  # type: ignore[no-untyped-def]
    client, violation_id
) -> None:
    """堃 is not in GB 2312: drawn in the reader's own CJK font rather than lost."""
    aid = _approved_case(client, violation_id, contact_name="王堃")
    pdf = _summary(client, aid, "zh-CN")
    assert {(f["name"].split("+")[-1], f["emb"]) for f in pdf_fonts(pdf)} == {
        ("NotoSansCJKsc-Regular", "yes"),
        ("STSong-Light", "no"),
    }
    assert "2026-11-03 14:05:00 网点 · 王堃 电话 网点称车辆故障，次日上门" in pdf_lines(pdf)


def _api_summary(client: TestClient, aid: int, **request: Any) -> bytes:
    response = client.get(f"{API}/appeals/{aid}/dossier", **request)
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content)).read("summary.pdf")


def _title(pdf: bytes) -> str:
    return pdf_lines(pdf)[0]


def test_the_api_and_the_cli_choose_the_summary_s_language(  # type: ignore[no-untyped-def]
    client, runtime, violation_id, tmp_path, monkeypatch
) -> None:
    """?lang first, then Accept-Language, then the server's default (Chinese); the CLI's --lang."""
    aid = _approved_case(client, violation_id)
    merchant = bearer(client, "merchant")
    zh, en = f"申诉资料汇总（申诉 #{aid}）", f"Appeal dossier (appeal #{aid})"

    assert _title(_api_summary(client, aid, headers=merchant)) == zh
    assert _title(_api_summary(client, aid, headers=merchant, params={"lang": "en"})) == en
    english = {**merchant, "Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.8"}
    pdf = _api_summary(client, aid, headers=english)
    assert _title(pdf) == en
    assert "Consequences Booked: Compensation ¥3.00, Fine ¥10.00" in _flat(pdf)
    chinese = {**merchant, "Accept-Language": "fr;q=1, zh-CN;q=0.5, en;q=0.2"}
    assert _title(_api_summary(client, aid, headers=chinese)) == zh
    assert _title(_api_summary(client, aid, headers=english, params={"lang": "zh-CN"})) == zh
    refused = client.get(f"{API}/appeals/{aid}/dossier", headers=merchant, params={"lang": "fr"})
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "lang: 'fr' is not zh_CN or en"

    pages = pdf_pages_png(pdf, tmp_path / "english")
    assert len(pages) == 3 and all(p.stat().st_size > 0 for p in pages)

    monkeypatch.setattr(appeals_cli, "runtime", lambda: runtime)
    for lang, title, said in (
        (None, zh, "已写入 {out}（{size} 字节）"),
        ("en", en, "wrote {out} ({size} bytes)"),
    ):
        out = tmp_path / f"dossier-{lang}.zip"
        args = [str(aid), "--out", str(out), *(["--lang", lang] if lang else [])]
        ran = CliRunner().invoke(appeals_cli.app, args)  # its one command: no name
        assert ran.exit_code == 0, ran.output
        assert ran.output == said.format(out=out, size=out.stat().st_size) + "\n"
        assert _title(zipfile.ZipFile(out).read("summary.pdf")) == title
