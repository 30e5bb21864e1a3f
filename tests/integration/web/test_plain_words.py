"""Issue 15, plain words: on the review pages the appeal's deadline is named the review's
(审核截止), never a bare 截止 beside the breach deadline of the explanation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.appeals.conftest import client, runtime, violation_id, world
from tests.integration.web.world import csrf_of, login

__all__ = ["client", "runtime", "violation_id", "world"]


def _submit(client: TestClient, vid: int) -> int:
    token = csrf_of(client.get(f"/violations/{vid}/appeal").text)
    response = client.post(
        f"/violations/{vid}/appeal",
        data={"csrf_token": token, "statement": "快递员未上门揽收", "action": "submit"},
        follow_redirects=False,
    )
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_the_review_deadline_is_called_the_review_deadline(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    aid = _submit(client, violation_id)
    login(client, "reviewer")
    queue = client.get("/review").text
    assert "<th>审核截止</th>" in queue and "<th>截止</th>" not in queue
    page = client.get(f"/review/{aid}").text
    head = re.search(r'<span class="deadline[^"]*">([^<]*)</span>', page)
    assert head is not None and head.group(1).startswith("审核截止 2026-")
