"""Every API operation × every caller × own shop / another shop / no token, as a table.

The operations come from the app's OpenAPI document: a new route without a row in ``MATRIX``
fails ``test_every_operation_has_a_row``. Callers are the roles of ``domain/roles.py`` plus the
admin's integration token; the merchant callers (owner, staff) belong to shop A, so "other" is
shop B's object. What a cell means:

- 2xx: allowed, and the request is a valid one (the exact status is written down);
- 404: the object belongs to another tenant (its existence is not revealed);
- 403: the role may not do this at all;
- 401: no bearer token;
- 422: a public feed endpoint refusing an unsigned push, whoever sends it (404 for the 抖店
  route callback of a shop nobody connected).

For platform roles (cs, reviewer, admin) "other" is simply the second shop: they see all shops.
Every 2xx answer to a merchant is also searched for shop B's id, so a list that leaks another
tenant's rows fails even though its status is right.

SQLite only: the matrix exercises code paths, not the backend. The world is built once; before
every cell that can write, the database is restored from a snapshot with SQLite's backup API.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.entrypoints.app import create_app
from tests.integration.authz_world import (
    CALLERS,
    AuthzWorld,
    TenantObjects,
    at,
    build_authz_world,
    jpeg_bytes,
)
from tests.integration.web.world import PASSWORD, make_runtime

OWN, OTHER = 1, 2  # shop ids: the merchant callers belong to shop A
V1 = "/api/v1"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


Build = Callable[[AuthzWorld, TenantObjects, str | None], Call]


@dataclass(frozen=True)
class Row:
    """Expected statuses: (owner, staff, cs, reviewer, admin, integration) × own/other, anon."""

    build: Build
    own: tuple[int, int, int, int, int, int]
    other: tuple[int, int, int, int, int, int]
    anon: int


def _same(build: Build, statuses: tuple[int, int, int, int, int, int], anon: int = 401) -> Row:
    return Row(build, statuses, statuses, anon)


def _get(path: str) -> Build:
    return lambda w, t, c: Call("GET", path.format(**_ids(w, t)))


def _post(path: str, json: Any = None) -> Build:
    return lambda w, t, c: Call("POST", path.format(**_ids(w, t)), json=json)


def _ids(w: AuthzWorld, t: TenantObjects) -> dict[str, Any]:
    return {**vars(t), "token_id": w.integration_token_id}


def _shop_filter(path: str, name: str) -> Build:
    return lambda w, t, c: Call("GET", path, params={name: t.shop_id})


def _appeal_create(w: AuthzWorld, t: TenantObjects, caller: str | None) -> Call:
    channel = "customer_service" if caller == "cs" else "online"
    return Call(
        "POST",
        f"{V1}/appeals",
        json={"violation_id": t.violation_free, "channel": channel, "statement": "已按时交寄"},
    )


def _evidence_upload(w: AuthzWorld, t: TenantObjects, caller: str | None) -> Call:
    return Call(
        "POST",
        f"{V1}/appeals/{t.appeal_draft}/evidence",
        files={"file": ("receipt.jpg", jpeg_bytes(), "image/jpeg")},
    )


def _mark_shipped(w: AuthzWorld, t: TenantObjects, caller: str | None) -> Call:
    return Call(
        "POST",
        f"{V1}/shipments",
        json={
            "order_id": t.unshipped_order_id,
            "carrier": "顺丰",
            "waybill": f"SFNEW{t.shop_id}",
            "shipped_at": at(-1).isoformat(),
        },
    )


def _tracking_batch(w: AuthzWorld, t: TenantObjects, caller: str | None) -> Call:
    return Call(
        "POST",
        f"{V1}/tracking/events",
        json={
            "events": [
                {
                    "carrier": "SF",
                    "waybill": t.waybill,
                    "time": at(-2).isoformat(),
                    "status": "picked_up",
                    "location": "杭州",
                }
            ]
        },
    )


def _assign_task(w: AuthzWorld, t: TenantObjects, caller: str | None) -> Call:
    return Call(
        "POST",
        f"{V1}/tasks",
        json={
            "entity_type": "violation",
            "entity_id": t.violation_free,
            "assignee_id": w.user_ids["admin"],
        },
    )


WINDOW = {"starts_at": at(24).isoformat(), "ends_at": at(48).isoformat()}
ALL_OK, ALL_CREATED = (200,) * 6, (201,) * 6
ADMIN_ONLY, ADMIN_CREATES = (403, 403, 403, 403, 200, 200), (403, 403, 403, 403, 201, 201)

# fmt: off
#                       owner staff  cs   revw admin integ
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/health"): _same(_get(f"{V1}/health"), ALL_OK, anon=200),
    ("POST", "/api/v1/auth/token"): _same(
        lambda w, t, c: Call("POST", f"{V1}/auth/token",
                             data={"username": "merchant", "password": PASSWORD}),
        ALL_OK, anon=200),
    ("GET", "/api/v1/orders"): _same(_shop_filter(f"{V1}/orders", "shop_id"), ALL_OK),
    ("GET", "/api/v1/orders/{order_id}"): Row(
        _get(f"{V1}/orders/{{order_id}}"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("GET", "/api/v1/orders/{order_id}/contacts"): Row(
        _get(f"{V1}/orders/{{order_id}}/contacts"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("POST", "/api/v1/shipments/{shipment_id}/contacts"): Row(
        _post(f"{V1}/shipments/{{shipment_id}}/contacts",
              {"counterpart_kind": "courier", "channel": "phone", "summary": "催促揽收"}),
        own=(201, 201, 201, 403, 201, 201), other=(404, 404, 201, 403, 201, 201), anon=401),
    ("GET", "/api/v1/tokens"): _same(_get(f"{V1}/tokens"), ADMIN_ONLY),
    ("POST", "/api/v1/tokens"): _same(_post(f"{V1}/tokens", {"name": "erp sync"}),
                                      ADMIN_CREATES),
    ("DELETE", "/api/v1/tokens/{token_id}"): _same(
        lambda w, t, c: Call("DELETE", f"{V1}/tokens/{w.integration_token_id}"), ADMIN_ONLY),
    ("GET", "/api/v1/exemptions"): _same(_get(f"{V1}/exemptions"), ALL_OK),
    ("POST", "/api/v1/exemptions/events"): _same(
        _post(f"{V1}/exemptions/events", {**WINDOW, "reason": "台风", "provinces": ["浙江"]}),
        ADMIN_CREATES),
    ("POST", "/api/v1/exemptions/reports"): Row(
        lambda w, t, c: Call("POST", f"{V1}/exemptions/reports",
                             json={**WINDOW, "reason": "仓库停电", "shop_id": t.shop_id}),
        own=ALL_CREATED, other=(404, 404, 201, 201, 201, 201), anon=401),
    ("POST", "/api/v1/exemptions/{exemption_id}/decision"): _same(
        _post(f"{V1}/exemptions/{{report_pending}}/decision", {"approve": True}),
        (403, 403, 403, 200, 200, 200)),
    ("POST", "/api/v1/tracking/kuaidi100"): _same(
        lambda w, t, c: Call("POST", f"{V1}/tracking/kuaidi100", data={"param": "{}"}),
        (422,) * 6, anon=422),
    ("POST", "/api/v1/tracking/kdniao"): _same(
        lambda w, t, c: Call("POST", f"{V1}/tracking/kdniao", data={"RequestData": "{}"}),
        (422,) * 6, anon=422),
    ("POST", "/api/v1/tracking/events"): _same(_tracking_batch, ADMIN_ONLY),
    ("GET", "/api/v1/tracking/receipts/{receipt_id}"): Row(
        lambda w, t, c: Call("GET", f"{V1}/tracking/receipts/{t.receipt_id}"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    # unsigned: refused before anything is read, whoever calls
    ("POST", "/api/v1/platforms/douyin/push"): _same(
        lambda w, t, c: Call("POST", f"{V1}/platforms/douyin/push", json=[]),
        (401,) * 6, anon=401),
    # a route callback for a shop nobody connected: refused before its body is read
    ("POST", "/api/v1/platforms/douyin/route"): _same(
        lambda w, t, c: Call("POST", f"{V1}/platforms/douyin/route",
                             params={"shop": "880001", "token": "0" * 64}, json={}),
        (404,) * 6, anon=404),
    ("GET", "/api/v1/platforms/connections"): _same(
        _get(f"{V1}/platforms/connections"), ADMIN_ONLY),
    ("GET", "/api/v1/feeds"): _same(_get(f"{V1}/feeds"), ADMIN_ONLY),
    ("POST", "/api/v1/feeds"): _same(
        _post(f"{V1}/feeds", {"kind": "kuaidi100", "name": "快递100", "secret": "salt-123456"}),
        ADMIN_CREATES),
    ("PUT", "/api/v1/shops/{shop_id}/tracking-feed"): _same(
        lambda w, t, c: Call("PUT", f"{V1}/shops/{t.shop_id}/tracking-feed",
                             json={"integration_id": None}),
        ADMIN_ONLY),
    ("GET", "/api/v1/tracking/subscriptions"): _same(
        _get(f"{V1}/tracking/subscriptions"), ADMIN_ONLY),
    ("POST", "/api/v1/tracking/subscriptions/{subscription_id}/retry"): _same(
        _post(f"{V1}/tracking/subscriptions/999999/retry"), (403, 403, 403, 403, 404, 404)),
    ("POST", "/api/v1/shipments"): Row(
        _mark_shipped,
        own=(200, 200, 403, 403, 200, 200), other=(404, 404, 403, 403, 200, 200), anon=401),
    ("GET", "/api/v1/violations"): _same(_shop_filter(f"{V1}/violations", "shop"), ALL_OK),
    ("GET", "/api/v1/violations/{violation_id}/statement-draft"): Row(
        _get(f"{V1}/violations/{{violation_free}}/statement-draft"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("POST", "/api/v1/appeals"): Row(
        _appeal_create,
        own=(201, 201, 201, 403, 201, 201), other=(404, 404, 201, 403, 201, 201), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/evidence"): Row(
        _evidence_upload,
        own=(201, 201, 201, 403, 201, 201), other=(404, 404, 201, 403, 201, 201), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/submit"): Row(
        _post(f"{V1}/appeals/{{appeal_draft}}/submit"),
        own=(200, 200, 200, 403, 200, 200), other=(404, 404, 200, 403, 200, 200), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/claim"): Row(
        _post(f"{V1}/appeals/{{appeal_submitted}}/claim"),
        own=(403, 403, 403, 200, 200, 200), other=(404, 404, 403, 200, 200, 200), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/decision"): Row(
        _post(f"{V1}/appeals/{{appeal_submitted}}/decision", {"outcome": "approved"}),
        own=(403, 403, 403, 200, 200, 200), other=(404, 404, 403, 200, 200, 200), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/reconsider"): Row(
        _post(f"{V1}/appeals/{{appeal_rejected}}/reconsider", {"statement": "补充停电证明"}),
        own=(200, 200, 200, 403, 200, 200), other=(404, 404, 200, 403, 200, 200), anon=401),
    ("POST", "/api/v1/appeals/{appeal_id}/withdraw"): Row(
        _post(f"{V1}/appeals/{{appeal_draft}}/withdraw", {"reason": "已与买家协商"}),
        own=(200, 200, 200, 403, 200, 200), other=(404, 404, 200, 403, 200, 200), anon=401),
    ("GET", "/api/v1/appeals/{appeal_id}"): Row(
        _get(f"{V1}/appeals/{{appeal_draft}}"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("GET", "/api/v1/appeals/{appeal_id}/evidence/{evidence_id}"): Row(
        _get(f"{V1}/appeals/{{appeal_draft}}/evidence/{{evidence_id}}"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("GET", "/api/v1/appeals/{appeal_id}/dossier"): Row(
        _get(f"{V1}/appeals/{{appeal_draft}}/dossier"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("POST", "/api/v1/complaints"): _same(
        lambda w, t, c: Call("POST", f"{V1}/complaints",
                             json={"order_id": t.order_id, "reason": "买家投诉未揽收"}),
        (403, 403, 201, 201, 201, 201)),
    ("GET", "/api/v1/complaints"): _same(_shop_filter(f"{V1}/complaints", "shop"), ALL_OK),
    ("GET", "/api/v1/complaints/{complaint_id}"): Row(
        _get(f"{V1}/complaints/{{complaint_open}}"),
        own=ALL_OK, other=(404, 404, 200, 200, 200, 200), anon=401),
    ("POST", "/api/v1/complaints/{complaint_id}/decision"): _same(
        _post(f"{V1}/complaints/{{complaint_open}}/decision", {"uphold": False}),
        (403, 403, 403, 200, 200, 200)),
    ("POST", "/api/v1/complaints/{complaint_id}/task/done"): Row(
        _post(f"{V1}/complaints/{{complaint_upheld}}/task/done", {"note": "已补偿 3 元"}),
        own=(200, 200, 403, 403, 200, 200), other=(404, 404, 403, 403, 200, 200), anon=401),
    ("GET", "/api/v1/alerts/channels"): _same(_shop_filter(f"{V1}/alerts/channels", "shop"),
                                              ALL_OK),
    ("POST", "/api/v1/alerts/channels"): Row(
        lambda w, t, c: Call("POST", f"{V1}/alerts/channels", json={
            "shop_id": t.shop_id, "kind": "feishu", "name": "超时提醒",
            "config": {"url": "https://open.feishu.example/hook"},
            "subscriptions": [{"event_kind": "at_risk", "lead_minutes": 60}]}),
        own=(201, 403, 403, 403, 201, 201), other=(404, 403, 403, 403, 201, 201), anon=401),
    ("GET", "/api/v1/alerts/deliveries"): _same(_get(f"{V1}/alerts/deliveries"), ALL_OK),
    ("GET", "/api/v1/tasks"): _same(_get(f"{V1}/tasks"), ALL_OK),
    ("POST", "/api/v1/tasks"): Row(
        _assign_task, own=ALL_CREATED, other=(404, 404, 201, 201, 201, 201), anon=401),
}
# fmt: on

# Cells whose correct status is written above but the app answers otherwise today:
# (method, path, caller, "own" | "other" | "anon") → the status the app gives now. The lead
# removes an entry when the route is fixed; the cell is then tested like every other one.
KNOWN_BUGS: dict[tuple[str, str, str, str], int] = {}


def _cells() -> Iterator[Any]:
    for (method, path), row in MATRIX.items():
        cells: list[tuple[str | None, str, int]] = [
            (c, "own", s) for c, s in zip(CALLERS, row.own, strict=True)
        ]
        cells += [(c, "other", s) for c, s in zip(CALLERS, row.other, strict=True)]
        cells.append((None, "anon", row.anon))
        for caller, where, status in cells:
            if (method, path, caller or "anon", where) in KNOWN_BUGS:
                continue
            yield pytest.param(
                method,
                path,
                caller,
                where,
                status,
                id=f"{method} {path} {caller or 'anon'} {where}",
            )


@dataclass
class Served:
    client: TestClient
    world: AuthzWorld
    restore: Callable[[], None]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Served]:
    """The world behind one app for the whole module; ``restore`` undoes a cell's writes."""
    root = tmp_path_factory.mktemp("authz")
    path, snapshot = root / "lanshou.db", root / "snapshot.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    runtime = make_runtime(session_factory(engine), var_dir=root)
    world = build_authz_world(runtime.sessions, runtime.settings)
    _copy_database(engine, snapshot, into_snapshot=True)

    def restore() -> None:
        _copy_database(engine, snapshot, into_snapshot=False)

    with TestClient(create_app(runtime)) as client:
        yield Served(client, world, restore)
    engine.dispose()


def _copy_database(engine: Engine, snapshot: Path, *, into_snapshot: bool) -> None:
    """SQLite's online backup, one way or the other, through one of the engine's connections."""
    raw = engine.raw_connection()
    try:
        live = raw.driver_connection
        assert isinstance(live, sqlite3.Connection)
        with sqlite3.connect(snapshot) as copy:
            source, target = (live, copy) if into_snapshot else (copy, live)
            source.backup(target)
    finally:
        raw.close()


def _shop_ids_in(value: Any) -> set[int]:
    """Every ``shop_id`` anywhere in a JSON document."""
    if isinstance(value, dict):
        found = {value["shop_id"]} if isinstance(value.get("shop_id"), int) else set()
        return found.union(*(_shop_ids_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_shop_ids_in(v) for v in value))
    return set()


def test_every_operation_has_a_row(served: Served) -> None:
    document = served.client.get(f"{V1}/openapi.json").json()
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert operations - MATRIX.keys() == set(), "operations without an expected row"
    assert MATRIX.keys() - operations == set(), "rows for operations that no longer exist"


def test_known_bugs_name_real_cells() -> None:
    for method, path, caller, where in KNOWN_BUGS:
        assert (method, path) in MATRIX and caller in (*CALLERS, "anon")
        assert where in ("own", "other", "anon")


@pytest.mark.parametrize(("method", "path", "caller", "where", "expected"), list(_cells()))
def test_cell(
    served: Served, method: str, path: str, caller: str | None, where: str, expected: int
) -> None:
    world = served.world
    call = MATRIX[(method, path)].build(
        world, world.tenants[OTHER if where == "other" else OWN], caller
    )
    if method != "GET":
        served.restore()
    response = served.client.request(
        call.method,
        call.path,
        params=call.params,
        json=call.json,
        data=call.data,
        files=call.files,
        headers=world.headers(caller),
    )
    assert response.status_code == expected, response.text[:300]
    merchant = caller in ("owner", "staff")
    if merchant and response.is_success and "json" in response.headers["content-type"]:
        assert OTHER not in _shop_ids_in(response.json()), "shop B's data reached shop A"
