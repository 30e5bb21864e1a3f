"""Logging in and out through the pages: throttling, generic errors, CSRF, session cookies."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import LoginFailure, WebSession
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from tests.integration.web.world import PASSWORD, World, csrf_of, login


def later(runtime: Runtime, seconds: int) -> None:
    """Move the app's fixed clock on."""
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.at += timedelta(seconds=seconds)


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_merchant_logs_in_and_lands_on_their_to_do(client: TestClient, sessions) -> None:
    response = login(client, "merchant")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "lanshou_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # test is a development environment
    token = client.cookies["lanshou_session"]
    with sessions() as s:
        stored = s.execute(select(WebSession.token_hash)).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest() != token
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200 and "<h1>待办</h1>" in home.text


def test_wrong_password_and_unknown_user_get_the_same_message(
    client: TestClient, sessions, runtime: Runtime
) -> None:
    wrong = login(client, "merchant", "not-the-password")
    later(runtime, 2)  # the back-off after one failure
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误。" in wrong.text and "用户名或密码错误。" in unknown.text
    assert "lanshou_session" not in client.cookies
    assert _count(sessions, LoginFailure) == 2


def test_after_five_failures_even_the_right_password_waits_32_seconds_then_works(
    client: TestClient, sessions, runtime: Runtime
) -> None:
    for wait in (2, 4, 8, 16, 0):
        assert login(client, "merchant", "guess").status_code == 401
        later(runtime, wait)
    throttled = login(client, "merchant", PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "32"
    assert "登录失败次数过多，请 32 秒后再试。" in throttled.text
    assert "lanshou_session" not in client.cookies
    assert _count(sessions, LoginFailure) == 5  # the refused attempt is not a failure
    assert _count(sessions, WebSession) == 0
    # A colleague at the same client address (a shop's office NAT) does not wait for it.
    assert login(client, "other").status_code == 303
    later(runtime, 32)
    assert login(client, "merchant", PASSWORD).status_code == 303
    assert _count(sessions, LoginFailure) == 0  # the user's own failures are forgotten


def test_a_long_wait_is_told_in_whole_minutes(client: TestClient, runtime: Runtime) -> None:
    for wait in (2, 4, 8, 16, 32, 64, 128, 0):
        assert login(client, "merchant", "guess").status_code == 401
        later(runtime, wait)
    client.cookies.set("lanshou_locale", "en")
    throttled = login(client, "merchant", PASSWORD)
    assert throttled.headers["retry-after"] == "256"
    assert "Too many failed attempts. Try again in 5 minutes." in throttled.text


def test_logout_invalidates_the_session(client: TestClient, sessions) -> None:
    login(client, "merchant")
    old_cookie = client.cookies["lanshou_session"]
    page = client.get("/orders")
    response = client.post(
        "/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert _count(sessions, WebSession) == 0
    client.cookies.set("lanshou_session", old_cookie)
    again = client.get("/orders", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/login?next=/orders")


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, sessions
) -> None:
    login(client, "merchant")
    missing = client.post("/logout", follow_redirects=False)
    wrong = client.post("/logout", data={"csrf_token": "x" * 43}, follow_redirects=False)
    assert missing.status_code == wrong.status_code == 403
    assert "表单已过期或并非来自本站" in missing.text
    assert _count(sessions, WebSession) == 1
    assert client.get("/orders").status_code == 200


def test_the_login_form_itself_needs_its_csrf_token(client: TestClient, sessions) -> None:
    response = client.post(
        "/login", data={"username": "merchant", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert _count(sessions, WebSession) == 0


def test_pages_send_anonymous_visitors_to_the_login_form(client: TestClient, world: World) -> None:
    response = client.get(f"/orders/{world.order_ids['A002']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/orders/{world.order_ids['A002']}"


def test_login_redirects_only_to_local_paths(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "merchant",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
