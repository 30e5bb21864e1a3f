"""The analytics take pickup rules and rule labels from each row's own profile: a platform on an
operator's profile whose pickup rule has an id no code knows (``cold_chain_pickup``) gets its
pickup deadlines counted by the scorecards and priced by the exposure, and its losses labelled
with that profile's words, in the page's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Deadline, Platform, Shipment, Shop, Violation
from lanshou.analytics.dashboard import loss_board
from lanshou.analytics.exposure import pending_pickups
from lanshou.analytics.period import Period
from lanshou.analytics.pickup_cells import raw_samples
from lanshou.analytics.pickup_rules import pickup_rule_keys
from lanshou.enforcement.rules_context import RulesContext
from lanshou.identity.scope import Scope
from tests.integration.web.world import NOW, build_world, insert_violation
from tests.new_rule_profile import LABEL_EN, LABEL_ZH, NAME, RULE_ID, write_profile

PERIOD = Period.ending(NOW, 30)


def _cold_chain_world(sessions: sessionmaker[Session], tmp_path: Path) -> RulesContext:
    """The web world with shop B moved onto a cold-chain platform: B000 has a pending
    cold-chain pickup deadline, B001 a confirmed cold-chain violation (3.00 + 10.00 booked),
    A001 a confirmed douyin pickup-timeout violation (the same money)."""
    world = build_world(sessions)
    with sessions() as s:
        s.add(Platform(id=3, code="cold", name="冷链", profile=NAME))
        s.flush()
        shop_b = s.get(Shop, world.shop_b)
        assert shop_b is not None
        shop_b.platform_id = 3
        b000 = s.query(Shipment).filter_by(key="B000").one()
        s.add(
            Deadline(
                shipment_id=b000.id,
                shop_id=world.shop_b,
                profile=NAME,
                rule_id=RULE_ID,
                started_at=NOW - timedelta(hours=11),
                due_at=NOW + timedelta(hours=1),
                state="pending",
                evaluated_at=NOW,
            )
        )
        cold = s.get(Violation, insert_violation(s, world.shop_b, world.order_ids["B001"]))
        assert cold is not None
        cold.profile, cold.rule_id = NAME, RULE_ID
        insert_violation(s, world.shop_a, world.order_ids["A001"])
        s.commit()
    return RulesContext(rules_dirs=(write_profile(tmp_path),))


def test_the_scorecards_count_each_profiles_pickup_rule(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rules = _cold_chain_world(sessions, tmp_path)
    with sessions() as s:
        keys = pickup_rule_keys(s, rules)
        samples = raw_samples(s, Scope(None), PERIOD, keys, shop_id=2)
        a001 = raw_samples(s, Scope(frozenset({1})), PERIOD, keys)
    outcome = {
        x.shipment_id: (x.has_deadline, x.timeout, x.reversed)
        for x in sorted(samples, key=lambda x: x.shipment_id)
    }
    assert list(outcome.values()) == [
        (True, False, False),  # B000: the pending cold-chain deadline
        (False, True, False),  # B001: the confirmed cold-chain violation
        (False, False, False),
        (False, False, False),
    ]
    assert [(x.has_deadline, x.timeout) for x in a001 if x.timeout] == [(False, True)]


def test_the_exposure_prices_the_pending_deadlines_of_each_profiles_pickup_rule(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rules = _cold_chain_world(sessions, tmp_path)
    with sessions() as s:
        rows = pending_pickups(s, Scope(None), rules)
    # (profile, rule) of A000's douyin deadline and B000's cold-chain one, nothing else
    assert sorted((r[1], r[2]) for r in rows) == [(NAME, RULE_ID), ("douyin", "pickup_timeout")]


def test_the_loss_board_labels_each_rule_from_its_own_profile_in_the_pages_language(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rules = _cold_chain_world(sessions, tmp_path)
    with sessions() as s:
        zh = loss_board(s, Scope(None), NOW, rules, PERIOD).by_rule
        en = loss_board(s, Scope(None), NOW, rules, PERIOD, "en").by_rule
    assert zh == [(LABEL_ZH, 13.0), ("揽收超时", 13.0)]
    assert en == [(LABEL_EN, 13.0), ("Pickup timeout", 13.0)]
