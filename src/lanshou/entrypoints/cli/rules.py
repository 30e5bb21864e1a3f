"""``lanshou check``, ``lanshou sweep`` and ``lanshou explain``."""

from __future__ import annotations

from pathlib import Path

import typer

from lanshou.entrypoints.cli.common import parse_now, runtime


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        profile: str = typer.Option("douyin", help="rule profile: douyin, taobao, olist …"),
        source: str = typer.Option("generic", help="input layout: generic or olist"),
        orders: Path = typer.Option(..., help="orders file (olist: file or data-set directory)"),
        items: Path | None = typer.Option(None, help="order items file (olist)"),
        tracking: Path | None = typer.Option(None, help="tracking events file (generic)"),
        now: str | None = typer.Option(None, help="evaluate as of this ISO 8601 time"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
        lang: str = typer.Option("zh_CN", help="zh_CN or en for the table"),
        out: Path | None = typer.Option(
            None, "--out", help="also write the violations to a .jsonl, .csv, .parquet or .xlsx"
        ),
        limit: int = typer.Option(50, min=0, help="violations the table shows"),
    ) -> None:
        """Evaluate a whole export without a database (vectorised in DuckDB)."""
        from lanshou.batch.cli import check_command

        code = check_command(
            profile,
            source,
            orders,
            items,
            tracking,
            now,
            as_json,
            lang,
            out_file=out,
            limit=limit,
        )
        raise typer.Exit(code)

    @app.command()
    def sweep(
        now: str | None = typer.Option(None, help="sweep as of this ISO 8601 time"),
    ) -> None:
        """Act on what has come due: warnings, breaches, auto refunds, expired appeals."""
        from lanshou.clock import FixedClock
        from lanshou.worker import sweep_once

        rt = runtime()
        rt.clock = FixedClock(parse_now(now, rt.clock.now()))
        typer.echo(sweep_once(rt).describe())

    @app.command()
    def recompute(
        now: str | None = typer.Option(None, help="recompute as of this ISO 8601 time"),
    ) -> None:
        """Re-judge every shipment not yet picked up, e.g. after editing the calendar file."""
        from lanshou.enforcement.exemptions import recompute_open

        rt = runtime()
        result = recompute_open(rt.sessions, parse_now(now, rt.clock.now()), rt.settings)
        typer.echo(
            f"{result.shipments} open shipments recomputed, "
            f"{result.violations_new} new and {result.violations_changed} changed violations"
        )

    @app.command()
    def explain(
        ident: str = typer.Argument(..., help="order number, or shipment:<id> / order:<id>"),
        now: str | None = typer.Option(None, help="explain as of this ISO 8601 time"),
    ) -> None:
        """Show why a shipment is or is not late: rule, deadline arithmetic, evidence, money."""
        from lanshou.enforcement.explain import explain as explain_shipments

        rt = runtime()
        ctx = rt.rules
        with rt.sessions() as session:
            results = explain_shipments(session, ident, parse_now(now, rt.clock.now()), ctx)
        for result in results:
            typer.echo("\n".join(result.lines()))
            typer.echo("")
