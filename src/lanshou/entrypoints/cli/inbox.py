"""``lanshou inbox dead`` and ``lanshou inbox retry ID…``: the tracking inbox's dead letters.

A record that fails when judged on its own is set aside (see
:mod:`lanshou.enforcement.dead_letters`) so the records behind it go on; these commands show
them and put them back in line once the cause is mended.
"""

from __future__ import annotations

import getpass
import json

import typer

from lanshou.entrypoints.cli.common import LANG_HELP, cli_locale, runtime
from lanshou.i18n import N_, translate

app = typer.Typer(help="The tracking inbox: dead letters.", no_args_is_help=True)


@app.command("dead")
def dead(
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    limit: int = typer.Option(1000, min=1, help="at most this many, oldest first"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """List the records set aside because they failed when judged, with when each is tried
    again on its own (the wait doubles with each failure, up to an hour)."""
    from lanshou.adapters.db.engine import unit_of_work
    from lanshou.enforcement import list_dead_letters

    rt = runtime()
    locale = cli_locale(lang, rt.settings.default_locale)
    with unit_of_work(rt.sessions) as session:
        letters = list_dead_letters(session, limit=limit)
    for d in letters:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": d.id,
                        "receipt_id": d.receipt_id,
                        "waybill": d.waybill_no,
                        "status": d.status,
                        "event_time": d.event_time.isoformat(),
                        "attempts": d.attempts,
                        "error": d.error,
                        "first_failed_at": d.first_failed_at.isoformat(),
                        "last_failed_at": d.last_failed_at.isoformat(),
                        "next_attempt_at": d.next_attempt_at.isoformat()
                        if d.next_attempt_at
                        else None,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            retry = (
                translate(locale, N_("next attempt %(at)s"), at=d.next_attempt_at.isoformat())
                if d.next_attempt_at
                else translate(locale, N_("no more attempts: retry it by hand"))
            )
            line = translate(
                locale,
                N_(
                    "%(id)s  receipt %(receipt)s  %(waybill)s %(status)s  attempts %(attempts)s  "
                    "first failed %(first)s  last failed %(last)s"
                ),
                id=d.id,
                receipt=d.receipt_id,
                waybill=d.waybill_no,
                status=d.status,
                attempts=d.attempts,
                first=d.first_failed_at.isoformat(),
                last=d.last_failed_at.isoformat(),
            )
            typer.echo(f"{line}  {retry}\n    {d.error}")  # the error as recorded: not translated
    if not as_json:
        typer.echo(translate(locale, N_("%(count)s dead letters"), count=len(letters)))


@app.command("retry")
def retry(
    ids: list[int] = typer.Argument(..., help="ids of dead letters (see lanshou inbox dead)"),
    actor: str = typer.Option("", help="who retries, for the audit trail (default cli:USER)"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Put dead letters back in line: the next worker claim judges them again."""
    from lanshou.adapters.db.engine import unit_of_work
    from lanshou.enforcement import retry_dead_letters

    rt = runtime()
    locale = cli_locale(lang, rt.settings.default_locale)
    who = actor or f"cli:{getpass.getuser()}"
    with unit_of_work(rt.sessions) as session:
        retried = retry_dead_letters(session, ids, who, rt.clock.now())
    typer.echo(
        translate(
            locale,
            N_("%(count)s dead letters back in line: %(ids)s"),
            count=len(retried),
            ids=", ".join(map(str, retried)),
        )
    )
