"""A fresh database for the crash tests that run on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _private_pg_database
from tests.integration.crash.harness import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path,
                   _sqlite_template: Path) -> Iterator[Database]:
    """A migrated, empty database that lanshou processes reach through the environment."""
    if request.param == "sqlite":
        yield Database.from_template(_sqlite_template, tmp_path / "db")
        return
    with _private_pg_database("_crash") as engine:
        yield Database(engine.url.render_as_string(hide_password=False), tmp_path / "var")
