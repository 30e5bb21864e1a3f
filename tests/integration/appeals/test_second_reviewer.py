"""A reconsideration (复议) is decided by another reviewer than the first round's, unless the
platform profile says otherwise; the refusal changes nothing and reads well in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Appeal, AppealEvent
from lanshou.domain.rules import load_profile
from lanshou.entrypoints.app import create_app
from tests.integration.appeals.conftest import png_bytes
from tests.integration.web.world import bearer, csrf_of, login, make_runtime

API = "/api/v1"
REJECT = {"outcome": "rejected", "reason_code": "insufficient_evidence"}


def _rejected_then_reconsidered(client: TestClient, violation_id: int) -> int:
    """Filed and submitted by the merchant, rejected by ``reviewer``, then reconsidered."""
    merchant, reviewer = bearer(client, "merchant"), bearer(client, "reviewer")
    filed = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": "快递员未上门"},
        headers=merchant,
    )
    aid = int(filed.json()["id"])
    assert client.post(f"{API}/appeals/{aid}/submit", headers=merchant).status_code == 200
    rejected = client.post(f"{API}/appeals/{aid}/decision", headers=reviewer, json=REJECT)
    assert rejected.json()["state"] == "rejected"
    upload = client.post(
        f"{API}/appeals/{aid}/evidence", files={"file": ("b.png", png_bytes())}, headers=merchant
    )
    assert upload.status_code == 201
    again = client.post(f"{API}/appeals/{aid}/reconsider", headers=merchant, json={"statement": ""})
    assert again.json()["state"] == "reconsideration"
    return aid


def _case(sessions: sessionmaker[Session], aid: int) -> tuple[object, ...]:
    with sessions() as s:
        a = s.get_one(Appeal, aid)
        events = s.scalar(select(func.count()).where(AppealEvent.appeal_id == aid))
        return (a.state, a.round, a.claimed_by, a.decided_by, a.version, events)


def test_the_first_rounds_reviewer_may_neither_claim_nor_decide_the_reconsideration(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    aid = _rejected_then_reconsidered(client, violation_id)
    before = _case(sessions, aid)
    assert before[:4] == ("reconsideration", 2, None, None)
    reviewer = bearer(client, "reviewer")
    claim = client.post(f"{API}/appeals/{aid}/claim", headers=reviewer)
    decide = client.post(f"{API}/appeals/{aid}/decision", headers=reviewer, json=REJECT)
    for refused in (claim, decide):
        assert refused.status_code == 403
        assert refused.json() == {
            "error": {
                "code": "permission_denied",
                "message": f"appeal {aid} is a reconsideration: it must be decided by another "
                "reviewer than reviewer, who decided an earlier round",
                "details": {
                    "rule": "reconsideration_by_other_reviewer",
                    "appeal_id": aid,
                    "round": 2,
                },
            }
        }
    assert _case(sessions, aid) == before
    other = bearer(client, "reviewer2")
    approved = client.post(
        f"{API}/appeals/{aid}/decision", headers=other, json={"outcome": "approved"}
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"


def test_the_web_workbench_says_why_in_the_users_language(
    client: TestClient, sessions: sessionmaker[Session], violation_id: int
) -> None:
    aid = _rejected_then_reconsidered(client, violation_id)
    before = _case(sessions, aid)
    login(client, "reviewer2")
    queue = client.get("/review").text
    assert f'action="/review/{aid}/claim"' in queue and "您审核过第一轮" not in queue
    login(client, "reviewer")
    queue = client.get("/review").text  # the queue does not offer what would be refused
    assert f'action="/review/{aid}/claim"' not in queue
    assert "须由其他审核员处理：您审核过第一轮" in queue
    expected = {
        "zh_CN": "这是复议案件，您审核过上一轮，须由其他审核员处理。案件仍留在队列中等待他们认领。",
        "en": "This is a reconsideration and you decided an earlier round: another reviewer "
        "must decide it. It stays in the queue for them.",
    }
    for locale, message in expected.items():
        token = csrf_of(client.get("/review").text)
        client.post("/language", data={"locale": locale, "csrf_token": token, "next": "/review"})
        token = csrf_of(client.get("/review").text)
        claim = client.post(f"/review/{aid}/claim", data={"csrf_token": token})
        assert claim.status_code == 403
        assert message in claim.text
        decide = client.post(
            f"/review/{aid}/decision",
            data={"csrf_token": token, "outcome": "approved"},
        )
        assert decide.status_code == 403
        assert message in decide.text
    assert _case(sessions, aid) == before


def test_a_profile_may_let_the_same_reviewer_decide_both_rounds(
    sessions: sessionmaker[Session], violation_id: int, tmp_path: Path
) -> None:
    source = load_profile.__globals__["resources"].files("lanshou.rules").joinpath("douyin.yaml")
    text = source.read_text(encoding="utf-8")
    on = "reconsideration_by_other_reviewer: true"
    assert on in text
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "douyin.yaml").write_text(
        text.replace(on, "reconsideration_by_other_reviewer: false"), encoding="utf-8"
    )
    runtime = make_runtime(sessions, var_dir=tmp_path, rules_dir=rules)
    with TestClient(create_app(runtime)) as client:
        aid = _rejected_then_reconsidered(client, violation_id)
        decided = client.post(
            f"{API}/appeals/{aid}/decision", headers=bearer(client, "reviewer"), json=REJECT
        )
    assert decided.status_code == 200
    assert decided.json()["state"] == "rejected_final"


def test_the_case_history_names_the_first_rounds_reviewer_after_reconsideration(
    client: TestClient, violation_id: int
) -> None:
    """Reconsidering clears who decided; the history still names the person, never the role
    code ("reviewer") that stands in for an unknown name."""
    aid = _rejected_then_reconsidered(client, violation_id)
    login(client, "merchant")
    page = client.get(f"/appeals/{aid}").text
    history = page.split('<ol class="case-history">')[1].split("</ol>")[0]
    actors = re.findall(r'<span class="actor">(.*?)</span>', history)
    assert actors == ["Merchant", "Merchant", "Reviewer", "Reviewer", "Merchant", "Merchant"]
