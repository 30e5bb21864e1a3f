"""Every form action that succeeds ends on a page saying so, in the user's language, once.

The message travels in a signed cookie across the redirect; these tests post each form as the
browser would, follow the redirect and read the exact sentence in the success box.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import ApiToken, Complaint, Shipment
from lanshou.bootstrap import Runtime
from lanshou.entrypoints.app import create_app
from lanshou.entrypoints.web.flash import FLASH_COOKIE
from tests.integration.alerts.test_pages_and_api import _sid
from tests.integration.appeals.conftest import (
    client,
    jpeg_bytes,
    png_bytes,
    runtime,
    violation_id,
    world,
)
from tests.integration.web.world import PASSWORD, World, csrf_of, login, make_runtime

__all__ = ["client", "runtime", "violation_id", "world"]

FLASH_RE = re.compile(r'<div class="alert alert-success flash" role="status"><p>(.*?)</p></div>')
Files = list[tuple[str, tuple[str, bytes, str]]]


def flash_of(page: str) -> str | None:
    found = FLASH_RE.findall(page)
    assert len(found) <= 1, found
    return html.unescape(found[0]) if found else None


def act(
    client: TestClient,
    form_page: str,
    url: str,
    data: dict[str, str] | None = None,
    files: Files | None = None,
) -> tuple[str, str | None]:
    """Post a form from ``form_page``; (where the redirect led, the success message there)."""
    token = csrf_of(client.get(form_page).text)
    posted = client.post(
        url, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text[:2000]
    location = posted.headers["location"]
    page = client.get(location)
    assert page.status_code == 200
    return location, flash_of(page.text)


def _file(client: TestClient, vid: int, action: str = "submit") -> tuple[int, str | None]:
    where, said = act(
        client,
        f"/violations/{vid}/appeal",
        f"/violations/{vid}/appeal",
        {"statement": "快递员未上门揽收", "action": action},
    )
    match = re.fullmatch(r"/appeals/(\d+)", where)
    assert match, where
    return int(match.group(1)), said


def test_the_message_is_shown_once_and_only_when_signed(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    aid, said = _file(client, violation_id)
    assert said == f"申诉 #{aid} 已提交，审核结果会显示在本页。"
    assert FLASH_COOKIE not in client.cookies  # consumed by the page it was meant for
    assert flash_of(client.get(f"/appeals/{aid}").text) is None  # a reload says nothing
    client.cookies.set(FLASH_COOKIE, "WyJIZWxsbyIse31d.0123456789abcdef0123456789abcdef")
    assert flash_of(client.get(f"/appeals/{aid}").text) is None  # a forged cookie is ignored


def test_the_appeal_story_says_what_each_step_did(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    login(client, "merchant")
    aid, said = _file(client, violation_id, action="draft")
    assert said == "草稿已保存，准备好后再提交。"
    case = f"/appeals/{aid}"
    jpg: Files = [("files", ("a.jpg", jpeg_bytes(), "image/jpeg"))]
    assert act(client, case, f"{case}/evidence", files=jpg) == (
        case,
        f"文件已添加到申诉 #{aid}。",
    )
    contact = {"counterpart_kind": "courier", "channel": "phone", "summary": "催上门"}
    assert act(client, case, f"{case}/contacts", contact) == (case, "沟通记录已保存。")
    assert act(client, case, f"{case}/submit") == (
        case,
        f"申诉 #{aid} 已提交，审核结果会显示在本页。",
    )
    login(client, "reviewer")
    review = f"/review/{aid}"
    assert act(client, "/review", f"{review}/claim") == (
        review,
        f"已认领申诉 #{aid}，请在下方记录审核结论。",
    )
    rejected = {"outcome": "rejected", "reason_code": "insufficient_evidence"}
    assert act(client, review, f"{review}/decision", rejected) == (
        review,
        f"审核结论已记录：申诉 #{aid} 驳回。",
    )
    login(client, "merchant")
    again = {"statement": "快递员车辆故障未上门，附聊天记录"}
    assert act(client, case, f"{case}/reconsider", again) == (
        case,
        f"申诉 #{aid} 的复议已提交，重新进入审核。",
    )
    login(client, "reviewer2")
    act(client, "/review", f"{review}/claim")
    approved = {"outcome": "approved", "reason_code": "carrier_fault"}
    assert act(client, review, f"{review}/decision", approved) == (
        review,
        f"审核结论已记录：申诉 #{aid} 通过，处罚已撤销。",
    )


def test_a_question_its_answer_and_a_withdrawal_in_english(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    where, said = act(client, "/", "/language", {"locale": "en", "next": "/violations"})
    assert (where, said) == ("/violations", "The interface is now in English.")
    aid, said = _file(client, violation_id)
    assert said == f"Appeal #{aid} submitted. You will see the decision on this page."
    login(client, "reviewer")
    act(client, "/", "/language", {"locale": "en"})
    act(client, "/review", f"/review/{aid}/claim")
    question = {"outcome": "need_info", "reason_code": "need_more_info", "comment": "聊天记录?"}
    assert act(client, f"/review/{aid}", f"/review/{aid}/decision", question)[1] == (
        f"Decision recorded: your question on appeal #{aid} was sent to the merchant."
    )
    login(client, "merchant")
    png: Files = [("files", ("b.png", png_bytes(), "image/png"))]
    case = f"/appeals/{aid}"
    answered = act(client, case, f"{case}/submit", {"answer": "车坏了"}, png)
    assert answered == (case, f"Answer sent: appeal #{aid} is back with the reviewer.")
    assert act(client, case, f"{case}/withdraw", {"reason": "不再申诉"}) == (
        case,
        f"Appeal #{aid} withdrawn.",
    )


def test_the_chinese_message_after_switching_back(client: TestClient) -> None:
    login(client, "merchant")
    act(client, "/", "/language", {"locale": "en"})
    assert act(client, "/", "/language", {"locale": "zh-CN", "next": "/orders"}) == (
        "/orders",
        "界面已切换为中文。",
    )


def test_login_and_logout_are_confirmed(client: TestClient) -> None:
    assert act(client, "/login", "/login", {"username": "merchant", "password": PASSWORD}) == (
        "/",
        "欢迎，Merchant。",
    )
    assert act(client, "/", "/logout") == ("/login", "您已退出登录。")


def test_board_contacts_reminders_and_tasks(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    sid = _sid(sessions, world, "A002")
    login(client, "merchant")
    contact = {"shipment_id": str(sid), "counterpart_kind": "courier", "summary": "已催"}
    assert act(client, "/at-risk", "/at-risk/contacts", contact) == (
        f"/at-risk#shipment-{sid}",
        "沟通记录已保存。",
    )
    reminder = f"/reminders/{sid}"
    assert act(client, reminder, f"{reminder}/sms") == (reminder, "短信已发送并记入沟通记录。")
    assert act(client, reminder, f"{reminder}/copied") == (reminder, "提醒已记入沟通记录。")
    staff = re.search(
        r'<option value="(\d+)">[^<]*\(staff\)</option>',
        client.get(f"/assign?entity=shipment:{sid}").text,
    )
    assert staff
    task = {"entity": f"shipment:{sid}", "assignee_id": staff.group(1), "note": "跟进"}
    assert act(client, f"/assign?entity=shipment:{sid}", "/tasks", task) == (
        f"/assign?entity=shipment:{sid}",
        "任务已分配。",
    )
    login(client, "staff")
    assignment = re.search(r'action="/tasks/(\d+)/done"', client.get("/tasks").text)
    assert assignment
    assert act(client, "/tasks", f"/tasks/{assignment.group(1)}/done") == (
        "/tasks",
        "任务已标记完成。",
    )


def test_alert_channel_actions(client: TestClient) -> None:
    login(client, "merchant")
    channel = {
        "shop_id": "1",
        "kind": "dingtalk",
        "name": "店铺群",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
    }
    settings = "/alerts/settings"
    assert act(client, settings, "/alerts/channels", channel) == (settings, "渠道“店铺群”已添加。")
    cid = re.search(r'action="/alerts/channels/(\d+)/active"', client.get(settings).text)
    assert cid
    base = f"/alerts/channels/{cid.group(1)}"
    assert act(client, settings, f"{base}/subscriptions", {"sub": "breach:0"}) == (
        settings,
        "提醒订阅已保存。",
    )
    assert act(client, settings, f"{base}/active", {"active": "0"}) == (settings, "渠道已停用。")
    assert act(client, settings, f"{base}/active", {"active": "1"}) == (settings, "渠道已启用。")


def test_complaints_shipping_and_tokens(
    client: TestClient, sessions: sessionmaker[Session], world: World
) -> None:
    order_id = world.order_ids["A001"]
    order = f"/orders/{order_id}"
    login(client, "agent")
    assert act(client, order, f"{order}/complaints", {"reason": "买家说未发货"}) == (
        "/complaints",
        "投诉已登记。",
    )
    with sessions() as s:
        cid = s.execute(select(Complaint.id)).scalar_one()
    login(client, "reviewer")
    upheld = {"uphold": "yes", "task_kind": "reship"}
    assert act(client, "/complaints", f"/complaints/{cid}/decision", upheld) == (
        "/complaints",
        "投诉成立：已给商家派发处理任务。",
    )
    login(client, "merchant")
    assert act(client, "/complaints", f"/complaints/{cid}/done", {"note": "已补发"}) == (
        "/complaints",
        "任务已标记完成。",
    )
    unshipped = world.order_ids["A004"]
    with sessions() as s:
        shipment = s.execute(select(Shipment).where(Shipment.order_id == unshipped)).scalar_one()
        shipment.waybill_no, shipment.shipped_at, shipment.status = None, None, "created"
        s.commit()
    ship = {"carrier": "顺丰", "waybill": "sf123", "shipped_at": "2026-11-04T11:00"}
    assert act(client, f"/orders/{unshipped}", f"/orders/{unshipped}/ship", ship) == (
        f"/orders/{unshipped}",
        "已标记发货，运单号 SF123。",
    )
    login(client, "admin")
    token = csrf_of(client.get("/admin/users").text)
    client.post("/admin/tokens", data={"name": "ERP", "user_id": "1", "csrf_token": token})
    with sessions() as s:
        token_id = s.execute(select(ApiToken.id)).scalar_one()
    assert act(client, "/admin/users", f"/admin/tokens/{token_id}/revoke") == (
        "/admin/users",
        "令牌已吊销，不能再用它调用 API。",
    )


@pytest.fixture
def seller_client(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> Iterator[TestClient]:
    runtime: Runtime = make_runtime(sessions, var_dir=tmp_path, mode="seller")
    with TestClient(create_app(runtime)) as c:
        yield c


def test_seller_mode_records_the_platforms_decision(
    seller_client: TestClient, violation_id: int
) -> None:
    login(seller_client, "merchant")
    aid, _ = _file(seller_client, violation_id)
    case = f"/appeals/{aid}"
    shot: Files = [("files", ("platform.png", png_bytes(), "image/png"))]
    decision = {"outcome": "rejected", "reason_code": "insufficient_evidence"}
    assert act(seller_client, case, f"{case}/platform-decision", decision, shot) == (
        case,
        "平台的审核结果已记录。",
    )
