"""The head revision the start-up check compares with is the newest migration script."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from lanshou.adapters.db.migrate import HEAD, alembic_config


def test_head_constant_names_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config(None))
    assert scripts.get_heads() == [HEAD]
