"""``lanshou appeal …``: export a case's dossier (整理申诉资料) as a zip."""

from __future__ import annotations

from pathlib import Path

import typer

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.cli.common import LANG_HELP, cli_locale, runtime
from lanshou.i18n import N_, translate

app = typer.Typer(help="Appeals (申诉): dossiers.", no_args_is_help=True)


@app.command("export")
def export(
    appeal_id: int = typer.Argument(..., help="the appeal's id"),
    out: Path = typer.Option(..., "--out", help="where to write the zip"),
    lang: str | None = typer.Option(
        None, "--lang", help=f"the PDF summary's language: {LANG_HELP}"
    ),
) -> None:
    """Write the dossier zip: dossier.json, evidence files, contact log and a PDF summary."""
    from lanshou.appeals import export_dossier

    rt = runtime()
    locale = cli_locale(lang, rt.settings.default_locale)
    with unit_of_work(rt.sessions) as session:
        data = export_dossier(session, appeal_id, rt.appeals, rt.clock.now(), locale)
    out.write_bytes(data)
    typer.echo(
        translate(locale, N_("wrote %(path)s (%(size)s bytes)"), path=str(out), size=len(data))
    )
