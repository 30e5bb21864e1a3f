"""Which deadlines the breach model prices follows the profiles' rules, not a rule id in code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Deadline, Platform, Shipment
from lanshou.analytics.pickup_rules import among_pickup_rules, pickup_rule_keys
from lanshou.enforcement.rules_context import RulesContext
from tests.integration.web.world import NOW, build_world
from tests.new_rule_profile import NAME, RULE_ID, write_profile


def test_pickup_deadlines_are_those_whose_rule_waits_for_the_first_scan(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    world = build_world(sessions)  # platform douyin, with A000's pending pickup_timeout deadline
    rules = RulesContext(rules_dirs=(write_profile(tmp_path),))
    with sessions() as s:
        s.add_all(
            [
                Platform(id=2, code="pdd", name="拼多多", profile="pinduoduo"),
                Platform(id=3, code="cold", name="冷链", profile=NAME),
            ]
        )
        # A001‥A004: the same ids under other profiles; only the pickup rules of each count.
        for ext, profile, rule_id in (
            ("A001", "douyin", "ship_timeout"),
            ("A002", "pinduoduo", "fake_shipment"),
            ("A003", "pinduoduo", "ship_timeout"),
            ("A004", NAME, RULE_ID),
        ):
            shipment = s.query(Shipment).filter_by(key=ext).one()
            s.add(
                Deadline(
                    shipment_id=shipment.id,
                    shop_id=world.shop_a,
                    profile=profile,
                    rule_id=rule_id,
                    started_at=NOW,
                    due_at=NOW + timedelta(hours=1),
                    state="pending",
                    evaluated_at=NOW,
                )
            )
        s.commit()
        keys = pickup_rule_keys(s, rules)
        assert keys == {
            ("douyin", "pickup_timeout"),
            ("pinduoduo", "fake_shipment"),
            (NAME, RULE_ID),
        }
        picked = s.execute(
            select(Shipment.key)
            .join(Deadline, Deadline.shipment_id == Shipment.id)
            .where(among_pickup_rules(Deadline.profile, Deadline.rule_id, keys))
            .order_by(Shipment.key)
        ).scalars()
        assert list(picked) == ["A000", "A002", "A004"]
