"""The whole path through the API: file with a photo, reject, reconsider, approve, export."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from sqlalchemy import func, select

from lanshou.adapters.db.models import AppealEvent, AuditEvent, LedgerEntry, Violation
from lanshou.audit.chain import verify_chain
from tests.integration.appeals.conftest import jpeg_bytes, png_bytes
from tests.integration.web.world import bearer

API = "/api/v1"


def _file(client, headers, violation_id, statement="快递员未上门揽收"):  # type: ignore[no-untyped-def]
    r = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": statement},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def _upload(client, headers, appeal_id, name, data):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/appeals/{appeal_id}/evidence", files={"file": (name, data)}, headers=headers
    )


def test_merchant_wins_on_reconsideration_and_money_returns_to_zero(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    merchant = bearer(client, "merchant")
    created = _file(client, merchant, violation_id)
    aid = created["id"]
    assert created["state"] == "draft"
    assert created["due_at"].startswith("2026-11-10")  # detected 11-03 12:00 +08 + 7 days

    photo = jpeg_bytes()
    up = _upload(client, merchant, aid, "交接照片.jpg", photo)
    assert up.status_code == 201, up.text
    assert up.json()["sha256"] == hashlib.sha256(photo).hexdigest()
    assert up.json()["media_type"] == "image/jpeg"

    submitted = client.post(f"{API}/appeals/{aid}/submit", headers=merchant)
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["state"] == "submitted"
    assert [e["kind"] for e in body["evidence"]] == ["image", "system"]
    assert body["evidence"][0]["metadata"]["captured_at"] == "2026-11-03T09:15:00"
    assert body["evidence"][0]["metadata"]["gps"] == {"lat": 30.25, "lon": 120.16}
    # Two working days after Wed 2026-11-04 12:00 +08.
    assert body["due_at"] == "2026-11-06T04:00:00Z"

    reviewer = bearer(client, "reviewer")
    assert client.post(f"{API}/appeals/{aid}/claim", headers=reviewer).status_code == 200
    other = client.post(f"{API}/appeals/{aid}/claim", headers=bearer(client, "reviewer2"))
    assert other.status_code == 409
    assert other.json()["error"]["details"]["state"] == "under_review"
    rejected = client.post(
        f"{API}/appeals/{aid}/decision",
        headers=reviewer,
        json={
            "outcome": "rejected",
            "reason_code": "insufficient_evidence",
            "comment": "照片无法证明时间",
        },
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["allowed_actions"] == ["expire", "reconsider"]

    same = client.post(
        f"{API}/appeals/{aid}/reconsider", headers=merchant, json={"statement": "快递员未上门揽收"}
    )
    assert same.status_code == 422
    assert (
        _upload(
            client, merchant, aid, "chat.txt", "13:00 催促快递员上门，对方称车坏了".encode()
        ).status_code
        == 201
    )
    again = client.post(
        f"{API}/appeals/{aid}/reconsider",
        headers=merchant,
        json={"statement": "快递员车辆故障未上门，附聊天记录"},
    )
    assert again.status_code == 200, again.text
    assert (again.json()["state"], again.json()["round"]) == ("reconsideration", 2)

    approved = client.post(
        f"{API}/appeals/{aid}/decision",
        headers=bearer(client, "reviewer2"),
        json={"outcome": "approved", "reason_code": "carrier_fault"},
    )
    assert approved.status_code == 200, approved.text
    view = approved.json()
    assert view["state"] == "approved"
    assert view["ledger"]["net_fen"] == {"compensation": 0, "fine": 0}
    assert [e["amount_fen"] for e in view["ledger"]["entries"]] == [300, 1000, -300, -1000]
    events = [h["event"] for h in view["history"]]
    assert events == [
        "create",
        "add_evidence",
        "submit",
        "claim",
        "reject",
        "add_evidence",
        "reconsider",
        "claim",
        "approve",
    ]

    with sessions() as s:
        assert s.get(Violation, violation_id).state == "reversed"
        total = s.execute(
            select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.violation_id == violation_id)
        ).scalar_one()
        assert total == 0
        assert (
            s.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity_type == "appeal")
            ).scalar_one()
            == 9
        )
        assert verify_chain(s).ok

    third = client.post(
        f"{API}/appeals/{aid}/reconsider", headers=merchant, json={"statement": "再次申诉"}
    )
    assert third.status_code == 409
    assert third.json()["error"]["details"]["state"] == "approved"

    dossier = client.get(f"{API}/appeals/{aid}/dossier", headers=merchant)
    assert dossier.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(dossier.content))
    names = zf.namelist()
    doc = json.loads(zf.read("dossier.json"))
    assert doc["appeal"]["state"] == "approved"
    for e in doc["evidence"]:
        assert hashlib.sha256(zf.read(e["path"])).hexdigest() == e["sha256"]
    assert zf.read("summary.pdf").startswith(b"%PDF")
    assert "contact_log.json" in names
    assert len([n for n in names if n.startswith("evidence/")]) == 4  # 2 files + 2 system


def test_final_rejection_closes_the_case_and_a_third_round_is_refused(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    merchant, reviewer = bearer(client, "merchant"), bearer(client, "reviewer")
    aid = _file(client, merchant, violation_id)["id"]
    client.post(f"{API}/appeals/{aid}/submit", headers=merchant)
    client.post(
        f"{API}/appeals/{aid}/decision",
        headers=reviewer,
        json={"outcome": "rejected", "reason_code": "no_proof"},
    )
    assert _upload(client, merchant, aid, "b.png", png_bytes()).status_code == 201
    assert (
        client.post(
            f"{API}/appeals/{aid}/reconsider", headers=merchant, json={"statement": ""}
        ).status_code
        == 200
    )
    final = client.post(  # a reconsideration goes to another reviewer
        f"{API}/appeals/{aid}/decision",
        headers=bearer(client, "reviewer2"),
        json={"outcome": "rejected", "reason_code": "no_proof"},
    )
    assert final.json()["state"] == "rejected_final"
    assert final.json()["allowed_actions"] == []
    third = client.post(
        f"{API}/appeals/{aid}/reconsider", headers=merchant, json={"statement": "第三次"}
    )
    assert third.status_code == 409
    assert third.json()["error"]["details"]["max_rounds"] == 2
    refile = client.post(
        f"{API}/appeals", headers=merchant, json={"violation_id": violation_id, "statement": "x"}
    )
    assert refile.status_code == 409
    with sessions() as s:
        assert s.get(Violation, violation_id).state == "confirmed"
        assert s.execute(select(func.sum(LedgerEntry.amount_fen))).scalar_one() == 1300


def test_other_tenant_sees_404_and_refused_actions_change_nothing(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    merchant = bearer(client, "merchant")
    aid = _file(client, merchant, violation_id)["id"]
    other = bearer(client, "other")
    assert client.get(f"{API}/appeals/{aid}", headers=other).status_code == 404
    assert (
        client.post(
            f"{API}/appeals", headers=other, json={"violation_id": violation_id}
        ).status_code
        == 404
    )
    assert client.get(f"{API}/appeals/{aid}/dossier", headers=other).status_code == 404
    with sessions() as s:
        before = s.execute(select(func.count()).select_from(AppealEvent)).scalar_one()
    bad = client.post(f"{API}/appeals/{aid}/claim", headers=bearer(client, "reviewer"))
    assert bad.status_code == 409
    assert bad.json()["error"]["details"] == {
        "state": "draft",
        "allowed_actions": ["expire", "submit", "withdraw"],
        "event": "claim",
    }
    assert (
        client.post(
            f"{API}/appeals/{aid}/decision", headers=merchant, json={"outcome": "approved"}
        ).status_code
        == 403
    )
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(AppealEvent)).scalar_one() == before


def test_violations_list_shows_what_can_be_appealed(client, violation_id) -> None:  # type: ignore[no-untyped-def]
    rows = client.get(
        f"{API}/violations?shop=1&state=confirmed", headers=bearer(client, "merchant")
    ).json()
    assert [(r["id"], r["appealable"]) for r in rows] == [(violation_id, True)]
    assert client.get(f"{API}/violations", headers=bearer(client, "other")).json() == []
    draft = client.get(
        f"{API}/violations/{violation_id}/statement-draft", headers=bearer(client, "merchant")
    ).json()
    assert 0 < len(draft["statement"]) <= draft["max_chars"] == 200
