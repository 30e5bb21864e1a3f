"""``lanshou evidence …``: move evidence files left on a local disk into the database store."""

from __future__ import annotations

from pathlib import Path

import typer

from lanshou.adapters.storage import DatabaseStorage
from lanshou.adapters.storage.moving import move_files_into_database
from lanshou.entrypoints.cli.common import runtime
from lanshou.i18n import N_, translate

app = typer.Typer(help="Evidence files (证明材料): where they are stored.", no_args_is_help=True)


@app.command("import-files")
def import_files(
    directory: Path | None = typer.Option(
        None, "--dir", help="the directory store to read (default: LANSHOU_EVIDENCE_DIR)"
    ),
    delete: bool = typer.Option(
        False, "--delete", help="remove each file once it is committed to the database"
    ),
) -> None:
    """Copy evidence files from the directory store into the database, checking each file's
    SHA-256 against its name; files that do not match are reported and left where they are."""
    rt = runtime()
    locale = rt.settings.default_locale
    root = directory or rt.settings.resolved_evidence_dir()
    report = move_files_into_database(root, DatabaseStorage(rt.engine), delete=delete)
    for problem in report.problems:
        typer.secho(
            translate(locale, problem.msgid, **problem.params), err=True, fg=typer.colors.RED
        )
    typer.echo(
        translate(
            locale,
            N_(
                "%(moved)s evidence files (%(bytes)s bytes) moved into the database from "
                "%(dir)s, %(already)s were there already, %(problems)s left alone"
            ),
            moved=report.moved,
            bytes=report.bytes_moved,
            dir=str(root),
            already=report.already,
            problems=len(report.problems),
        )
    )
    if report.problems:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="evidence")
