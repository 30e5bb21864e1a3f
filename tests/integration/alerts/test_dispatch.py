"""The dispatcher: quiet hours, critical alerts, dedup, retries with exact backoff, the log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.models import Deadline, Shipment, Violation, Warning_
from lanshou.adapters.db.models.alerts import AlertDelivery, AlertOutbox
from lanshou.adapters.notify import Sender, build_sender
from lanshou.alerts import AlertPolicy, dispatch_alerts
from lanshou.alerts.channels import create_channel, list_deliveries, set_subscriptions
from lanshou.domain.roles import Role
from lanshou.enforcement.rules_context import RulesContext
from lanshou.identity.auth import Principal
from lanshou.identity.scope import Scope
from tests.integration.web.world import CST, World

NIGHT = datetime(2026, 11, 4, 23, 30, tzinfo=CST)
MORNING = datetime(2026, 11, 5, 8, 0, tzinfo=CST)
ADMIN = Principal(5, "admin", "Admin", Role.ADMIN, None)


class Robot:
    """A DingTalk endpoint that answers with the scripted replies, then OK."""

    def __init__(self, replies: list[httpx.Response] | None = None) -> None:
        self.replies = replies or []
        self.requests: list[httpx.Request] = []

    def __call__(self, kind: str, config: Mapping[str, Any], secret: str | None) -> Sender:
        return build_sender(kind, config, secret, transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.replies:
            return self.replies.pop(0)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})


def _channel(sessions: sessionmaker[Session], kinds: list[tuple[str, int]]) -> int:
    with sessions.begin() as s:
        row = create_channel(
            s,
            ADMIN,
            Scope(None),
            shop_id=1,
            kind="dingtalk",
            name="运营群",
            config={"url": "https://oapi.dingtalk.com/robot/send?access_token=t"},
            secret="SECx",
            now=NIGHT - timedelta(days=1),
        )
        set_subscriptions(s, ADMIN, Scope(None), row.id, kinds, NIGHT - timedelta(days=1))
        return row.id


def _warning(sessions: sessionmaker[Session], world: World, at: datetime, lead: int = 120) -> None:
    with sessions.begin() as s:
        dl = s.execute(
            select(Deadline)
            .join(Shipment, Shipment.id == Deadline.shipment_id)
            .where(Shipment.order_id == world.order_ids["A000"])
        ).scalar_one()
        s.add(Warning_(deadline_id=dl.id, lead_minutes=lead, fired_at=at, suppressed=False))


def _breach(sessions: sessionmaker[Session], world: World, at: datetime, fen: int) -> None:
    with sessions.begin() as s:
        sh = s.execute(
            select(Shipment).where(Shipment.order_id == world.order_ids["A004"])
        ).scalar_one()
        sh.amount_fen = fen
        v = Violation(
            shipment_id=sh.id,
            order_id=sh.order_id,
            shop_id=1,
            profile="douyin",
            rule_id="pickup_timeout",
            started_at=at - timedelta(hours=24),
            deadline=at - timedelta(minutes=1),
            state="open",
            explanation="late",
            detected_at=at,
            updated_at=at,
        )
        s.add(v)
        s.flush()
        audit.record(
            s,
            entity_type="violation",
            entity_id=v.id,
            action="detected",
            actor="system",
            at=at,
            reason="late",
        )


def _outbox(sessions: sessionmaker[Session]) -> list[AlertOutbox]:
    with sessions() as s:
        return list(s.execute(select(AlertOutbox).order_by(AlertOutbox.id)).scalars())


def test_night_alert_waits_for_morning_but_a_critical_breach_goes_now(
    sessions: sessionmaker[Session], world: World
) -> None:
    _channel(sessions, [("at_risk", 0), ("breach", 0)])
    _warning(sessions, world, NIGHT)
    _breach(sessions, world, NIGHT, fen=35000)  # ¥350 ≥ ¥300: critical
    robot = Robot()
    ctx = RulesContext()
    first = dispatch_alerts(sessions, NIGHT, ctx, senders=robot)
    assert (first.queued, first.sent) == (2, 1)
    [at_risk, breach] = sorted(_outbox(sessions), key=lambda r: r.event_kind)
    assert (breach.event_kind, breach.critical, breach.state) == ("breach", True, "sent")
    assert (at_risk.state, at_risk.next_attempt_at, at_risk.deferred_until) == (
        "pending",
        MORNING,
        MORNING,
    )
    assert "A004" in json.loads(robot.requests[0].content)["markdown"]["text"]
    assert dispatch_alerts(sessions, MORNING - timedelta(seconds=1), ctx, senders=robot).sent == 0
    morning = dispatch_alerts(sessions, MORNING, ctx, senders=robot)
    assert (morning.queued, morning.sent) == (0, 1)
    assert len(robot.requests) == 2


def test_a_cheap_breach_at_night_is_not_critical(
    sessions: sessionmaker[Session], world: World
) -> None:
    _channel(sessions, [("breach", 0)])
    _breach(sessions, world, NIGHT, fen=29999)
    dispatch_alerts(sessions, NIGHT, RulesContext(), senders=Robot())
    [row] = _outbox(sessions)
    assert (row.critical, row.state, row.next_attempt_at) == (False, "pending", MORNING)


def test_two_runs_deliver_once(sessions: sessionmaker[Session], world: World) -> None:
    _channel(sessions, [("at_risk", 0)])
    day = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _warning(sessions, world, day)
    robot = Robot()
    assert dispatch_alerts(sessions, day, None, senders=robot).sent == 1
    again = dispatch_alerts(sessions, day + timedelta(minutes=5), None, senders=robot)
    assert (again.queued, again.sent) == (0, 0)
    with sessions.begin() as s:  # even a rewound cursor cannot enqueue it twice
        from lanshou.adapters.db.models.alerts import AlertCursor

        for cur in s.execute(select(AlertCursor)).scalars():
            cur.last_id = 0
    assert dispatch_alerts(sessions, day + timedelta(minutes=6), None, senders=robot).queued == 0
    assert len(robot.requests) == 1 and len(_outbox(sessions)) == 1


def test_subscriptions_filter_by_event_and_lead_time(
    sessions: sessionmaker[Session], world: World
) -> None:
    _channel(sessions, [("at_risk", 120)])
    day = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _warning(sessions, world, day, lead=360)
    _breach(sessions, world, day, fen=100)
    assert dispatch_alerts(sessions, day, None, senders=Robot()).queued == 0
    _warning(sessions, world, day, lead=120)
    assert dispatch_alerts(sessions, day, None, senders=Robot()).queued == 1


def test_failing_twice_then_succeeding_takes_three_attempts_with_exact_backoff(
    sessions: sessionmaker[Session], world: World
) -> None:
    _channel(sessions, [("at_risk", 0)])
    t0 = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _warning(sessions, world, t0)
    robot = Robot(
        [
            httpx.Response(500, text="busy"),
            httpx.Response(200, json={"errcode": 130101, "errmsg": "send too fast"}),
        ]
    )
    assert dispatch_alerts(sessions, t0, None, senders=robot).failed == 1
    [row] = _outbox(sessions)
    assert (row.attempts, row.state, row.next_attempt_at) == (
        1,
        "pending",
        t0 + timedelta(minutes=1),
    )
    assert dispatch_alerts(sessions, t0 + timedelta(seconds=59), None, senders=robot).failed == 0
    dispatch_alerts(sessions, t0 + timedelta(minutes=1), None, senders=robot)
    [row] = _outbox(sessions)
    assert (row.attempts, row.next_attempt_at) == (2, t0 + timedelta(minutes=3))
    assert row.last_error == "errcode 130101: send too fast"
    assert dispatch_alerts(sessions, t0 + timedelta(minutes=3), None, senders=robot).sent == 1
    [row] = _outbox(sessions)
    assert (row.attempts, row.state, row.sent_at, row.last_error) == (
        3,
        "sent",
        t0 + timedelta(minutes=3),
        None,
    )
    with sessions() as s:
        log = [
            (d.attempt, d.ok, d.status_code, d.at)
            for d in s.execute(select(AlertDelivery).order_by(AlertDelivery.id)).scalars()
        ]
    assert log == [
        (1, False, 500, t0),
        (2, False, 200, t0 + timedelta(minutes=1)),
        (3, True, 200, t0 + timedelta(minutes=3)),
    ]


def test_the_delivery_log_shows_a_message_that_gave_up(
    sessions: sessionmaker[Session], world: World
) -> None:
    _channel(sessions, [("at_risk", 0)])
    t0 = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _warning(sessions, world, t0)
    robot = Robot([httpx.Response(502, text="bad gateway")] * 2)
    policy = AlertPolicy(max_attempts=2)
    dispatch_alerts(sessions, t0, None, senders=robot, policy=policy)
    result = dispatch_alerts(
        sessions, t0 + timedelta(minutes=1), None, senders=robot, policy=policy
    )
    assert result.given_up == 1
    with sessions() as s:
        [view] = list_deliveries(s, Scope(frozenset({1})))
        assert list_deliveries(s, Scope(frozenset({2}))) == []
    assert (view.state, view.attempts, view.last_error) == ("failed", 2, "HTTP 502: bad gateway")
    assert (
        dispatch_alerts(
            sessions, t0 + timedelta(hours=1), None, senders=robot, policy=policy
        ).failed
        == 0
    )


@pytest.mark.parametrize("raises", [True])
def test_a_sender_that_raises_is_a_failed_attempt(
    sessions: sessionmaker[Session], world: World, raises: bool
) -> None:
    _channel(sessions, [("at_risk", 0)])
    t0 = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _warning(sessions, world, t0)

    def broken(kind: str, config: Mapping[str, Any], secret: str | None) -> Sender:
        raise ValueError("bad config")

    assert dispatch_alerts(sessions, t0, None, senders=broken).failed == 1
    assert _outbox(sessions)[0].last_error == "ValueError: bad config"


def test_the_worker_sweep_dispatches_alerts(
    sessions: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou import worker
    from tests.integration.web.world import NOW, make_runtime

    _channel(sessions, [("at_risk", 0)])
    _warning(sessions, world, NOW)
    robot = Robot()
    real = worker.dispatch_alerts
    monkeypatch.setattr(
        worker, "dispatch_alerts", lambda *a, **k: real(*a, **{**k, "senders": robot})
    )
    worker.sweep_once(make_runtime(sessions))
    assert len(robot.requests) == 1 and _outbox(sessions)[0].state == "sent"
