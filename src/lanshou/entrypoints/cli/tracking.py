"""``lanshou import tracking FILE``: a file of scans, read as ``check`` reads it, into the inbox.

The ``import`` group lives in ``cli/imports.py``; it calls :func:`register_tracking` to add this
command to itself, and shares its progress bar.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from lanshou.entrypoints.cli.common import LANG_HELP, cli_locale, parse_now, runtime
from lanshou.entrypoints.cli.imports import check_date_order, progress_bar, worded_input_errors
from lanshou.errors import InvalidInput
from lanshou.i18n import N_, translate


def register_tracking(import_app: typer.Typer) -> None:
    @import_app.command("tracking")
    def tracking(
        file: Path = typer.Argument(
            ...,
            help="CSV (UTF-8 or GBK) or XLSX with the columns "
            "carrier,waybill,time,status[,location,description]",
        ),
        tz: str = typer.Option("Asia/Shanghai", "--tz", help="zone of times without an offset"),
        date_order: str | None = typer.Option(None, help="ymd, mdy or dmy for dates like 1/5/2024"),
        chunk: int = typer.Option(5000, min=1, max=50_000, help="rows per transaction"),
        now: str | None = typer.Option(None, help="evaluate as of this ISO 8601 time"),
        judge: bool = typer.Option(
            True,
            "--judge/--no-judge",
            help="judge each chunk before the next (--no-judge: accept only, the workers judge)",
        ),
        lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """Accept tracking scans from a file into the inbox and judge them; unreadable rows
        go to FILE.rejects.csv with their row and column, the others are kept."""
        from lanshou.adapters.db.engine import unit_of_work
        from lanshou.enforcement import receipt_totals
        from lanshou.imports import import_tracking

        rt = runtime()
        locale = cli_locale(lang, rt.settings.default_locale)
        check_date_order(date_order, locale)
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(
                translate(
                    locale,
                    N_("--tz: '%(zone)s' is not a time zone lanshou knows, e.g. Asia/Shanghai"),
                    zone=tz,
                )
            ) from exc
        at = parse_now(now, rt.clock.now())
        bar, update = progress_bar(locale)
        try:
            if bar is not None:
                bar.start()
            with worded_input_errors(locale):
                result = import_tracking(
                    rt.sessions,
                    file,
                    tz=zone,
                    now=at,
                    chunk=chunk,
                    judge=rt.rules if judge else None,
                    date_order=date_order,  # type: ignore[arg-type]
                    progress=update,
                    locale=locale,
                )
        finally:
            if bar is not None:
                bar.stop()
        with unit_of_work(rt.sessions) as session:
            totals = receipt_totals(session, result.receipt_ids)
        if totals.judged < totals.accepted:
            summary = translate(
                locale,
                N_(
                    "%(rows)s rows: %(accepted)s accepted, %(waiting)s waiting for a worker, "
                    "%(rejected)s rejected"
                ),
                rows=result.rows,
                accepted=totals.accepted,
                waiting=totals.accepted - totals.judged,
                rejected=result.rejected,
            )
        else:
            summary = translate(
                locale,
                N_(
                    "%(rows)s rows: %(stored)s stored, %(duplicates)s duplicates, "
                    "%(unmatched)s without a shipment yet, %(rejected)s rejected"
                ),
                rows=result.rows,
                stored=totals.stored,
                duplicates=totals.duplicates,
                unmatched=totals.unmatched,
                rejected=result.rejected,
            )
        typer.echo(summary)
        unknown = result.unknown_carriers
        if unknown:
            typer.secho(
                translate(
                    locale,
                    N_("%(count)s events name an unknown carrier: %(names)s"),
                    count=sum(unknown.values()),
                    names=", ".join(sorted(unknown)),
                ),
                fg=typer.colors.YELLOW,
            )
        if result.rejects_path:
            typer.secho(
                translate(locale, N_("rejected rows: %(path)s"), path=str(result.rejects_path)),
                fg=typer.colors.YELLOW,
            )
            raise typer.Exit(1)
