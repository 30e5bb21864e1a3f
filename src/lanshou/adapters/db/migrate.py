"""Run Alembic migrations programmatically; the scripts ship inside the package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions. A process whose database already has it skips
# loading Alembic and every migration script: a third of a second off each CLI command and
# server start. tests/unit/db/test_migration_head.py fails when a new migration forgets it.
HEAD = "0026"
# Seals a secret under LANSHOU_SECRET_KEY (lanshou.platforms.SecretBox.seal), for the data steps
# of migrations that need it (0025 seals 快递100 keys still stored in clear before it drops
# their column): the application hands it over, the migrations have no settings.
Seal = Callable[[str], str]


def compared(name: str | None, type_: str, _parents: object) -> bool:
    """Whether schema comparison (autogenerate, the models-match test) looks at this object:
    not at the monthly partitions of ``tracking_events`` (created at run time, not by a
    model), whose indexes are the partitioned table's."""
    from lanshou.adapters.db.partitions import is_partition_name

    return not (type_ == "table" and name is not None and is_partition_name(name))


def alembic_config(engine: Engine | None, *, seal: Seal | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    config.attributes["seal"] = seal
    return config


def upgrade(engine: Engine, revision: str = "head", *, seal: Seal | None = None) -> None:
    """Bring the schema to ``revision``; safe to run on every start. ``seal``: see
    :data:`Seal` (a migration that needs it and has none refuses, changing nothing)."""
    from alembic import command

    command.upgrade(alembic_config(engine, seal=seal), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def stored_revisions(engine: Engine) -> list[str]:
    """The revisions the database says it is at (none before its first migration)."""
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:
        return []  # no alembic_version table yet: a new database


def ensure_current(engine: Engine, *, seal: Seal | None = None) -> None:
    """Migrate to head unless the database is there already (then it costs one query)."""
    if stored_revisions(engine) != [HEAD]:
        upgrade(engine, seal=seal)
