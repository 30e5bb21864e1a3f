"""`make run` writes its development settings into .env (scripts/dev-env.sh) without overriding
what the user already set there, so the README's commands work in the project directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "dev-env.sh"
HEADER = "# Written by make run: development settings for the lanshou commands run here.\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the script where `make run` finds it."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "dev-env.sh")
    return tmp_path


def write_env(project: Path) -> str:
    done = subprocess.run(
        ["bash", str(project / "scripts" / "dev-env.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_a_project_without_env_gets_dev_mode_and_the_var_database(project: Path) -> None:
    said = write_env(project)

    assert (project / ".env").read_text() == (
        HEADER + "LANSHOU_ENV=dev\nLANSHOU_DATABASE_URL=sqlite:///var/lanshou.db\n"
    )
    assert said == (
        "[make run] .env: LANSHOU_ENV=dev\n"
        "[make run] .env: LANSHOU_DATABASE_URL=sqlite:///var/lanshou.db\n"
    )


def test_a_second_run_changes_nothing_and_says_nothing(project: Path) -> None:
    write_env(project)
    first = (project / ".env").read_text()

    assert write_env(project) == ""
    assert (project / ".env").read_text() == first


def test_keys_the_user_set_stay_and_only_missing_ones_are_added(project: Path) -> None:
    (project / ".env").write_text(
        "export lanshou_env=prod\nLANSHOU_SECRET_KEY=user-kept-secret-0123456789"
    )

    said = write_env(project)

    assert (project / ".env").read_text() == (
        "export lanshou_env=prod\nLANSHOU_SECRET_KEY=user-kept-secret-0123456789\n"
        "LANSHOU_DATABASE_URL=sqlite:///var/lanshou.db\n"
    )
    assert said == "[make run] .env: LANSHOU_DATABASE_URL=sqlite:///var/lanshou.db\n"


def test_a_commented_out_key_counts_as_missing(project: Path) -> None:
    (project / ".env").write_text("# LANSHOU_DATABASE_URL=postgresql+psycopg://old\n")

    write_env(project)

    assert (project / ".env").read_text() == (
        "# LANSHOU_DATABASE_URL=postgresql+psycopg://old\n"
        "LANSHOU_ENV=dev\nLANSHOU_DATABASE_URL=sqlite:///var/lanshou.db\n"
    )
