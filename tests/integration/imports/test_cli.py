"""``lanshou import orders`` through Typer: summary on stdout, errors as InvalidInput."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lanshou.entrypoints.cli import imports
from lanshou.errors import InvalidInput
from lanshou.settings import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("LANSHOU_ENV", "dev")
    monkeypatch.setenv("LANSHOU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    root = typer.Typer()
    imports.register(root)

    @root.callback()
    def _root() -> None: ...

    yield root
    get_settings.cache_clear()


def test_the_command_imports_and_prints_the_summary(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,paid_at,amount\nC1,2024-01-05 08:03,9.90\n", encoding="utf-8")
    args = [
        "import",
        "orders",
        str(path),
        "--source",
        "generic",
        "--shop",
        "s1",
        "--now",
        "2024-01-05T09:00:00+08:00",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:5] == [
        "rows read:  1",
        "inserted:   1",
        "updated:    0",
        "unchanged:  0",
        "rejected:   0",
    ]
    again = CliRunner().invoke(cli, args)
    assert "unchanged:  1" in again.output


def test_bad_input_surfaces_as_invalid_input(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "orders", str(path), "--source", "generic"])
    assert isinstance(result.exception, InvalidInput)  # app.main() turns it into exit 2
    result = CliRunner().invoke(
        cli, ["import", "orders", str(path), "--source", "generic", "--date-order", "ydm"]
    )
    assert isinstance(result.exception, InvalidInput)
