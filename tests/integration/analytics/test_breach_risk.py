"""The at-risk board's stored breach probabilities and ranking (``analytics_breach_risk``)
equal a recomputation from scratch, on both backends: per scope, every priced pending pickup
deadline with its probability, expected cost and rank; they sum to the stored exposure; the
board read from them equals the board computed live, by time left and by probability × cost,
at any page size; a request never fits a breach model; deadlines that changed after the
refresh are shown as they are now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    BreachRisk,
    Deadline,
    ExposureSnapshot,
    Shop,
    ShopMembership,
    User,
)
from lanshou.analytics import prediction, survival
from lanshou.analytics.aggregates import refresh_aggregates
from lanshou.analytics.at_risk import AtRiskItem, board, live_at_risk
from lanshou.analytics.exposure import scope_key
from lanshou.demo import seed_demo
from lanshou.domain.money import to_fen
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.identity.scope import Scope
from tests.integration.analytics.world import SETTINGS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, tzinfo=CST)
CTX = RulesContext()


@pytest.fixture
def shops(sessions: sessionmaker[Session]) -> Iterator[list[int]]:
    """A demo world, evaluated; users whose scopes are the first shop and the first two."""
    seed_demo(sessions.kw["bind"], now=NOW, orders=400, days=10, create_users=False)
    evaluate_all(sessions, NOW, SETTINGS)
    with sessions() as s:
        ids = list(s.execute(select(Shop.id).order_by(Shop.id)).scalars())
        users = [
            User(
                username=f"u{i}",
                display_name="u",
                password_hash="x",
                role="merchant_owner",
                created_at=NOW,
            )
            for i in range(2)
        ]
        s.add_all(users)
        s.flush()
        s.add_all(
            [
                ShopMembership(user_id=users[0].id, shop_id=ids[0]),
                ShopMembership(user_id=users[1].id, shop_id=ids[0]),
                ShopMembership(user_id=users[1].id, shop_id=ids[1]),
            ]
        )
        s.commit()
    yield ids
    prediction._CACHE.clear()


def _refresh(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions() as s:
        refresh_aggregates(s, now, ctx=CTX)
        s.commit()


def _stored(s: Session, scope: Scope) -> list[tuple[int, int, float, int]]:
    return [
        tuple(r)
        for r in s.execute(  # type: ignore[misc]
            select(
                BreachRisk.rank,
                BreachRisk.deadline_id,
                BreachRisk.probability,
                BreachRisk.expected_fen,
            )
            .where(BreachRisk.scope_key == scope_key(scope.shop_ids))
            .order_by(BreachRisk.rank)
        )
    ]


def _recomputed(items: list[AtRiskItem]) -> dict[int, tuple[float, int]]:
    """Deadline id → (probability, expected cost in fen) of the live board's priced rows."""
    out = {}
    for it in items:
        if it.breach_probability is not None:
            assert it.expected_cost is not None
            out[it.deadline_id] = (it.breach_probability, to_fen(it.expected_cost))
    return out


def test_the_stored_ranking_equals_a_recomputation(
    sessions: sessionmaker[Session], shops: list[int]
) -> None:
    scopes = [Scope(None), Scope(frozenset(shops[:1])), Scope(frozenset(shops[:2]))]
    for now in (NOW, NOW + timedelta(hours=5)):  # another hour: other models, other rows
        _refresh(sessions, now)
        with sessions() as s:
            assert {k for (k,) in s.execute(select(BreachRisk.scope_key).distinct())} == {
                scope_key(scope.shop_ids) for scope in scopes
            }
            for scope in scopes:
                live = live_at_risk(s, scope, now, CTX, limit=None, sort="risk")
                stored = _stored(s, scope)
                assert {r[1]: (r[2], r[3]) for r in stored} == _recomputed(live)
                # ranked by expected cost, then time left, then id
                due = {it.deadline_id: it.due_at for it in live}
                assert [r[0] for r in stored] == list(range(len(stored)))
                assert [r[1] for r in stored] == [
                    r[1] for r in sorted(stored, key=lambda r: (-r[3], due[r[1]], r[1]))
                ]
                snapshot = s.get(ExposureSnapshot, scope_key(scope.shop_ids))
                assert snapshot is not None and snapshot.computed_at == now
                assert sum(r[3] for r in stored) == snapshot.expected_fen
                assert snapshot.pending == len(live)
                if scope.shop_ids is None:
                    assert len(stored) > 10 and snapshot.expected_fen > 0
                    assert len(live) > len(stored)  # other rules have no probability
                # the board read from the stored figures = the board computed live
                for sort in ("due", "risk"):
                    for limit in (1, 7, 100, None):
                        got = board(s, scope, now, CTX, limit=limit, sort=sort)
                        assert got.probabilities_at == now
                        assert got.total == len(live)  # the whole scope, not the page
                        assert got.items == live_at_risk(
                            s, scope, now, CTX, limit=limit, sort=sort
                        ), (scope, sort, limit)


def test_a_request_never_fits_a_breach_model(
    sessions: sessionmaker[Session], shops: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _refresh(sessions, NOW)
    with sessions() as s:
        want = {sort: live_at_risk(s, Scope(None), NOW, CTX, sort=sort) for sort in ("due", "risk")}

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("a request fitted a breach model")

    prediction._CACHE.clear()
    monkeypatch.setattr(survival.BreachModel, "__init__", no_fit)
    monkeypatch.setattr(prediction, "model_for", no_fit)
    with sessions() as s:
        for sort in ("due", "risk"):
            assert board(s, Scope(None), NOW, CTX, sort=sort).items == want[sort]
            # a scope the worker does not store: no probabilities, soonest first
            other = Scope(frozenset(shops[1:]))
            got = board(s, other, NOW, CTX, sort=sort)
            assert got.probabilities_at is None
            assert [it.breach_probability for it in got.items] == [None] * len(got.items)
            assert [it.deadline_id for it in got.items] == [
                it.deadline_id for it in board(s, other, NOW, CTX, sort="due").items
            ]
            assert got.items and all(
                it.due_at <= b.due_at for it, b in zip(got.items, got.items[1:], strict=False)
            )


def test_deadlines_that_changed_after_the_refresh_show_as_they_are_now(
    sessions: sessionmaker[Session], shops: list[int]
) -> None:
    _refresh(sessions, NOW)
    later = NOW + timedelta(minutes=2)
    with sessions() as s:
        ranked = _stored(s, Scope(None))
        met, unpriced = ranked[0][1], ranked[1][1]
        s.execute(update(Deadline).where(Deadline.id == met).values(state="met"))
        # as if the deadline had been created after the refresh
        s.execute(delete(BreachRisk).where(BreachRisk.deadline_id == unpriced))
        s.commit()
    with sessions() as s:
        by_risk = board(s, Scope(None), later, CTX, limit=None, sort="risk").items
        by_due = board(s, Scope(None), later, CTX, limit=None, sort="due").items
        pending = s.execute(select(Deadline.id).where(Deadline.state == "pending")).scalars()
        assert sorted(it.deadline_id for it in by_risk) == sorted(pending)
        assert met not in {it.deadline_id for it in by_due}
        # those with an expected cost in the stored order with the stored figures, then the
        # others (no probability, or an expected cost of ¥0.00) by time left
        costly = [it for it in by_risk if it.expected_cost]
        assert [(it.deadline_id, it.breach_probability) for it in costly] == [
            (r[1], r[2]) for r in ranked if r[1] not in (met, unpriced) and r[3] > 0
        ]
        rest = by_risk[len(costly) :]
        assert unpriced in {it.deadline_id for it in rest if it.breach_probability is None}
        assert [it.deadline_id for it in rest] == [
            it.deadline_id for it in by_due if not it.expected_cost
        ]
        # the countdown is from the request's now, not the refresh's
        assert all(it.seconds_left == int((it.due_at - later).total_seconds()) for it in by_due)
        assert [it.deadline_id for it in by_due] == [
            it.deadline_id for it in sorted(by_due, key=lambda it: (it.due_at, it.deadline_id))
        ]
    # a whole chunk of the ranking no longer pending: the page reads on
    with sessions() as s:
        gone = [r[1] for r in ranked[2:11]]  # with met and unpriced: the first chunk of 11
        assert len([r for r in ranked if r[3] > 0]) > 12
        s.execute(update(Deadline).where(Deadline.id.in_(gone)).values(state="met"))
        s.commit()
    with sessions() as s:
        everything = board(s, Scope(None), later, CTX, limit=None, sort="risk").items
        assert not {it.deadline_id for it in everything} & set(gone)
        for limit in (1, 3, 40):
            assert (
                board(s, Scope(None), later, CTX, limit=limit, sort="risk").items
                == (everything[:limit])
            )
