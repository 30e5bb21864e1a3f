"""``lanshou check``, ``lanshou sweep``, ``lanshou explain`` and ``lanshou rules``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lanshou.entrypoints.cli.common import LANG_HELP, cli_locale, parse_now, runtime

if TYPE_CHECKING:
    from lanshou.domain.rules import Exemption
    from lanshou.enforcement import SweepResult


def _exemptions(path: Path | None) -> list[Exemption]:
    """`check --exemptions`: the file's events; none without the option."""
    if path is None:
        return []
    # Imported only for a file of events: the enforcement area brings SQLAlchemy along.
    from lanshou.enforcement import load_exemptions_file

    return load_exemptions_file(path)


def sweep_text(result: SweepResult, locale: str) -> str:
    """What one sweep did, in ``locale``: the counts the worker logs, as a sentence."""
    from lanshou.i18n import translate

    e = result.evaluation
    return translate(
        locale,
        "Shipments checked: %(shipments)s; violations new: %(new)s, changed: %(changed)s; "
        "warnings: %(warnings)s; ledger moves: %(moves)s; appeals expired: %(appeals)s; "
        "complaint tasks escalated: %(tasks)s.",
        shipments=e.shipments,
        new=e.violations_new,
        changed=e.violations_changed,
        warnings=e.warnings_fired,
        moves=e.ledger_moves,
        appeals=result.appeals_expired,
        tasks=result.tasks_escalated,
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        profile: str = typer.Option("douyin", help="rule profile: douyin, taobao, olist …"),
        source: str = typer.Option("generic", help="layout: generic, douyin or olist"),
        orders: Path = typer.Option(..., help="CSV or XLSX export (olist: file or directory)"),
        items: Path | None = typer.Option(None, help="order items file (olist)"),
        tracking: Path | None = typer.Option(None, help="tracking scans file (CSV or XLSX)"),
        mapping: Path | None = typer.Option(None, help="a mapping YAML instead of the built-in"),
        shop: str | None = typer.Option(None, help="shop code for files without a shop column"),
        date_order: str | None = typer.Option(None, help="ymd, mdy or dmy for dates like 1/5/2024"),
        exemptions: Path | None = typer.Option(
            None, help="platform events (JSON or YAML list, as POST /api/exemptions takes)"
        ),
        now: str | None = typer.Option(None, help="evaluate as of this ISO 8601 time"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
        lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
        out: Path | None = typer.Option(
            None, "--out", help="also write the violations to a .jsonl, .csv, .parquet or .xlsx"
        ),
        limit: int = typer.Option(50, min=0, help="violations the table shows"),
    ) -> None:
        """Evaluate a whole export without a database (read as `import orders` reads it)."""
        from lanshou.batch import check_command
        from lanshou.entrypoints.cli.imports import check_date_order
        from lanshou.imports import ImportSummary, export_reader
        from lanshou.settings import load_settings

        # LANSHOU_RULES_DIR and the language as the database path reads them; check opens no
        # database, so the secret key that production settings insist on is not asked for.
        settings = load_settings(env="dev")
        locale = cli_locale(lang, settings.default_locale)
        check_date_order(date_order, locale)
        reader = export_reader(
            source,
            orders,
            items=items,
            tracking=tracking,
            mapping=mapping,
            shop=shop,
            date_order=date_order,  # type: ignore[arg-type]
            summary=(read := ImportSummary(source)),
            locale=locale,
        )
        rules_dir = settings.rules_dir
        code = check_command(
            profile,
            reader,
            now,
            as_json,
            locale,
            rules_dirs=(rules_dir,) if rules_dir else (),
            exemptions=lambda: _exemptions(exemptions),
            out_file=out,
            limit=limit,
            notes=lambda loc: [*read.warnings(loc), *read.rejects_lines(loc)],
        )
        raise typer.Exit(code)

    @app.command()
    def sweep(
        now: str | None = typer.Option(None, help="sweep as of this ISO 8601 time"),
        lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """Act on what has come due: warnings, breaches, auto refunds, expired appeals."""
        from lanshou.clock import FixedClock
        from lanshou.worker import sweep_once

        rt = runtime()
        locale = cli_locale(lang, rt.settings.default_locale)
        rt.clock = FixedClock(parse_now(now, rt.clock.now()))
        typer.echo(sweep_text(sweep_once(rt), locale))

    @app.command()
    def recompute(
        now: str | None = typer.Option(None, help="recompute as of this ISO 8601 time"),
        lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """Re-judge every shipment not yet picked up, e.g. after editing the calendar file."""
        from lanshou.enforcement import recompute_open
        from lanshou.i18n import translate

        rt = runtime()
        locale = cli_locale(lang, rt.settings.default_locale)
        result = recompute_open(rt.sessions, parse_now(now, rt.clock.now()), rt.settings)
        typer.echo(
            translate(
                locale,
                "Open shipments recomputed: %(shipments)s; violations new: %(new)s, "
                "changed: %(changed)s.",
                shipments=result.shipments,
                new=result.violations_new,
                changed=result.violations_changed,
            )
        )

    @app.command()
    def explain(
        ident: str = typer.Argument(..., help="order number, or shipment:<id> / order:<id>"),
        now: str | None = typer.Option(None, help="explain as of this ISO 8601 time"),
        lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """Show why a shipment is or is not late: rule, deadline arithmetic, evidence, money."""
        from lanshou.appeals import shipment_text
        from lanshou.enforcement import explain as explain_shipments

        rt = runtime()
        locale = cli_locale(lang, rt.settings.default_locale)
        at = parse_now(now, rt.clock.now())
        with rt.sessions() as session:
            results = explain_shipments(session, ident, at, rt.rules)
        for result in results:
            typer.echo("\n".join(shipment_text(locale, result, at)))
            typer.echo("")

    @app.command("rules")
    def rules_listing(
        profile: str | None = typer.Argument(None, help="one profile; all when omitted"),
        lang: str = typer.Option("zh_CN", help="zh_CN or en"),
        rules_dir: Path | None = typer.Option(
            None, envvar="LANSHOU_RULES_DIR", help="the operator's profile directory"
        ),
    ) -> None:
        """List the rule profiles (built-in and the operator's) and their assumed figures."""
        from lanshou.domain.rules.errors import RulesError
        from lanshou.enforcement import RulesContext, profile_listing

        # Only the rules directory matters here: no database, no secret key needed.
        ctx = RulesContext(rules_dirs=(rules_dir,) if rules_dir else ())
        try:
            lines = profile_listing(ctx, lang, profile)
        except RulesError as exc:
            typer.secho(f"lanshou: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from exc
        typer.echo("\n".join(lines))
