"""An appeal dossier carries the audit head of its export, which later shows records cut."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import delete, func, select

from lanshou.adapters.db.models import AuditEvent
from lanshou.audit.chain import Problem, verify_chain
from lanshou.audit.head import parse_head
from lanshou.audit.keys import keys_for
from tests.integration.web.world import bearer

API = "/api/v1"


def test_the_dossier_carries_the_audit_head_at_export(  # type: ignore[no-untyped-def]
    client, sessions, violation_id
) -> None:
    merchant = bearer(client, "merchant")
    created = client.post(
        f"{API}/appeals",
        json={"violation_id": violation_id, "channel": "online", "statement": "未上门"},
        headers=merchant,
    )
    assert created.status_code == 201, created.text
    dossier = client.get(f"{API}/appeals/{created.json()['id']}/dossier", headers=merchant)
    doc = json.loads(zipfile.ZipFile(io.BytesIO(dossier.content)).read("dossier.json"))
    head = parse_head(doc["audit_head"], "dossier.json")
    with sessions() as s:
        count = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        last_id, last_hash = s.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
        assert head.authentic(keys_for(s))
        assert (head.count, head.last_id, head.last_hash, head.at.isoformat()) == (
            count,
            last_id,
            last_hash,
            doc["exported_at"],
        )
        assert verify_chain(s, heads=[head]).ok
        s.execute(delete(AuditEvent).where(AuditEvent.id == last_id))
        s.commit()
        report = verify_chain(s, heads=[head])
    assert (report.problem, report.checked, report.head) == (Problem.TRUNCATED, count - 1, head)
