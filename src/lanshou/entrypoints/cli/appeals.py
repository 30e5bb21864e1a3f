"""``lanshou appeal …``: export a case's dossier (整理申诉资料) as a zip."""

from __future__ import annotations

from pathlib import Path

import typer

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.cli.common import runtime

app = typer.Typer(help="Appeals (申诉): dossiers.", no_args_is_help=True)


@app.command("export")
def export(
    appeal_id: int = typer.Argument(..., help="the appeal's id"),
    out: Path = typer.Option(..., "--out", help="where to write the zip"),
) -> None:
    """Write the dossier zip: dossier.json, evidence files, contact log and a PDF summary."""
    from lanshou.appeals import export_dossier

    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        data = export_dossier(session, appeal_id, rt.appeals, rt.clock.now())
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes)")
