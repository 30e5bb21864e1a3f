"""A shipment marked shipped for a time after ``now``, under a profile whose only rule starts at
shipped_at: nothing is due yet, but the sweep must come back when the shipping time comes (a
``waiting`` deadline row checked then), and judge it from there as any other shipment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Shipment, Violation
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import run_sweep
from lanshou.settings import load_settings

from .world import World, deadline_rows, rows, t

SETTINGS = load_settings(env="test", secret_key="x" * 32)
PROFILE = "pickuponly"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> RulesContext:
    """Douyin with its pickup rule alone (24 calendar hours from shipped_at, warnings 6 h and
    2 h ahead): no rule starting at paid_at leaves a row behind to revisit the shipment."""
    from importlib import resources

    text = resources.files("lanshou.rules").joinpath("douyin.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["name"] = PROFILE
    data["rules"] = [r for r in data["rules"] if r["id"] == "pickup_timeout"]
    folder: Path = tmp_path_factory.mktemp("rules-pickup-only")
    (folder / f"{PROFILE}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    context = RulesContext(rules_dirs=(folder,))
    assert [r.start for r in context.profile(PROFILE).rules] == ["shipped_at"]
    return context


def _violations(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    return rows(
        sessions,
        select(Violation.rule_id, Violation.state, Violation.deadline).order_by(Violation.id),
    )


WAITING = ("pickup_timeout", None, None, None, "waiting", t(3, 12))


@pytest.mark.parametrize(
    ("now", "deadline", "violations"),
    [
        # Before the shipping time: nothing to judge, the row keeps waiting for it.
        (t(3, 11, 59), WAITING, []),
        # At it: started, due 24 h later; the next look is the 6-h warning.
        (t(3, 12), ("pickup_timeout", t(3, 12), t(4, 12), None, "pending", t(4, 6)), []),
        # After the deadline without a pickup: breached, and the violation booked.
        (
            t(4, 12, 1),
            ("pickup_timeout", t(3, 12), t(4, 12), None, "breached", t(7, 12)),
            [("pickup_timeout", "open", t(4, 12))],
        ),
    ],
)
def test_a_shipment_dated_after_now_is_revisited_when_its_time_comes(
    sessions: sessionmaker[Session],
    ctx: RulesContext,
    now: datetime,
    deadline: tuple[object, ...],
    violations: list[tuple[object, ...]],
) -> None:
    w = World(sessions).setup(PROFILE)
    sid = w.order("F1", t(2, 10), shipped=t(3, 12))
    with unit_of_work(sessions) as s:  # marked shipped at 2 18:00 for the next day's noon
        evaluate_shipments(s, [sid], t(2, 18), ctx)
    assert [r[:6] for r in deadline_rows(sessions, sid)] == [WAITING]

    swept = run_sweep(sessions, now, SETTINGS, ctx=ctx)

    assert swept.evaluation.shipments == (0 if now < t(3, 12) else 1)
    assert [r[:6] for r in deadline_rows(sessions, sid)] == [deadline]
    assert _violations(sessions) == violations


def test_a_waiting_row_whose_fact_is_no_longer_later_is_not_checked_again(
    sessions: sessionmaker[Session], ctx: RulesContext
) -> None:
    """The shipping time taken back (the order unshipped): the row stops asking the sweep."""
    w = World(sessions).setup(PROFILE)
    sid = w.order("F2", t(2, 10), shipped=t(3, 12))
    with unit_of_work(sessions) as s:
        evaluate_shipments(s, [sid], t(2, 18), ctx)
        s.get_one(Shipment, sid).shipped_at = None
    assert run_sweep(sessions, t(3, 12), SETTINGS, ctx=ctx).evaluation.shipments == 1
    assert [r[:6] for r in deadline_rows(sessions, sid)] == [
        ("pickup_timeout", None, None, None, "waiting", None)
    ]
    assert run_sweep(sessions, t(5), SETTINGS, ctx=ctx).evaluation.shipments == 0
