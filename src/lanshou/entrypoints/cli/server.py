"""``lanshou serve``, ``lanshou worker`` and ``lanshou db upgrade``."""

from __future__ import annotations

import logging
import threading

import typer

from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.migrate import downgrade as db_downgrade
from lanshou.adapters.db.migrate import upgrade as db_upgrade
from lanshou.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from lanshou.entrypoints.cli.common import runtime
from lanshou.settings import get_settings

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply schema migrations up to REVISION (default: the newest)."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    db_upgrade(engine, revision)
    typer.echo(f"database schema at {revision}")


@db_app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. base")) -> None:
    """Roll the schema back to REVISION."""
    engine = make_engine(get_settings().resolved_database_url())
    db_downgrade(engine, revision)
    typer.echo(f"database schema at {revision}")


def _banner(host: str, port: int, dev: bool) -> None:
    typer.secho(
        f"\nlanshou 揽收 is running at http://{host}:{port}", fg=typer.colors.GREEN, bold=True
    )
    typer.echo(f"API docs: http://{host}:{port}/docs")
    if dev:
        typer.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
        for username, role_zh, role_en in DEMO_LOGINS:
            typer.echo(f"  {username:<10} {role_zh} / {role_en}")
    typer.echo("")


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="address to bind (default from LANSHOU_HOST)"),
        port: int = typer.Option(None, help="port (default from LANSHOU_PORT)"),
        worker: bool = typer.Option(True, help="run the background worker in this process"),
    ) -> None:
        """Run the web app, the API and the background worker in one process."""
        import uvicorn

        from lanshou.entrypoints.app import create_app
        from lanshou.worker import start_background_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        rt = runtime()
        host = host or rt.settings.host
        port = port or rt.settings.port
        stop: threading.Event | None = None
        if worker:
            _, stop = start_background_worker(rt)
        _banner(host, port, rt.settings.is_dev)
        try:
            uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
        finally:
            if stop is not None:
                stop.set()

    @app.command("worker")
    def worker_command() -> None:
        """Run the background worker alone (deadline sweeps, warnings, auto refunds)."""
        from lanshou.worker import run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        rt = runtime()
        stop = threading.Event()
        try:
            run_worker(rt, stop)
        except KeyboardInterrupt:
            stop.set()
