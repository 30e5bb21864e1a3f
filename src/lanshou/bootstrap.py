"""Wire settings, the database engine and the session factory together, once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import ensure_current
from lanshou.clock import Clock, SystemClock
from lanshou.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)


def bootstrap(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> Runtime:
    """Connect (raising DatabaseUnavailable with a password-free URL) and migrate to head."""
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        ensure_current(engine)
    return Runtime(settings, engine, session_factory(engine), clock or SystemClock())
