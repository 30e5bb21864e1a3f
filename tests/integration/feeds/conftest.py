from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.bootstrap import Runtime
from lanshou.enforcement.inbox import DrainResult
from lanshou.worker import drain_inbox
from tests.integration.web.world import World, _fast_password_hashing, build_world, client, runtime

__all__ = ["_fast_password_hashing", "client", "drain", "runtime", "world"]


@pytest.fixture
def drain(runtime: Runtime) -> Callable[[], DrainResult]:
    """Fold and judge what the feeds accepted, through the worker's own function."""
    return lambda: drain_inbox(runtime)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    """The web world; its carriers have explicit ids, so PostgreSQL's sequence must catch up
    before a feed adds a built-in carrier (圆通 …) of its own."""
    built = build_world(sessions)
    with sessions() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT setval('carriers_id_seq', (SELECT max(id) FROM carriers))"))
            s.commit()
    return built
