"""The users of `bench/bench_web_load.py`: demo logins browsing the web app, one integration
posting tracking events. Run by locust (the `bench` extra), never by the test suite.

The plan (JSON, path in LANSHOU_LOAD_PLAN, written by bench_web_load.py from the database)
names real order ids each login may open, the appeals it may read and the parcels whose scans
the integration posts: a constant mix of pickup scans and later scans of parcels on their way,
for as long as the plan lasts (bench/load_events.py). Requests are named by route
(`/orders/[id]`), so the statistics are per page, not per URL.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_events import EventPlan, parcels

PLAN: dict[str, Any] = json.loads(Path(os.environ["LANSHOU_LOAD_PLAN"]).read_text(encoding="utf-8"))
PASSWORD = PLAN["password"]
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# One plan for every integration user: each scan is posted once in the whole run.
_EVENTS = EventPlan(
    parcels(PLAN["waiting"]),
    parcels(PLAN["on_the_way"]),
    size=PLAN["events_per_post"],
    pickups=PLAN["pickups_per_post"],
)
_EVENTS_LOCK = threading.Lock()
ORDER_PAGES = PLAN["order_pages"]  # the list's pages a user leafs through: 1 … N
# One login at a time: every simulated user comes from 127.0.0.1, and the login throttle
# counts an address's attempts in flight against each other (a guard against parallel
# guessing), so simultaneous logins from one address are refused with 429 by design.
# (locust monkey-patches threading: this lock makes greenlets wait, not the process.)
_LOGIN_LOCK = threading.Lock()


def _login(user: HttpUser, username: str) -> None:
    """The real login form: GET it (CSRF cookie + hidden field), POST it with the token."""
    with _LOGIN_LOCK:
        _post_login_form(user, username)


def _post_login_form(user: HttpUser, username: str) -> None:
    with user.client.get("/login", name="/login", catch_response=True) as page:
        found = CSRF_INPUT.search(page.text or "")
        if page.status_code != 200 or found is None:
            page.failure(f"login form: HTTP {page.status_code}, csrf field found: {bool(found)}")
            raise RuntimeError(f"cannot log in as {username}")
    form = {"username": username, "password": PASSWORD, "next": "/", "csrf_token": found[1]}
    with user.client.post(
        "/login", data=form, name="/login [POST]", allow_redirects=False, catch_response=True
    ) as answer:
        if answer.status_code != 303 or "lanshou_session" not in user.client.cookies:
            answer.failure(f"login as {username}: HTTP {answer.status_code}, no session cookie")
            raise RuntimeError(f"cannot log in as {username}")


class Browser(HttpUser):
    """A logged-in person; subclasses say who and which pages they use."""

    abstract = True
    wait_time = between(1, 2)
    username = ""

    def on_start(self) -> None:
        _login(self, self.username)
        mine = PLAN["logins"][self.username]
        self.order_ids: list[int] = mine["orders"]
        self.appeal_ids: list[int] = mine["appeals"]

    def page(self, url: str, name: str) -> None:
        # Redirects are not followed: a page that sends the user back to /login is an error.
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")

    def order_list(self) -> None:
        self.page(f"/orders?page={random.randint(1, ORDER_PAGES)}", "/orders?page=[n]")

    def order_detail(self) -> None:
        self.page(f"/orders/{random.choice(self.order_ids)}", "/orders/[id]")

    def at_risk(self) -> None:
        sort = random.choice(("due", "risk"))
        self.page(f"/at-risk?sort={sort}", f"/at-risk?sort={sort}")


class Merchant(Browser):
    """The shop owner: every page of the mix."""

    weight = 3
    username = "merchant"

    @task(3)
    def board(self) -> None:
        self.at_risk()

    @task(3)
    def orders(self) -> None:
        self.order_list()

    @task(4)
    def order(self) -> None:
        self.order_detail()

    @task(1)
    def losses(self) -> None:
        self.page("/analytics/losses?days=30", "/analytics/losses")

    @task(1)
    def appeal(self) -> None:
        self.page(f"/appeals/{random.choice(self.appeal_ids)}", "/appeals/[id]")


class Staff(Browser):
    """The shipping clerk of one shop: the board, the list and orders."""

    weight = 2
    username = "staff"

    @task(3)
    def board(self) -> None:
        self.at_risk()

    @task(2)
    def orders(self) -> None:
        self.order_list()

    @task(4)
    def order(self) -> None:
        self.order_detail()


class Reviewer(Browser):
    """The platform's reviewer: appeal cases and the orders behind them."""

    weight = 1
    username = "reviewer"

    @task(3)
    def appeal(self) -> None:
        self.page(f"/review/{random.choice(self.appeal_ids)}", "/review/[id]")

    @task(1)
    def order(self) -> None:
        self.order_detail()


class Integration(HttpUser):
    """A carrier feed: pickup scans of parcels waiting for pickup and the next scans of parcels
    on their way, through the real API with an administrator's bearer token (POST
    /api/v1/auth/token)."""

    weight = 1
    wait_time = between(1, 2)

    def on_start(self) -> None:
        with _LOGIN_LOCK:
            answer = self.client.post(
                "/api/v1/auth/token",
                data={"username": "admin", "password": PASSWORD},
                name="/api/v1/auth/token",
            )
        answer.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    @task
    def post_events(self) -> None:
        with _EVENTS_LOCK:
            events = _EVENTS.batch(datetime.now(UTC))
        if not events:
            return  # the plan is used up: post nothing rather than duplicates
        with self.client.post(
            "/api/v1/tracking/events",
            json={"events": events},
            name="/api/v1/tracking/events",
            catch_response=True,
        ) as r:
            if r.status_code != 200 or r.json().get("received") != len(events):
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")
