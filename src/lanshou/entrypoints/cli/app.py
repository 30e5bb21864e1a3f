"""The ``lanshou`` console script: one Typer app, one sub-module per command group.

Errors from lanshou become a one-line message on stderr and an exit code: 2 for bad settings,
an unreachable database or unreadable input; 1 for anything else lanshou refuses.
"""

from __future__ import annotations

import sys

import typer

from lanshou.entrypoints.cli import (
    analytics,
    appeals,
    audit,
    demo,
    evidence,
    imports,
    inbox,
    platforms,
    retention,
    rules,
    server,
)
from lanshou.entrypoints.cli.tracking import register_tracking
from lanshou.errors import DatabaseUnavailable, InvalidInput, LanshouError, SettingsError

app = typer.Typer(
    name="lanshou",
    help="lanshou (揽收): pickup deadlines, violations, appeals and losses for e-commerce shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
rules.register(app)
app.add_typer(demo.app, name="demo")
app.add_typer(audit.app, name="audit")
app.add_typer(inbox.app, name="inbox")
app.add_typer(server.db_app, name="db")
app.add_typer(appeals.app, name="appeal")
imports.register(app)
analytics.register(app)
register_tracking(imports.app)
platforms.register(app)
retention.register(app)
evidence.register(app)

EXIT_INPUT = 2


def main() -> None:
    try:
        app()
    except (SettingsError, DatabaseUnavailable, InvalidInput) as exc:
        typer.secho(f"lanshou: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(EXIT_INPUT)
    except LanshouError as exc:
        typer.secho(f"lanshou: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(1)


if __name__ == "__main__":
    main()
