"""``lanshou audit verify``: prove the audit trail has not been edited or cut."""

from __future__ import annotations

import typer

from lanshou.entrypoints.cli.common import runtime
from lanshou.services.audit import verify_chain

app = typer.Typer(help="Audit trail tools.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check every audit record's hash and link; exit 1 at the first record that was tampered."""
    rt = runtime()
    with rt.sessions() as session:
        report = verify_chain(session)
    if report.ok:
        typer.echo(f"audit chain intact: {report.checked} records")
        return
    typer.secho(
        f"audit chain BROKEN at record {report.first_bad_id}: {report.problem} "
        f"({report.checked} records before it are intact)",
        err=True,
        fg=typer.colors.RED,
    )
    raise typer.Exit(1)
