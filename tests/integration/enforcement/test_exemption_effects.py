"""An exemption declared after the fact recomputes open shipments and says which one applied."""

from __future__ import annotations

from sqlalchemy import select

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Deadline, Violation
from lanshou.domain.roles import Role
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.exemptions import ExemptionRequest, declare_event, recompute_open
from lanshou.enforcement.ledger import shop_balances
from lanshou.enforcement.rules_context import RulesContext
from lanshou.identity.auth import Principal
from lanshou.settings import load_settings

from .world import World, t

SETTINGS = load_settings(env="test", secret_key="x" * 32)
# No user row: the exemption's created_by stays empty, which the schema allows.
ADMIN = Principal(
    user_id=None,
    username="admin",
    display_name="Admin",
    role=Role.ADMIN,  # type: ignore[arg-type]
    locale=None,
)


def _declare(sessions, effect: str, carriers=("ZTO",), provinces=("浙江",)) -> None:  # type: ignore[no-untyped-def]
    req = ExemptionRequest(
        starts_at=t(3, 0),
        ends_at=t(3, 6),
        reason="台风",
        effect=effect,
        provinces=provinces,
        carrier_codes=carriers,
    )
    with unit_of_work(sessions) as s:
        declare_event(s, ADMIN, req, t(3, 20))


def test_exempting_event_turns_the_open_violation_exempt_and_refunds_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("X1", t(2, 10), shipped=t(2, 12))
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, [sid], t(3, 13), RulesContext())
    with sessions() as s:
        assert shop_balances(s)[(1, "fine")] == 1000
    _declare(sessions, "exempt")
    recompute_open(sessions, t(3, 21), SETTINGS, RulesContext())
    with sessions() as s:
        v = s.execute(select(Violation)).scalar_one()
        assert (v.state, v.exemption_ref) == ("exempt", "event-1")
        assert "台风" in v.explanation
        assert shop_balances(s) == {(1, "compensation"): 0, (1, "fine"): 0, (1, "points"): 0}


def test_extending_event_moves_the_deadline_by_the_overlap(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("X2", t(2, 10), shipped=t(2, 12))
    _declare(sessions, "extend")
    recompute_open(sessions, t(3, 10), SETTINGS, RulesContext())
    with sessions() as s:
        dl = s.execute(
            select(Deadline).where(
                Deadline.shipment_id == sid, Deadline.rule_id == "pickup_timeout"
            )
        ).scalar_one()
    assert dl.due_at == t(3, 18)  # 24 h after marking, plus the 6 h of the event


def test_event_for_another_carrier_changes_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    w = World(sessions).setup()
    sid = w.order("X3", t(2, 10), shipped=t(2, 12))
    _declare(sessions, "exempt", carriers=("SF",))
    recompute_open(sessions, t(3, 13), SETTINGS, RulesContext())
    with sessions() as s:
        assert s.execute(select(Violation.state)).scalars().all() == ["open"]
    _ = sid
