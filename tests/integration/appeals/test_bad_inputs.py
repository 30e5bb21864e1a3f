"""Every refused input: 413, 415, traversal names, windows, limits; nothing changes on refusal."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lanshou.adapters.db.models import AuditEvent, Evidence
from lanshou.appeals import AppealsContext, decide_appeal, expire_overdue
from lanshou.audit.chain import verify_chain
from lanshou.identity.auth import principal_for_api_token
from tests.integration.appeals.conftest import add_violation, jpeg_bytes, png_bytes
from tests.integration.web.world import NOW, bearer

API = "/api/v1"


@pytest.fixture
def draft(client, violation_id):  # type: ignore[no-untyped-def]
    h = bearer(client, "merchant")
    r = client.post(
        f"{API}/appeals", json={"violation_id": violation_id, "statement": "未揽收"}, headers=h
    )
    return r.json()["id"], h


def _up(client, h, aid, name, data):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/appeals/{aid}/evidence", files={"file": (name, data)}, headers=h)


def test_html_named_jpg_and_unknown_bytes_are_415(client, draft) -> None:  # type: ignore[no-untyped-def]
    aid, h = draft
    html = b"<html><script>alert(1)</script></html>"
    assert _up(client, h, aid, "x.jpg", html).status_code == 415
    assert _up(client, h, aid, "x.png", jpeg_bytes()).status_code == 415
    assert _up(client, h, aid, "x.bin", b"\x00\x01\x02garbage").status_code == 415


def test_too_large_file_and_case_are_413(client, draft, runtime) -> None:  # type: ignore[no-untyped-def]
    aid, h = draft
    big = b"a" * (10 * 1024 * 1024 + 1)
    r = _up(client, h, aid, "big.txt", big)
    assert r.status_code == 413
    assert r.json()["error"]["details"]["limit"] == 10 * 1024 * 1024
    runtime.appeals.max_case_bytes = 1000  # the app's own context, built once by its runtime
    assert _up(client, h, aid, "a.txt", b"x" * 600).status_code == 201
    assert _up(client, h, aid, "b.txt", b"y" * 600).status_code == 413


def test_the_api_s_413_is_english_whatever_the_accept_language(client, draft, runtime) -> None:  # type: ignore[no-untyped-def]
    """API errors are English by design (as every API error is): a stable code and the limit in
    details for the client to word; the web form says it in the user's language (issue #15)."""
    aid, h = draft
    runtime.appeals.max_case_bytes = 1000
    assert _up(client, h, aid, "a.txt", b"x" * 600).status_code == 201
    answers = [
        client.post(
            f"{API}/appeals/{aid}/evidence",
            files={"file": ("b.txt", b"y" * 600)},
            headers={**h, "Accept-Language": lang},
        )
        for lang in ("zh-CN", "en")
    ]
    assert [a.status_code for a in answers] == [413, 413]
    assert (
        answers[0].json()
        == answers[1].json()
        == {
            "error": {
                "code": "payload_too_large",
                "message": "a case may hold at most 1000 bytes of evidence",
                "details": {"scope": "case", "limit": 1000, "actual": 1200},
            }
        }
    )


def test_traversal_name_is_neutralised_and_html_served_as_attachment(client, draft) -> None:  # type: ignore[no-untyped-def]
    aid, h = draft
    r = _up(client, h, aid, "../../etc/passwd.html", b"<html><body>chat</body></html>")
    assert r.status_code == 201
    assert r.json()["filename"] == "passwd.html"
    got = client.get(f"{API}/appeals/{aid}/evidence/{r.json()['evidence_id']}", headers=h)
    assert got.headers["content-type"].startswith("text/html")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    img = _up(client, h, aid, "p.png", png_bytes())
    shown = client.get(f"{API}/appeals/{aid}/evidence/{img.json()['evidence_id']}", headers=h)
    assert shown.headers["content-type"] == "image/png"
    assert "content-disposition" not in shown.headers


def test_sixth_image_and_long_statement_are_422_with_the_limit(  # type: ignore[no-untyped-def]
    client, sessions, world, draft
) -> None:
    aid, h = draft
    for i in range(5):
        assert _up(client, h, aid, f"{i}.png", png_bytes(f"#0000{i}0")).status_code == 201
    sixth = _up(client, h, aid, "6.png", png_bytes("white"))
    assert sixth.status_code == 422
    assert sixth.json()["error"]["details"]["limit"] == 5
    assert _up(client, h, aid, "c.txt", "聊天记录".encode()).status_code == 201  # counted apart
    other = add_violation(sessions, world.order_ids["A008"])
    long = client.post(
        f"{API}/appeals", headers=h, json={"violation_id": other, "statement": "长" * 201}
    )
    assert long.status_code == 422
    assert long.json()["error"]["details"]["limit"] == 200


def test_appeal_after_the_window_is_409_naming_it(client, sessions, world) -> None:  # type: ignore[no-untyped-def]
    old = add_violation(sessions, world.order_ids["A004"], detected_days_ago=8)
    r = client.post(
        f"{API}/appeals",
        headers=bearer(client, "merchant"),
        json={"violation_id": old, "statement": "x"},
    )
    assert r.status_code == 409
    assert r.json()["error"]["details"]["window"] == "appeal"
    assert r.json()["error"]["details"]["window_days"] == 7
    assert "7 days" in r.json()["error"]["message"]


def test_script_in_statement_is_stored_as_text(client, violation_id) -> None:  # type: ignore[no-untyped-def]
    h = bearer(client, "merchant")
    text = "<script>alert('x')</script>"
    aid = client.post(
        f"{API}/appeals", headers=h, json={"violation_id": violation_id, "statement": text}
    ).json()["id"]
    assert client.get(f"{API}/appeals/{aid}", headers=h).json()["statement"] == text


def test_cs_agent_files_and_the_note_opens_the_contact_log(client, violation_id) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        f"{API}/appeals",
        headers=bearer(client, "agent"),
        json={
            "violation_id": violation_id,
            "channel": "customer_service",
            "statement": "商家来电申诉",
            "contact_note": "商家来电：快递员未上门",
        },
    )
    assert r.status_code == 201, r.text
    client.post(f"{API}/appeals/{r.json()['id']}/submit", headers=bearer(client, "agent"))
    view = client.get(f"{API}/appeals/{r.json()['id']}", headers=bearer(client, "merchant"))
    system = [e for e in view.json()["evidence"] if e["kind"] == "system"]
    assert len(system) == 1


def test_expire_overdue_moves_unused_drafts(client, sessions, draft) -> None:  # type: ignore[no-untyped-def]
    aid, _ = draft
    with sessions() as s:
        assert expire_overdue(s, NOW) == 0
        assert expire_overdue(s, NOW + timedelta(days=7)) == 1
        s.commit()
    assert (
        client.get(f"{API}/appeals/{aid}", headers=bearer(client, "merchant")).json()["state"]
        == "expired"
    )


def test_tampering_with_an_appeal_audit_row_is_detected(client, sessions, draft) -> None:  # type: ignore[no-untyped-def]
    with sessions() as s:
        assert verify_chain(s).ok
        first = (
            s.execute(select(AuditEvent.id).where(AuditEvent.entity_type == "appeal"))
            .scalars()
            .first()
        )
        s.execute(update(AuditEvent).where(AuditEvent.id == first).values(reason="edited"))
        s.commit()
        report = verify_chain(s)
        assert (report.ok, report.first_bad_id) == (False, first)


# Concurrent writers are a PostgreSQL property (SQLite serialises them): PostgreSQL only.
@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_two_reviewers_deciding_at_once_exactly_one_wins(  # type: ignore[no-untyped-def]
    client, sessions, draft, runtime
) -> None:
    aid, h = draft
    assert client.post(f"{API}/appeals/{aid}/submit", headers=h).status_code == 200
    tokens = [bearer(client, u)["Authorization"].split()[1] for u in ("reviewer", "reviewer2")]
    actx = AppealsContext.from_settings(runtime.settings)
    barrier, results = threading.Barrier(2), {}

    def decide(token: str, outcome: str) -> None:
        with sessions() as s:
            caller = principal_for_api_token(s, token, NOW)
            s.commit()
            barrier.wait()
            try:
                decide_appeal(s, actx, caller, aid, outcome, "r", "", NOW)
                s.commit()
                results[caller.username] = "won"
            except Exception as exc:  # the loser's Conflict
                s.rollback()
                results[caller.username] = type(exc).__name__

    threads = [
        threading.Thread(target=decide, args=(t, o))
        for t, o in zip(tokens, ("approved", "rejected"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["Conflict", "won"]
    with sessions() as s:
        assert verify_chain(s).ok
        assert s.execute(select(func.count()).select_from(Evidence)).scalar_one() == 1
