"""The appeal, review and complaint pages: roles, tenant scope, CSRF, refusals shown in words."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Appeal, Complaint, Shipment, Violation
from tests.integration.appeals.conftest import (
    client,
    jpeg_bytes,
    png_bytes,
    runtime,
    violation_id,
    world,
)
from tests.integration.web.world import World, csrf_of, login

__all__ = ["client", "runtime", "violation_id", "world"]

JPEG = "image/jpeg"


def _post(
    client: TestClient,
    page: str,
    url: str,
    data: dict[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(
        url, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=False
    )


def _file(
    client: TestClient,
    vid: int,
    statement: str = "快递员未上门揽收",
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    action: str = "submit",
) -> object:
    return _post(
        client,
        f"/violations/{vid}/appeal",
        f"/violations/{vid}/appeal",
        {"statement": statement, "action": action},
        files,
    )


def _case_id(response: object) -> int:
    location = response.headers["location"]  # type: ignore[attr-defined]
    match = re.fullmatch(r"/appeals/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_the_violations_list_shows_money_window_and_the_appeal_button(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    page = client.get("/violations")
    assert page.status_code == 200
    row = page.text.split(f'id="violation-{violation_id}"')[1].split("</tr>")[0]
    assert "揽收超时" in row and "A000" in row and "已确认" in row
    assert "¥13.00" in row  # 3 元 compensation + 10 元 fine, from the ledger
    assert "可申诉至 2026-11-10 12:00" in row
    assert f'href="/violations/{violation_id}/appeal"' in row
    nav = page.text.split('<nav class="sidenav"')[1].split("</nav>")[0]
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    mine = [link for link in links if link[0] in ("/violations", "/review", "/complaints")]
    assert mine == [("/violations", "违规与申诉"), ("/complaints", "投诉处理任务")]


def test_each_role_gets_its_pages_and_menu(client: TestClient, violation_id: int) -> None:
    login(client, "reviewer")
    queue = client.get("/review")
    assert queue.status_code == 200 and "<h1>申诉审核</h1>" in queue.text
    assert "没有待审核的申诉。" in queue.text
    assert 'href="/violations"' not in queue.text
    assert client.get(f"/violations/{violation_id}/appeal").status_code == 403
    login(client, "agent")
    assert "客服申诉" in client.get(f"/violations/{violation_id}/appeal").text
    assert client.get("/review").status_code == 403
    assert "<h1>投诉</h1>" in client.get("/complaints").text
    login(client, "admin")
    home = client.get("/violations").text
    for href in ("/violations", "/review", "/complaints", "/admin/users"):
        assert f'href="{href}"' in home


def test_english_is_available(client: TestClient, violation_id: int) -> None:
    login(client, "merchant")
    token = csrf_of(client.get("/violations").text)
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/violations"})
    page = client.get("/violations").text
    assert "<h1>Violations & appeals</h1>" in page and "Appeal by 2026-11-10 12:00" in page


def test_a_merchant_files_with_a_photo_and_sees_the_case(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    form = client.get(f"/violations/{violation_id}/appeal").text
    assert 'data-limit="200"' in form and "每轮最多 5 张图片，每个文件最大 10 MB" in form
    assert "订单A000被判揽收超时" in form  # the drafted statement
    response = _file(client, violation_id, files=[("files", ("交接.jpg", jpeg_bytes(), JPEG))])
    assert response.status_code == 303  # type: ignore[attr-defined]
    aid = _case_id(response)
    page = client.get(f"/appeals/{aid}").text
    assert "已提交" in page and "快递员未上门揽收" in page
    # the rule's assumed figure is named; the profile's English note on it is for `explain`
    assert "<li>揽收超时 · 超时后自动退款：72 小时，为假设值（无来源）</li>" in page
    assert "no source gives a delay" not in page
    assert "拍摄时间 2026-11-03 09:15:00（EXIF）" in page and "GPS 30.25, 120.16" in page
    assert f'<img class="evidence-img" src="/appeals/{aid}/evidence/' in page
    assert "system-round1.json" in page and "下载申诉资料包" in page
    assert f'href="/appeals/{aid}/dossier"' in page
    evidence_id = re.search(rf"/appeals/{aid}/evidence/(\d+)", page).group(1)  # type: ignore[union-attr]
    photo = client.get(f"/appeals/{aid}/evidence/{evidence_id}")
    assert photo.headers["content-type"] == JPEG and photo.content == jpeg_bytes()
    dossier = client.get(f"/appeals/{aid}/dossier")
    assert dossier.headers["content-type"] == "application/zip"
    assert dossier.content[:2] == b"PK"


def test_another_shops_case_is_a_404_page(client: TestClient, violation_id: int) -> None:
    login(client, "merchant")
    aid = _case_id(_file(client, violation_id))
    login(client, "other")
    for url in (f"/appeals/{aid}", f"/appeals/{aid}/dossier", f"/violations/{violation_id}/appeal"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面或记录不存在，或您无权查看。" in response.text
        assert "快递员未上门揽收" not in response.text


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    response = client.post(
        f"/violations/{violation_id}/appeal", data={"statement": "x"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "表单已过期或并非来自本站" in response.text
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Appeal)).scalar_one() == 0


def test_an_illegal_action_shows_the_409_message(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    aid = _case_id(_file(client, violation_id))
    again = _post(
        client, f"/appeals/{aid}", f"/appeals/{aid}/reconsider", {"statement": "再次申诉"}
    )
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "现在无法执行这一步：申诉状态为「已提交」。现在可以：认领、撤回。" in again.text  # type: ignore[attr-defined]
    with sessions() as s:
        assert s.get_one(Appeal, aid).state == "submitted"


def test_a_statement_over_the_limit_shows_the_limit(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    response = _file(client, violation_id, statement="快" * 201)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "申诉理由最多 200 字，当前 201 字。" in response.text  # type: ignore[attr-defined]
    assert "快" * 201 in response.text  # type: ignore[attr-defined]  # the text is kept
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Appeal)).scalar_one() == 0


def test_html_named_jpg_is_refused_with_the_415_message(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    evil = b"<html><body><script>alert(1)</script></body></html>"
    response = _file(client, violation_id, files=[("files", ("evil.jpg", evil, JPEG))])
    assert response.status_code == 415  # type: ignore[attr-defined]
    assert "文件 evil.jpg 未被接受" in response.text  # type: ignore[attr-defined]
    with sessions() as s:  # the draft went with it: all or nothing
        assert s.execute(select(func.count()).select_from(Appeal)).scalar_one() == 0


def test_a_script_in_the_statement_is_shown_as_text(client: TestClient, violation_id: int) -> None:
    login(client, "merchant")
    aid = _case_id(_file(client, violation_id, statement="<script>alert(1)</script>"))
    page = client.get(f"/appeals/{aid}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    login(client, "reviewer")
    assert "<script>alert(1)" not in client.get(f"/review/{aid}").text


def test_review_claim_conflict_reject_reconsider_approve_reverses_the_money(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    aid = _case_id(_file(client, violation_id, files=[("files", ("a.jpg", jpeg_bytes(), JPEG))]))
    login(client, "reviewer")
    queue = client.get("/review").text
    assert f'data-appeal="{aid}"' in queue and "认领" in queue
    assert _post(client, "/review", f"/review/{aid}/claim").headers["location"] == f"/review/{aid}"  # type: ignore[attr-defined]
    login(client, "reviewer2")
    taken = _post(client, "/review", f"/review/{aid}/claim")
    assert taken.status_code == 409  # type: ignore[attr-defined]
    assert "已被 Reviewer 认领。" in taken.text  # type: ignore[attr-defined]
    login(client, "reviewer")
    missing = _post(client, f"/review/{aid}", f"/review/{aid}/decision", {"outcome": "rejected"})
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert "请选择原因代码。" in missing.text  # type: ignore[attr-defined]
    _post(
        client,
        f"/review/{aid}",
        f"/review/{aid}/decision",
        {
            "outcome": "rejected",
            "reason_code": "insufficient_evidence",
            "comment": "照片无法证明时间",
        },
    )
    login(client, "merchant")
    page = client.get(f"/appeals/{aid}").text
    assert "已驳回" in page and "照片无法证明时间" in page and "申请复议" in page
    done = _post(
        client,
        f"/appeals/{aid}",
        f"/appeals/{aid}/reconsider",
        {"statement": "快递员车辆故障未上门，附聊天记录"},
        [("files", ("chat.txt", "催促快递员上门".encode(), "text/plain"))],
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    login(client, "reviewer2")
    _post(client, "/review", f"/review/{aid}/claim")
    _post(
        client,
        f"/review/{aid}",
        f"/review/{aid}/decision",
        {"outcome": "approved", "reason_code": "carrier_fault"},
    )
    login(client, "merchant")
    page = client.get(f"/appeals/{aid}").text
    assert "申诉通过" in page
    assert page.count("冲销 #") == 2
    assert '<th class="num ledger-net">¥0.00</th>' in page
    with sessions() as s:
        assert s.get_one(Violation, violation_id).state == "reversed"


def test_need_info_asks_a_question_and_the_merchant_answers(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    aid = _case_id(_file(client, violation_id))
    login(client, "reviewer")
    _post(
        client,
        f"/review/{aid}",
        f"/review/{aid}/decision",
        {
            "outcome": "need_info",
            "reason_code": "need_more_info",
            "comment": "请提供与快递员的聊天记录",
        },
    )
    login(client, "merchant")
    page = client.get(f"/appeals/{aid}").text
    assert "审核员提问：</strong> 请提供与快递员的聊天记录" in page
    _post(
        client,
        f"/appeals/{aid}",
        f"/appeals/{aid}/submit",
        {"answer": "快递员说车坏了"},
        [("files", ("b.png", png_bytes(), "image/png"))],
    )
    with sessions() as s:
        assert s.get_one(Appeal, aid).state == "submitted"
    page = client.get(f"/appeals/{aid}").text
    assert "answer-round1.txt" in page and "b.png" in page


def test_a_cs_agent_files_on_behalf_with_the_call_note(
    client: TestClient, violation_id: int
) -> None:
    login(client, "agent")
    response = _post(
        client,
        f"/violations/{violation_id}/appeal",
        f"/violations/{violation_id}/appeal",
        {"statement": "商家来电称快递未上门", "contact_note": "14:00 商家来电"},
    )
    aid = _case_id(response)
    page = client.get(f"/appeals/{aid}").text
    assert "客服" in page and "14:00 商家来电" in page


def test_complaint_filed_upheld_and_done(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = world.order_ids["A001"]
    login(client, "agent")
    assert "提交投诉" in client.get(f"/orders/{order_id}").text
    filed = _post(
        client,
        f"/orders/{order_id}",
        f"/orders/{order_id}/complaints",
        {"reason": "<b>买家</b>说包裹迟迟未发"},
    )
    assert filed.status_code == 303  # type: ignore[attr-defined]
    with sessions() as s:
        cid = s.execute(select(Complaint.id)).scalar_one()
    login(client, "merchant")
    assert f'id="complaint-{cid}"' not in client.get("/complaints").text  # no task yet
    login(client, "reviewer")
    page = client.get("/complaints").text
    assert "&lt;b&gt;买家&lt;/b&gt;" in page
    _post(
        client,
        "/complaints",
        f"/complaints/{cid}/decision",
        {"uphold": "yes", "task_kind": "reship"},
    )
    login(client, "merchant")
    tasks = client.get("/complaints").text
    row = tasks.split(f'id="complaint-{cid}"')[1].split("</tr>")[0]
    assert "补发" in row and "2026-11-06 12:00" in row and "标记完成" in row
    _post(client, "/complaints", f"/complaints/{cid}/done", {"note": "已补发"})
    row = client.get("/complaints").text.split(f'id="complaint-{cid}"')[1].split("</tr>")[0]
    assert "已完成" in row and "标记完成" not in row
    again = _post(client, "/complaints", f"/complaints/{cid}/done", {"note": "x"})
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_mark_shipped_from_the_order_page(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = world.order_ids["A004"]
    with sessions() as s:
        shipment = s.execute(select(Shipment).where(Shipment.order_id == order_id)).scalar_one()
        shipment.waybill_no, shipment.shipped_at, shipment.status = None, None, "created"
        s.commit()
    login(client, "merchant")
    page = client.get(f"/orders/{order_id}").text
    assert "点击发货" in page and 'value="2026-11-04T12:00"' in page
    future = _post(
        client,
        f"/orders/{order_id}",
        f"/orders/{order_id}/ship",
        {"carrier": "顺丰", "waybill": "sf123", "shipped_at": "2026-11-05T09:00"},
    )
    assert future.status_code == 422  # type: ignore[attr-defined]
    assert "发货时间须为有效时间，且不能晚于现在。" in future.text  # type: ignore[attr-defined]
    done = _post(
        client,
        f"/orders/{order_id}",
        f"/orders/{order_id}/ship",
        {"carrier": "顺丰", "waybill": "sf123", "shipped_at": "2026-11-04T11:00"},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/orders/{order_id}").text
    assert "SF123" in page and "2026-11-04 11:00" in page and "点击发货" not in page
    with sessions() as s:
        shipment = s.execute(select(Shipment).where(Shipment.order_id == order_id)).scalar_one()
        assert (shipment.waybill_no, shipment.status) == ("SF123", "awaiting_pickup")


def test_the_case_and_review_pages_gather_the_case_facts_once(
    client: TestClient, violation_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assessment and the page show the same facts: read once per request, not twice
    (a dozen queries each: order, shipment, tracking, contacts, re-evaluation, ledger)."""
    from lanshou.appeals import facts, views
    from lanshou.entrypoints.web.routes import appeals as appeal_pages

    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> facts.Gathered:
        calls.append(1)
        return facts.gather(*args, **kwargs)  # type: ignore[arg-type]

    login(client, "merchant")
    aid = _case_id(_file(client, violation_id))
    for module in (views, appeal_pages):  # the service's view and the page's own use
        monkeypatch.setattr(module, "gather", counting)
    page = client.get(f"/appeals/{aid}")
    assert page.status_code == 200 and "已提交" in page.text and "A000" in page.text
    assert len(calls) == 1
    client.cookies.clear()
    login(client, "reviewer")
    review = client.get(f"/review/{aid}")
    assert review.status_code == 200 and "A000" in review.text
    assert len(calls) == 2
