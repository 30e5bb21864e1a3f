"""The ``lanshou`` console script: one Typer app, one sub-module per command group.

A command group is imported only when it is needed: ``lanshou check …`` registers the module
of ``check`` alone, so a one-off check does not pay for importing SQLAlchemy, analytics and
every other group (seconds of start-up). Without a known command (``lanshou``, ``lanshou
--help``, shell completion) every group is registered, so the listing shows them all.

Errors from lanshou become a one-line message on stderr and an exit code: 2 for bad settings,
an unreachable database or unreadable input; 1 for anything else lanshou refuses.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from importlib import import_module

import typer

from lanshou.errors import DatabaseUnavailable, InvalidInput, LanshouError, SettingsError

EXIT_INPUT = 2


def _register(module: str) -> Callable[[typer.Typer], None]:
    """A module with ``register(app)``."""

    def register(root: typer.Typer) -> None:
        import_module(f"lanshou.entrypoints.cli.{module}").register(root)

    return register


def _group(module: str, name: str, attribute: str = "app") -> Callable[[typer.Typer], None]:
    """A module whose Typer ``attribute`` is mounted as the group `name`."""

    def register(root: typer.Typer) -> None:
        root.add_typer(
            getattr(import_module(f"lanshou.entrypoints.cli.{module}"), attribute), name=name
        )

    return register


def _imports(root: typer.Typer) -> None:
    from lanshou.entrypoints.cli import imports
    from lanshou.entrypoints.cli.tracking import register_tracking

    imports.register(root)
    register_tracking(imports.app)


# Each registrar, in the order `lanshou --help` lists them, with the top-level names it adds.
_REGISTRARS: tuple[tuple[Callable[[typer.Typer], None], tuple[str, ...]], ...] = (
    (_register("server"), ("serve", "worker")),
    (_register("rules"), ("check", "sweep", "recompute", "explain", "rules")),
    (_group("demo", "demo"), ("demo",)),
    (_group("audit", "audit"), ("audit",)),
    (_group("inbox", "inbox"), ("inbox",)),
    (_group("server", "db", "db_app"), ("db",)),
    (_group("appeals", "appeal"), ("appeal",)),
    (_imports, ("import",)),
    (_register("analytics"), ("report", "whatif", "scorecard")),
    (_register("platforms"), ("connect", "sync")),
    (_register("retention"), ("retention",)),
    (_register("evidence"), ("evidence",)),
)
# Top-level command name -> the registrar adding it.
COMMANDS = {name: reg for reg, names in _REGISTRARS for name in names}


def _root() -> typer.Typer:
    root = typer.Typer(
        name="lanshou",
        help="lanshou (揽收): pickup deadlines, violations, appeals and losses for e-commerce "
        "shops.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    # A callback keeps the app a group even when one registrar adds a single command
    # (Typer would otherwise run that command without its name).
    @root.callback()
    def _group_callback() -> None:
        return None

    return root


def build_app(command: str | None = None) -> typer.Typer:
    """The app with the group of `command` only, or with every group if it is not one."""
    root = _root()
    only = COMMANDS.get(command or "")
    for register, _names in _REGISTRARS:
        if only is None or register is only:
            register(root)
    return root


def _command(argv: Sequence[str]) -> str | None:
    """The top-level command of a command line (its first word that is not an option)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


@cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    # `app` (every group) is built on first use: tests and tools that import it get it whole.
    if name == "app":
        return _full_app()
    raise AttributeError(name)


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """A warning as the other messages are written: no source path, no line of code."""
    return f"lanshou: warning: {message}\n"


def main() -> None:
    # Python's default shows the file, line number and source line of the warn() call, which
    # tells a merchant nothing (e.g. check on a year without a holiday schedule).
    warnings.formatwarning = _one_line_warning
    try:
        build_app(_command(sys.argv[1:]))()
    except (SettingsError, DatabaseUnavailable, InvalidInput) as exc:
        typer.secho(f"lanshou: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(EXIT_INPUT)
    except LanshouError as exc:
        typer.secho(f"lanshou: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(1)


if __name__ == "__main__":
    main()
