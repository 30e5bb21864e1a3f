"""Security headers on pages, API answers, errors, static files and the API docs; session
cookies' flags in production and in development."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from lanshou.entrypoints.app import create_app
from tests.integration.web.world import World, bearer, csrf_of, login, make_runtime

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
EVERYWHERE = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
TEMPLATES = Path(__file__).parents[3] / "src/lanshou/entrypoints/web/templates"


def _security(headers: object) -> dict[str, str]:
    wanted = [*EVERYWHERE, "cache-control", "strict-transport-security"]
    return {name: headers[name] for name in wanted if name in headers}  # type: ignore[index]


def test_a_logged_in_page_has_every_header_and_is_not_stored(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/orders")
    assert page.status_code == 200
    assert _security(page.headers) == {**EVERYWHERE, "cache-control": "no-store"}


@pytest.mark.parametrize("path", ["/login", "/orders/999999"])
def test_the_login_form_and_error_pages_have_them_too(client: TestClient, path: str) -> None:
    login(client, "merchant") if path != "/login" else None
    response = client.get(path)
    assert response.status_code == (200 if path == "/login" else 404)
    assert _security(response.headers) == {**EVERYWHERE, "cache-control": "no-store"}


def test_an_api_answer_has_them_and_is_not_stored(client: TestClient) -> None:
    response = client.get("/api/v1/orders", headers=bearer(client, "merchant"))
    assert response.status_code == 200
    assert _security(response.headers) == {**EVERYWHERE, "cache-control": "no-store"}
    refused = client.get("/api/v1/orders")
    assert refused.status_code == 401
    assert _security(refused.headers) == {**EVERYWHERE, "cache-control": "no-store"}


def test_static_files_may_be_cached_but_are_not_sniffed(client: TestClient) -> None:
    response = client.get("/static/js/at_risk.js")
    assert response.status_code == 200
    assert _security(response.headers) == EVERYWHERE
    again = client.get("/static/js/at_risk.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304  # the browser's copy is revalidated, not refetched
    assert "cache-control" not in again.headers


def test_logging_out_clears_the_browsers_cache(client: TestClient) -> None:
    login(client, "merchant")
    token = csrf_of(client.get("/orders").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache"'
    assert response.headers["cache-control"] == "no-store"


def test_the_api_docs_allow_exactly_their_own_inline_script_by_hash(client: TestClient) -> None:
    docs = client.get("/docs")
    [script] = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert docs.headers["content-security-policy"] == CSP.replace(
        "script-src 'self'", f"script-src 'self' 'sha256-{digest}'"
    )


def test_production_adds_hsts_and_secure_cookies(
    sessions: sessionmaker[Session], world: World
) -> None:
    runtime = make_runtime(sessions, env="prod")
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        form = client.get("/login")
        assert form.headers["strict-transport-security"] == "max-age=31536000"
        assert "Secure" in form.headers["set-cookie"]  # the anonymous CSRF cookie
        response = login(client, "merchant")
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith("lanshou_session=")
    assert {"HttpOnly", "Secure", "SameSite=lax", "Path=/"} <= {
        part.strip() for part in cookie.split(";")
    }


def test_development_cookies_are_http_only_and_lax_but_not_secure(client: TestClient) -> None:
    response = login(client, "merchant")
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    parts = {part.strip() for part in cookie.split(";")}
    assert {"HttpOnly", "SameSite=lax", "Path=/"} <= parts and "Secure" not in parts
    assert "strict-transport-security" not in client.get("/login").headers


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_has_inline_script_or_event_handlers(template: Path) -> None:
    html = template.read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert re.findall(r"\sstyle\s*=|<style", html) == []
    assert "javascript:" not in html
