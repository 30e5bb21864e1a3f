"""``lanshou connect douyin`` and ``lanshou sync douyin``: link a shop to 抖店, bring orders in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.platforms.douyin import DEFAULT_GATEWAY, DouyinError
from lanshou.entrypoints.cli.common import parse_now, runtime, terminal_progress
from lanshou.errors import InvalidInput
from lanshou.i18n.format import DISPLAY_TZ
from lanshou.platforms import SyncSummary, connect_douyin, connection_ids, sync_connection

connect_app = typer.Typer(help="Connect a shop to its platform's open API.", no_args_is_help=True)
sync_app = typer.Typer(help="Bring a connected shop's orders in.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(connect_app, name="connect")
    root.add_typer(sync_app, name="sync")


def _local(at: datetime | None) -> str:
    return at.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M:%S%z") if at else "—"


@connect_app.command("douyin")
def douyin_connect(
    shop: str = typer.Option(..., help="lanshou shop code (created if new)"),
    app_key: str = typer.Option(..., help="the 抖店 app's app_key"),
    app_secret: str = typer.Option(
        ...,
        envvar="LANSHOU_DOUYIN_APP_SECRET",
        prompt=True,
        hide_input=True,
        help="the app's secret (or LANSHOU_DOUYIN_APP_SECRET; prompted when left out)",
    ),
    douyin_shop_id: str = typer.Option(..., help="the 抖店 shop id that authorised the app"),
    gateway: str = typer.Option(DEFAULT_GATEWAY, help="gateway URL (sandbox or a test gateway)"),
) -> None:
    """Self-use authorisation (自用型): a token for the shop, then the connection, stored with
    its secrets encrypted. The tool-app code flow starts from the admin page."""
    rt = runtime()
    now = rt.clock.now()
    try:
        with unit_of_work(rt.sessions) as session:
            conn = connect_douyin(
                session,
                rt.platforms,
                shop_code=shop,
                app_key=app_key,
                app_secret=app_secret,
                douyin_shop_id=douyin_shop_id,
                gateway=gateway,
                now=now,
                actor="cli",
            )
            expires = conn.token_expires_at
    except DouyinError as exc:
        typer.secho(f"lanshou: 抖店 refused the connection: {exc.describe()}", err=True, fg="red")
        raise typer.Exit(1) from exc
    typer.echo(
        f"connected shop {shop} to 抖店 shop {douyin_shop_id} via {gateway}; "
        f"token valid until {_local(expires)}"
    )


def _progress_bar() -> tuple[Any, Any]:
    """A rich bar of orders read against the platform's total, when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn

    bar = terminal_progress(BarColumn(), MofNCompleteColumn())
    if bar is None:
        return None, None
    task = bar.add_task("orders", total=None)

    def update(page_orders: int, total: int) -> None:
        bar.update(task, total=total, advance=page_orders)

    return bar, update


def summary_line(s: SyncSummary) -> str:
    window = f"{_local(s.window_start)} → {_local(s.window_end)}"
    if s.error is not None:
        return (
            f"{s.shop_code}: FAILED after {s.pages} page(s), {s.orders} order(s) written "
            f"({window}): {s.error}; the cursor did not move"
        )
    unknown = (
        "; unknown carriers: " + ", ".join(f"{n} ×{c}" for n, c in s.unknown_carriers.items())
        if s.unknown_carriers
        else ""
    )
    return (
        f"{s.shop_code}: {s.orders} order(s) in {s.pages} page(s) ({window}): "
        f"{s.inserted} new, {s.updated} updated, {s.unchanged} unchanged, "
        f"{s.skipped_unpaid} unpaid skipped, {s.details_fetched} detail call(s), "
        f"{s.calls} gateway call(s); cursor {_local(s.window_end)}{unknown}"
    )


@sync_app.command("douyin")
def douyin_sync(
    shop: str | None = typer.Option(None, help="one shop code; all connected shops otherwise"),
    since: str | None = typer.Option(
        None, help="read orders updated since this ISO 8601 time instead of the stored cursor"
    ),
    now: str | None = typer.Option(None, help="sync as of this ISO 8601 time"),
) -> None:
    """Incremental order sync by update time, with a progress bar and a summary per shop;
    exit 1 if the platform refused any shop's sync."""
    rt = runtime()
    at = parse_now(now, rt.clock.now())
    start = parse_now(since, at, "--since") if since is not None else None
    if start is not None and start >= at:
        raise InvalidInput(f"--since {since} is not before {at.isoformat()}")
    with unit_of_work(rt.sessions) as session:
        ids = connection_ids(session, shop)
    failed = False
    for connection_id in ids:
        bar, update = _progress_bar()
        try:
            if bar is not None:
                bar.start()
            summary = sync_connection(
                rt.sessions,
                rt.platforms,
                rt.rules,
                connection_id,
                at,
                since=start,
                progress=update,
            )
        finally:
            if bar is not None:
                bar.stop()
        failed = failed or summary.error is not None
        typer.echo(summary_line(summary))
    if failed:
        raise typer.Exit(1)
