"""``lanshou retention``: archive old months of tracking events to Parquet, drop them, and
prune the tracking inbox's folded records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from lanshou.entrypoints.cli.common import (
    LANG_HELP,
    cli_locale,
    parse_now,
    runtime,
    terminal_progress,
)
from lanshou.i18n import N_, translate
from lanshou.retention import RetentionPolicy, RetentionRefused, RetentionResult, run_retention


def retention(
    keep_months: int = typer.Option(
        ..., "--keep-months", help="keep the current month and this many before it"
    ),
    archive_dir: Path | None = typer.Option(
        None, "--archive-dir", help="where the Parquet files go (default: VAR_DIR/archive)"
    ),
    inbox_keep_days: int = typer.Option(
        7, "--inbox-keep-days", min=0, help="delete inbox records folded longer ago than this"
    ),
    now: str | None = typer.Option(None, help="ISO time to run at (default: now)"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Archive tracking events older than N months to Parquet (one file per month), then drop
    them; prune folded tracking-inbox records. Refuses N below the appeal evidence window."""
    rt = runtime()
    locale = cli_locale(lang, rt.settings.default_locale)
    at = parse_now(now, rt.clock.now())
    policy = RetentionPolicy(
        keep_months=keep_months,
        archive_dir=archive_dir or rt.settings.var_dir / "archive",
        inbox_keep_days=inbox_keep_days,
    )
    bar, update = _progress_bar(locale)
    try:
        if bar is not None:
            with bar:
                result = run_retention(rt.sessions, at, rt.rules, policy, update)
        else:
            result = run_retention(rt.sessions, at, rt.rules, policy)
    except RetentionRefused as exc:
        typer.secho(translate(locale, exc.msgid, **exc.params), err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from exc
    _summary(locale, result)


def _progress_bar(locale: str) -> tuple[Any, Any]:
    """A bar of months archived when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn

    bar = terminal_progress(BarColumn(), MofNCompleteColumn())
    if bar is None:
        return None, None
    task = bar.add_task(translate(locale, N_("archiving")), total=None)

    def update(done: int, total: int, month: object) -> None:
        bar.update(task, completed=done, total=total, description=str(month))

    return bar, update


def _summary(locale: str, result: RetentionResult) -> None:
    for m in result.archived:
        typer.echo(
            translate(
                locale,
                N_("%(month)s: %(events)s events archived to %(file)s and dropped"),
                month=str(m.month),
                events=m.rows,
                file=str(m.file) if m.file else "-",
            )
        )
    typer.echo(
        translate(
            locale,
            N_(
                "kept from %(first)s: %(months)s months archived, %(events)s events dropped, "
                "%(created)s partitions created ahead, %(inbox)s inbox records pruned"
            ),
            first=str(result.first_kept),
            months=len(result.archived),
            events=result.events_removed,
            created=len(result.partitions_created),
            inbox=result.inbox_pruned,
        )
    )


def register(app: typer.Typer) -> None:
    app.command("retention")(retention)
