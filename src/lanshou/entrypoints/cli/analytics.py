"""``lanshou report``, ``lanshou whatif`` and ``lanshou scorecard``: losses, carriers, what-if."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import typer

from lanshou.adapters.db.engine import unit_of_work
from lanshou.analytics import Period, local_day
from lanshou.entrypoints.cli.common import LANG_HELP, cli_locale, parse_now, runtime
from lanshou.errors import InvalidInput
from lanshou.i18n import translate
from lanshou.identity import Scope


def _period(first: str | None, last: str | None, today: date, days: int) -> Period:
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=days - 1)
    except ValueError as exc:
        raise InvalidInput(f"dates are YYYY-MM-DD: {exc}", field="from") from exc
    return Period(start, end)


def report(
    shop: str | None = typer.Option(None, "--shop", help="shop code; default all shops"),
    first: str | None = typer.Option(None, "--from", help="first day YYYY-MM-DD (Beijing)"),
    last: str | None = typer.Option(None, "--to", help="last day YYYY-MM-DD; default today"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    weekly: bool = typer.Option(False, "--weekly", help="HTML weekly report of --shop"),
    out: Path | None = typer.Option(None, "--out", help="file for --weekly"),
    now: str | None = typer.Option(None, help="ISO time to report at (default: now)"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Money lost and recovered, violations, appeals and carriers for a period."""
    from lanshou.analytics import build_report, report_text, weekly_html

    rt = runtime()
    at = parse_now(now, rt.clock.now())
    period = _period(first, last, local_day(at), 7 if weekly else 30)
    locale = cli_locale(lang, rt.settings.default_locale)
    with unit_of_work(rt.sessions) as session:
        if weekly:
            if shop is None or out is None:
                raise InvalidInput("--weekly needs --shop and --out", field="shop")
            page = weekly_html(session, Scope(None), shop, period, rt.rules, locale, now=at)
            out.write_text(page, encoding="utf-8")
            typer.echo(translate(locale, "wrote %(path)s", path=str(out)))
            return
        if as_json:
            data = build_report(session, Scope(None), period, rt.rules, shop, now=at)
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        lines = report_text(session, Scope(None), period, rt.rules, shop, locale, now=at)
    typer.echo("\n".join(lines))


def whatif(
    profile: str = typer.Option("douyin", "--profile", help="rule profile to change"),
    changes: list[str] = typer.Option([], "--set", help="RULE.FIELD=NUMBER, repeatable"),
    shop: str | None = typer.Option(None, "--shop", help="carrier switch: shop code"),
    carrier: str | None = typer.Option(None, "--carrier", help="carrier switch: e.g. SF"),
    region: str | None = typer.Option(None, "--region", help="carrier switch: origin province"),
    first: str | None = typer.Option(None, "--from", help="orders paid from YYYY-MM-DD"),
    last: str | None = typer.Option(None, "--to", help="orders paid until YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    now: str | None = typer.Option(None, help="ISO time to evaluate at (default: now)"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Replay history under changed rules (--set) or another carrier (--shop --carrier --region)."""
    from lanshou.analytics import whatif as wi

    rt = runtime()
    at = parse_now(now, rt.clock.now())
    period = _period(first, last, local_day(at), 3650) if (first or last) else None
    ctx = rt.rules
    with unit_of_work(rt.sessions) as session:
        if carrier is not None:
            if shop is None or region is None:
                raise InvalidInput("--carrier needs --shop and --region", field="carrier")
            diffs = wi.whatif_carrier(session, ctx, shop, carrier, region, at, period)
        else:
            if not changes:
                raise InvalidInput("give at least one --set RULE.FIELD=NUMBER", field="set")
            diffs = wi.whatif_rules(
                session, ctx, profile, [wi.parse_change(c) for c in changes], at, period
            )
    rows = [d.row() for d in diffs]
    if as_json:
        typer.echo(json.dumps({"shops": rows}, ensure_ascii=False, indent=2))
        return
    from lanshou.i18n.format import money, signed_count, signed_money

    locale = cli_locale(lang, rt.settings.default_locale)
    for d, r in zip(diffs, rows, strict=True):
        typer.echo(
            translate(
                locale,
                "%(shop)s: violations %(base)s → %(changed)s (%(delta)s), "
                "money %(base_money)s → %(changed_money)s (%(delta_money)s)",
                shop=r["shop"],
                base=r["violations_base"],
                changed=r["violations_changed"],
                delta=signed_count(r["violations_delta"]),
                base_money=money(d.base.money_fen),
                changed_money=money(d.changed.money_fen),
                delta_money=signed_money(d.changed.money_fen - d.base.money_fen),
            )
        )


def scorecard(
    level: str = typer.Option("carrier", "--level", help="carrier | outlet | courier"),
    days: int = typer.Option(30, min=1, help="shipments marked shipped in the last D days"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    now: str | None = typer.Option(None, help="ISO time the D days end at (default: now)"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Pickup latency p50/p90/p99, timeout rate, appeal share and feed stalls."""
    from lanshou.analytics import LEVELS, pickup_samples, scorecard_text, scorecards

    if level not in LEVELS:
        raise InvalidInput(f"--level is one of {LEVELS}", field="level")
    rt = runtime()
    at = parse_now(now, rt.clock.now())
    period = Period.ending(at, days)
    # --json keeps its names as before; the table names carriers in the language asked for
    locale = None if as_json else cli_locale(lang, rt.settings.default_locale)
    with unit_of_work(rt.sessions) as session:
        samples = pickup_samples(session, Scope(None), period, rt.rules, now=at)
        cards = scorecards(session, samples, level, locale)
    if as_json:
        typer.echo(json.dumps([c.row() for c in cards], ensure_ascii=False, indent=2))
        return
    typer.echo("\n".join(scorecard_text(cards, level, period, locale)))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("whatif")(whatif)
    app.command("scorecard")(scorecard)
