"""HEAD is answered as GET would be, without the body (uptime monitors send HEAD /)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.web.world import login


def test_head_of_a_page_has_the_get_answer_headers_and_no_body(client: TestClient) -> None:
    get = client.get("/login")
    head = client.head("/login")
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["cache-control"] == "no-store"


def test_head_follows_the_same_rules_as_get(client: TestClient) -> None:
    # Not logged in: the home page sends to the login form, as GET does.
    assert client.head("/", follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    login(client, "merchant")
    head = client.head("/orders")
    assert head.status_code == 200 and head.content == b""
    assert client.head("/orders/999999").status_code == 404


def test_head_of_a_post_only_route_is_still_refused(client: TestClient) -> None:
    assert client.head("/api/v1/tracking/events").status_code == 405
