"""``lanshou import tracking FILE``: a CSV of scans through the same service as the feeds.

The ``import`` group lives in ``cli/imports.py``; it calls :func:`register_tracking` to add this
command to itself.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from lanshou.entrypoints.cli.common import parse_now, runtime
from lanshou.errors import InvalidInput


def register_tracking(import_app: typer.Typer) -> None:
    @import_app.command("tracking")
    def tracking(
        file: Path = typer.Argument(
            ..., help="CSV: carrier,waybill,time,status[,location,description]"
        ),
        tz: str = typer.Option("Asia/Shanghai", "--tz", help="zone of times without an offset"),
        chunk: int = typer.Option(5000, min=1, max=50_000, help="rows per transaction"),
        now: str | None = typer.Option(None, help="evaluate as of this ISO 8601 time"),
        judge: bool = typer.Option(
            True,
            "--judge/--no-judge",
            help="judge each chunk before the next (--no-judge: accept only, the workers judge)",
        ),
    ) -> None:
        """Accept tracking scans from a CSV file into the inbox and judge them; unreadable rows
        go to FILE.rejects.csv."""
        from lanshou.adapters.db.engine import unit_of_work
        from lanshou.enforcement import receipt_totals
        from lanshou.feeds import import_tracking_csv

        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"--tz: unknown time zone {tz!r}") from exc
        rt = runtime()
        at = parse_now(now, rt.clock.now())
        result = import_tracking_csv(
            rt.sessions, file, tz=zone, now=at, chunk=chunk, judge=rt.rules if judge else None
        )
        ev = result.events
        with unit_of_work(rt.sessions) as session:
            totals = receipt_totals(session, ev.receipt_ids)
        if totals.judged < totals.accepted:
            typer.echo(
                f"{result.rows} rows: {totals.accepted} accepted, "
                f"{totals.accepted - totals.judged} waiting for a worker, "
                f"{result.rejected} rejected"
            )
        else:
            typer.echo(
                f"{result.rows} rows: {totals.stored} stored, {totals.duplicates} duplicates, "
                f"{totals.unmatched} without a shipment yet, {result.rejected} rejected"
            )
        if ev.unknown_carriers:
            typer.secho(
                f"{ev.unknown_carriers} events name an unknown carrier: "
                f"{', '.join(ev.unknown_carrier_names)}",
                fg=typer.colors.YELLOW,
            )
        if result.rejects_path:
            typer.secho(f"rejected rows: {result.rejects_path}", fg=typer.colors.YELLOW)
            raise typer.Exit(1)
