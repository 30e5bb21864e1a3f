"""Migration 0025 drops the clear 快递100 key column: keys still in it are sealed first with the
seal the application hands over; without one it refuses and changes nothing (no key is lost).
Nothing in the code reads the column any more. On SQLite and PostgreSQL, up and down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from lanshou.adapters.db.migrate import HEAD, downgrade, stored_revisions, upgrade
from lanshou.platforms import SecretBox

AT = datetime(2026, 3, 3, 12, tzinfo=UTC)
BOX = SecretBox("x" * 32)


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("feed_integrations")}


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, subscribe_key, subscribe_key_enc FROM feed_integrations ORDER BY id"
                )
            )
        ]


def test_keys_in_clear_are_sealed_before_the_column_is_dropped(db_engine: Engine) -> None:
    downgrade(db_engine, "0024")
    assert "subscribe_key" in _columns(db_engine)
    sealed_before = BOX.seal("K-SEALED")
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO feed_integrations (id, kind, name, secret, is_active, created_at, "
                "subscribe_key, subscribe_key_enc) VALUES "
                "(1, 'kuaidi100', 'clear', 's', true, :at, 'K-CLEAR', NULL), "
                "(2, 'kuaidi100', 'sealed', 's', true, :at, NULL, :sealed), "
                "(3, 'kdniao', 'none', 's', true, :at, NULL, NULL)"
            ),
            {
                "at": AT.isoformat() if db_engine.dialect.name == "sqlite" else AT,
                "sealed": sealed_before,
            },
        )
    before = _rows(db_engine)

    # Without the application's seal the migration refuses and leaves everything as it was.
    with pytest.raises(RuntimeError, match=r"^1 快递100 subscribe keys are still stored in clear"):
        upgrade(db_engine)
    assert stored_revisions(db_engine) == ["0024"]
    assert _rows(db_engine) == before

    upgrade(db_engine, seal=BOX.seal)
    assert stored_revisions(db_engine) == [HEAD]
    assert "subscribe_key" not in _columns(db_engine)
    with db_engine.connect() as conn:
        got = {
            r[0]: r[1]
            for r in conn.execute(
                text("SELECT id, subscribe_key_enc FROM feed_integrations ORDER BY id")
            )
        }
    assert BOX.open(got[1]) == "K-CLEAR"
    assert "K-CLEAR" not in got[1]
    assert got[2] == sealed_before  # sealed already: untouched
    assert got[3] is None

    # Down again: the column comes back empty (the code of 0024 reads the sealed value first).
    downgrade(db_engine, "0024")
    assert [(r[0], r[1]) for r in _rows(db_engine)] == [(1, None), (2, None), (3, None)]
    upgrade(db_engine)  # nothing in clear: no seal needed
    assert "subscribe_key" not in _columns(db_engine)
