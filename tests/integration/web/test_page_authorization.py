"""Every page (GET route of the web router) × every role × own shop / another shop / no session.

Pages are read from the web router, so a new page without a row in ``PAGES`` fails
``test_every_page_has_a_row``. Each role logs in through the login form. What a cell means:
200 the page renders; 403 the role may not see it; 404 the object is another tenant's; 303 a
redirect (without a session: to the login form, with the page to return to). The merchant
callers (owner, staff) belong to shop A; "other" is shop B's object. Every page a merchant gets
is also searched for shop B's name, so a page that shows another tenant's rows fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.entrypoints.app import create_app
from lanshou.entrypoints.web.router import build_web_router
from tests.integration.authz_world import USERNAMES, AuthzWorld, TenantObjects, build_authz_world
from tests.integration.web.world import login, make_runtime

CALLERS = ("owner", "staff", "cs", "reviewer", "admin")  # pages need a browser session
OWN, OTHER = 1, 2
OTHER_SHOP_NAME = "山野茶舍"


@dataclass(frozen=True)
class Page:
    """A URL template filled from one tenant's objects, and the expected statuses:
    (owner, staff, cs, reviewer, admin) for shop A's object and for shop B's, then anon."""

    url: str
    own: tuple[int, int, int, int, int]
    other: tuple[int, int, int, int, int]
    anon: int = 303


def _same(url: str, statuses: tuple[int, int, int, int, int], anon: int = 303) -> Page:
    return Page(url, statuses, statuses, anon)


ALL = (200,) * 5
NOT_REVIEWER = (200, 200, 200, 403, 200)
SCOPED = (404, 404, 200, 200, 200)  # another tenant's object: hidden from merchants

# fmt: off
#                                                          owner staff  cs  revw admin
PAGES: dict[str, Page] = {
    "/login": _same("/login", (303,) * 5, anon=200),
    "/": _same("/", ALL),
    "/at-risk": _same("/at-risk", NOT_REVIEWER),
    "/orders": _same("/orders?shop={shop_id}", ALL),
    "/orders/{order_id}": Page("/orders/{order_id}", ALL, SCOPED),
    "/admin/users": _same("/admin/users", (403, 403, 403, 403, 200)),
    "/admin/tracking": _same("/admin/tracking", (403, 403, 403, 403, 200)),
    "/admin/platforms": _same("/admin/platforms", (403, 403, 403, 403, 200)),
    "/analytics/losses": _same("/analytics/losses", NOT_REVIEWER),
    "/analytics/carriers": _same("/analytics/carriers", NOT_REVIEWER),
    "/analytics/whatif": _same("/analytics/whatif", (200, 403, 403, 403, 200)),
    "/violations": _same("/violations?shop={shop_id}", ALL),
    "/violations/{violation_id}/appeal": Page(
        "/violations/{violation_free}/appeal", NOT_REVIEWER, (404, 404, 200, 403, 200)),
    "/appeals/{appeal_id}": Page("/appeals/{appeal_draft}", ALL, SCOPED),
    "/appeals/{appeal_id}/evidence/{evidence_id}": Page(
        "/appeals/{appeal_draft}/evidence/{evidence_id}", ALL, SCOPED),
    "/appeals/{appeal_id}/dossier": Page("/appeals/{appeal_draft}/dossier", ALL, SCOPED),
    "/review": _same("/review?shop={shop_id}", (403, 403, 403, 200, 200)),
    "/review/{appeal_id}": _same("/review/{appeal_submitted}", (403, 403, 403, 200, 200)),
    "/complaints": _same("/complaints", ALL),
    "/alerts/settings": _same("/alerts/settings", (200, 403, 403, 403, 200)),
    "/alerts/deliveries": _same("/alerts/deliveries", NOT_REVIEWER),
    "/reminders/{shipment_id}": Page(
        "/reminders/{shipment_id}", NOT_REVIEWER, (404, 404, 200, 403, 200)),
    "/tasks": _same("/tasks", ALL),
    # one order found: straight to it; another tenant's waybill is "no match" for merchants
    "/search": Page("/search?q={waybill}", (303,) * 5, (200, 200, 303, 303, 303)),
    "/assign": Page("/assign?entity=violation:{violation_free}", ALL, SCOPED),
}
# fmt: on

# Cells whose correct status is written above but the app answers otherwise today:
# (page, caller, "own" | "other" | "anon") → the status the app gives now.
KNOWN_BUGS: dict[tuple[str, str, str], int] = {}


def get_pages(router: Any, prefix: str = "") -> Iterator[str]:
    """Paths of the GET routes, walking included routers (FastAPI includes them lazily, so
    ``router.routes`` holds wrappers whose routes and prefix are on the wrapper)."""
    for route in router.routes:
        if hasattr(route, "original_router"):
            yield from get_pages(route.original_router, prefix + route.include_context.prefix)
        elif "GET" in getattr(route, "methods", ()):
            yield prefix + route.path


def _cells() -> Iterator[Any]:
    for page, row in PAGES.items():
        cells: list[tuple[str | None, str, int]] = [
            (c, "own", s) for c, s in zip(CALLERS, row.own, strict=True)
        ]
        cells += [(c, "other", s) for c, s in zip(CALLERS, row.other, strict=True)]
        cells.append((None, "anon", row.anon))
        for caller, where, status in cells:
            if (page, caller or "anon", where) not in KNOWN_BUGS:
                yield pytest.param(
                    page, caller, where, status, id=f"{page} {caller or 'anon'} {where}"
                )


@dataclass
class Browsers:
    world: AuthzWorld
    clients: dict[str | None, TestClient]  # caller (None: no session) → a logged-in browser


@pytest.fixture(scope="module")
def browsers(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[Browsers]:
    """One app over the two-tenant world and one browser per role, logged in through the form.

    Pages only read, so the world is built once for the whole module.
    """
    root = tmp_path_factory.mktemp("pages")
    shutil.copy(_sqlite_template, root / "lanshou.db")
    engine = make_engine(f"sqlite:///{root / 'lanshou.db'}")
    runtime = make_runtime(session_factory(engine), var_dir=root)
    world = build_authz_world(runtime.sessions, runtime.settings)
    app: FastAPI = create_app(runtime)
    clients: dict[str | None, TestClient] = {None: TestClient(app)}
    for caller in CALLERS:
        clients[caller] = TestClient(app)
        response = login(clients[caller], USERNAMES[caller])
        assert response.status_code == 303, f"{caller} could not log in"  # type: ignore[attr-defined]
    yield Browsers(world, clients)
    for client in clients.values():
        client.close()
    engine.dispose()


def test_every_page_has_a_row() -> None:
    pages = set(get_pages(build_web_router()))
    assert pages - PAGES.keys() == set(), "pages without an expected row"
    assert PAGES.keys() - pages == set(), "rows for pages that no longer exist"


def test_known_bugs_name_real_cells() -> None:
    for page, caller, where in KNOWN_BUGS:
        assert page in PAGES and caller in (*CALLERS, "anon") and where in ("own", "other", "anon")


def _url(template: str, tenant: TenantObjects) -> str:
    return template.format(**vars(tenant))


@pytest.mark.parametrize(("page", "caller", "where", "expected"), list(_cells()))
def test_page(browsers: Browsers, page: str, caller: str | None, where: str, expected: int) -> None:
    url = _url(PAGES[page].url, browsers.world.tenants[OTHER if where == "other" else OWN])
    response = browsers.clients[caller].get(url, follow_redirects=False)
    assert response.status_code == expected, response.text[:300]
    if caller is None and expected == 303:
        assert response.headers["location"] == f"/login?next={quote(url, safe='/')}"
    if caller is not None:  # authenticated: nothing of it may stay in a cache for Back
        assert response.headers["cache-control"] == "no-store"
    if caller in ("owner", "staff") and response.status_code == 200:
        assert OTHER_SHOP_NAME not in response.text, "shop B's data reached shop A's page"


def test_the_leak_check_looks_for_what_a_leak_would_show(browsers: Browsers) -> None:
    """Shop B's name is on the pages platform roles see, so its absence for merchants means
    something."""
    assert OTHER_SHOP_NAME in browsers.clients["cs"].get("/orders").text
    assert OTHER_SHOP_NAME not in browsers.clients["owner"].get("/orders").text
