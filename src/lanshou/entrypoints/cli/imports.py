"""``lanshou import orders``: load an order export into the database (see services.imports)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from lanshou.batch import Reason
from lanshou.entrypoints.cli.common import (
    LANG_HELP,
    cli_locale,
    parse_now,
    runtime,
    terminal_progress,
)
from lanshou.errors import InvalidInput
from lanshou.i18n import N_, translate

app = typer.Typer(help="Load exports into the database.", no_args_is_help=True)

DATE_ORDERS = ("ymd", "mdy", "dmy")


def check_date_order(value: str | None, locale: str) -> None:
    """``--date-order`` is one of DATE_ORDERS, or an InvalidInput in `locale`."""
    if value is not None and value not in DATE_ORDERS:
        raise InvalidInput(
            translate(
                locale,
                N_("--date-order must be one of %(choices)s"),
                choices=", ".join(DATE_ORDERS),
            )
        )


@contextmanager
def worded_input_errors(locale: str) -> Iterator[None]:
    """The readers' input errors that carry a reason (``details["reason"]``, e.g. a column's
    dates in no telling order) raised again in `locale`; the others stay as they are."""
    try:
        yield
    except InvalidInput as exc:
        reason = exc.details.get("reason")
        if not isinstance(reason, Reason):
            raise
        raise InvalidInput(reason.text(locale), reason=reason) from exc


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="import")


# The importers' passes: the first reads the dates to learn their order, the second imports.
PHASES = {"scan": N_("Checking dates"), "import": N_("Importing")}


def progress_text(locale: str, phase: str, rows: int) -> str:
    """The bar's description: the pass in words and the rows read so far."""
    name = PHASES.get(phase)
    return translate(
        locale,
        N_("%(phase)s · %(rows)s rows"),
        phase=translate(locale, name) if name else phase,
        rows=rows,
    )


def progress_bar(locale: str) -> tuple[Any, Any]:
    """A rich bar of bytes read (scan + import passes) when stderr is a terminal."""
    from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn

    bar = terminal_progress(BarColumn(), DownloadColumn(), TimeRemainingColumn())
    if bar is None:
        return None, None
    task = bar.add_task(translate(locale, N_("Reading")), total=None)

    def update(p: Any) -> None:
        bar.update(
            task,
            total=p.bytes_total,
            completed=p.bytes_done,
            description=progress_text(locale, p.phase, p.rows_read),
        )

    return bar, update


@app.command("orders")
def orders(
    file: Path = typer.Argument(..., help="CSV or XLSX export (olist: the data-set directory)"),
    source: str = typer.Option(..., help="layout: generic, douyin or olist"),
    mapping: Path | None = typer.Option(None, help="a mapping YAML instead of the built-in"),
    shop: str | None = typer.Option(None, help="shop code for files without a shop column"),
    date_order: str | None = typer.Option(None, help="ymd, mdy or dmy for dates like 1/5/2024"),
    profile: str | None = typer.Option(None, help="rule profile (and platform) of new shops"),
    items: Path | None = typer.Option(None, help="olist: the order items file"),
    now: str | None = typer.Option(None, help="evaluate as of this ISO 8601 time"),
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """Import orders idempotently; bad rows go to FILE.rejects.csv, good rows are kept."""
    from lanshou.imports import import_orders

    rt = runtime()
    locale = cli_locale(lang, rt.settings.default_locale)
    check_date_order(date_order, locale)
    bar, update = progress_bar(locale)
    try:
        if bar is not None:
            bar.start()
        with worded_input_errors(locale):
            summary = import_orders(
                rt.sessions,
                file,
                source=source,
                mapping=mapping,
                shop=shop,
                date_order=date_order,  # type: ignore[arg-type]
                profile=profile,
                items=items,
                now=parse_now(now, rt.clock.now()),
                ctx=rt.rules,
                progress=update,
                locale=locale,
            )
    finally:
        if bar is not None:
            bar.stop()
    typer.echo("\n".join(summary.lines(locale)))
