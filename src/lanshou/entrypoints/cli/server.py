"""``lanshou serve``, ``lanshou worker`` and ``lanshou db upgrade``."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from types import FrameType

import typer

from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.migrate import downgrade as db_downgrade
from lanshou.adapters.db.migrate import upgrade as db_upgrade
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.demo import DEMO_LOGINS, DEMO_PASSWORD
from lanshou.entrypoints.cli.common import parse_now, runtime
from lanshou.platforms import SecretBox
from lanshou.settings import get_settings

WORKER_START_SECONDS = 60
# How long a stopping ``serve`` waits for the background worker: the drainer's batch takes well
# under a second, a sweep step can take longer (the aggregates at a million orders); docker stop
# kills after 10 s, systemd after 90 s. A step cut off rolls back and is redone at the next start.
STOP_SECONDS = 8.0
log = logging.getLogger("lanshou.serve")

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply schema migrations up to REVISION (default: the newest)."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    # A migration that seals secrets stored in clear gets the seal under LANSHOU_SECRET_KEY.
    db_upgrade(
        engine, revision, seal=lambda plain: SecretBox(settings.resolved_secret_key()).seal(plain)
    )
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
        workers: int = typer.Option(
            1,
            min=1,
            max=64,
            help="uvicorn worker processes answering requests (more than 1: each its own "
            "process and connection pool; the background worker stays one, in the parent)",
        ),
    ) -> None:
        """Run the web app, the API and the background worker in one process (the web app in
        WORKERS processes with ``--workers``)."""
        import uvicorn

        from lanshou.entrypoints.app import create_app
        from lanshou.worker import start_background_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        stopping = _stop_on_signals()
        rt = runtime()
        host = host or rt.settings.host
        port = port or rt.settings.port
        background = start_background_worker(rt) if worker else None
        _banner(host, port, rt.settings.is_dev)
        try:
            if stopping.is_set():
                pass  # told to stop while starting
            elif workers == 1:
                uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
            else:  # uvicorn starts each worker from an import string; runtime() migrated already
                uvicorn.run(
                    "lanshou.entrypoints.app:app_from_environment",
                    factory=True,
                    workers=workers,
                    host=host,
                    port=port,
                    log_level="info",
                    # A worker imports the whole app before it answers the supervisor's ping;
                    # on a busy machine that takes longer than uvicorn's 5 s, and it would be
                    # killed and restarted for ever.
                    timeout_worker_healthcheck=WORKER_START_SECONDS,
                )
        finally:
            if background is not None:
                background.stop(STOP_SECONDS)
            rt.engine.dispose()
            log.info("stopped")

    @app.command("worker")
    def worker_command(
        concurrency: int = typer.Option(
            1,
            min=1,
            max=64,
            help="processes draining the tracking inbox (PostgreSQL; SQLite drains with one)",
        ),
        sweep: bool = typer.Option(
            True,
            "--sweep/--no-sweep",
            help="also sweep deadlines, warnings, refunds (--no-sweep: drain the inbox only, "
            "for drainers scaled apart from one sweeping worker)",
        ),
        now: str | None = typer.Option(
            None, help="judge as of this fixed ISO 8601 time (replays and tests)"
        ),
    ) -> None:
        """Run the background worker alone: the tracking inbox drained by CONCURRENCY
        processes, deadline sweeps, warnings, auto refunds."""
        from lanshou.adapters.db.dialect import writes_concurrently
        from lanshou.worker import run_drainer, run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        rt = _worker_runtime(now)
        if concurrency > 1 and not writes_concurrently(rt.engine):
            typer.secho(
                "this database writes one transaction at a time: one process drains the inbox",
                fg=typer.colors.YELLOW,
            )
            concurrency = 1
        spawn = multiprocessing.get_context("spawn")
        others = [
            spawn.Process(
                target=drain_in_process, args=(now,), name=f"lanshou-inbox-{n}", daemon=True
            )
            for n in range(1, concurrency)
        ]
        for process in others:
            process.start()
        stop = threading.Event()
        # A process manager stops workers with SIGTERM: stop as on Ctrl-C, children included.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        drainer = threading.Thread(target=run_drainer, args=(rt, stop), name="lanshou-inbox")
        drainer.start()
        try:
            if sweep:
                run_worker(rt, stop)
            else:
                while not stop.wait(1.0):
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            for process in others:
                process.terminate()  # each finishes its batch, then stops
            for process in others:
                process.join()
            drainer.join()


def _stop_on_signals() -> threading.Event:
    """SIGTERM (a process manager, ``docker stop``) and SIGINT (Ctrl-C) stop ``serve``
    gracefully, with exit status 0: uvicorn answers the requests in flight, then the background
    worker finishes its batch and the database is closed. uvicorn handles both signals while it
    serves and, once shut down, raises the signal again for the handler it found — this one,
    which only records it (Python's defaults would end the process by the signal, status -15 /
    143, which supervisors count as a failure, or raise KeyboardInterrupt). With ``--workers``
    uvicorn's supervisor handles them itself and returns."""
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            log.info("%s: stopping", signal.Signals(signum).name)
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    return stopping


def _worker_runtime(now: str | None) -> Runtime:
    """The runtime, on a clock fixed at ``now`` if given (``--now``)."""
    rt = runtime()
    if now is not None:
        rt.clock = FixedClock(parse_now(now, rt.clock.now()))
    return rt


def drain_in_process(now: str | None = None) -> None:
    """One more inbox drainer of ``lanshou worker --concurrency N``: its own process, its own
    runtime and connections; it stops when terminated."""
    from lanshou.worker import run_drainer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_drainer(_worker_runtime(now), stop)
    except KeyboardInterrupt:
        stop.set()
