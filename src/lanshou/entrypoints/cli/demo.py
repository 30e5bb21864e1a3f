"""``lanshou demo seed``: a realistic, deterministic demo world relative to now."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lanshou.demo import DEMO_LOGINS, DEMO_PASSWORD
from lanshou.entrypoints.cli.common import runtime

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("seed")
def seed(
    orders: int = typer.Option(2000, min=1, help="number of orders"),
    days: int = typer.Option(30, min=1, help="spread orders over the last D days"),
    seed: int = typer.Option(7, help="random seed: the same seed gives the same world"),
    if_empty: bool = typer.Option(False, "--if-empty", help="do nothing if orders exist"),
    replace: bool = typer.Option(False, "--replace", help="delete existing demo data first"),
    evaluate: bool = typer.Option(True, help="evaluate deadlines and violations afterwards"),
) -> None:
    """Generate shops, carriers, outlets, couriers, orders, shipments and tracking events."""
    from lanshou.demo import database_is_empty, seed_demo
    from lanshou.enforcement import evaluate_all

    rt = runtime()
    if if_empty and not database_is_empty(rt.engine):
        typer.echo("demo data already present; leaving it as it is")
        return
    now = rt.clock.now()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("orders 订单", total=orders)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = seed_demo(
            rt.engine,
            now=now,
            orders=orders,
            days=days,
            seed=seed,
            create_users=rt.settings.is_dev,
            progress=on_progress,
            replace=replace,
        )
    typer.echo(
        f"seeded {summary.orders} orders, {summary.shipments} shipments, "
        f"{summary.tracking_events} tracking events"
    )
    if evaluate:
        result = evaluate_all(rt.sessions, now, rt.settings)
        typer.echo(
            f"evaluated: {result.violations_new} violations, {result.warnings_fired} warnings"
        )
    from lanshou.adapters.db.engine import unit_of_work
    from lanshou.analytics import refresh_aggregates
    from lanshou.demo import seed_demo_cases

    with unit_of_work(rt.sessions) as session:
        cases = seed_demo_cases(session, rt.appeals, now)
    if cases:
        typer.echo(f"cases: {cases} appeals and buyer complaints, one in each state")
    with unit_of_work(rt.sessions) as session:
        refresh_aggregates(session, now, ctx=rt.rules, snapshots=False)
    if rt.settings.is_dev:
        typer.echo(
            f"demo logins (password {DEMO_PASSWORD}): "
            + ", ".join(name for name, _, _ in DEMO_LOGINS)
        )
