"""The background worker: drains the tracking inbox continuously and runs the deadline sweep on
a fixed interval, until told to stop.

No in-process timer holds state: every deadline and every accepted tracking record lives in the
database, so a restarted worker simply picks up whatever came due or arrived while it was down.
"""

from __future__ import annotations

import logging
import threading
import time

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.partitions import Month, ensure_ahead
from lanshou.alerts import dispatch_alerts
from lanshou.analytics import refresh_aggregates
from lanshou.appeals import escalate_overdue, expire_overdue
from lanshou.audit import export_head
from lanshou.bootstrap import Runtime
from lanshou.enforcement import DrainResult, SweepResult, run_sweep
from lanshou.enforcement import drain_inbox as drain_pending
from lanshou.feeds import SubscriptionClient, SubscriptionRun, send_due_subscriptions
from lanshou.identity import ThrottlePolicy, prune_login_failures
from lanshou.platforms import RouteRegistrar, apply_stranded, sync_due

log = logging.getLogger("lanshou.worker")
INBOX_IDLE_SECONDS = 0.2  # how often an idle drainer asks the inbox again
DRAIN_RETRY_FIRST = 1.0  # seconds after a failed drain; doubled after each next failure in a row
DRAIN_RETRY_CAP = 60.0  # the longest wait: a database down for hours is asked once a minute


def drain_retry_wait(failures: int) -> float:
    """Seconds the drainer waits after ``failures`` (≥ 1) failed drains in a row."""
    return min(DRAIN_RETRY_FIRST * (1 << min(failures - 1, 16)), DRAIN_RETRY_CAP)


def drain_inbox(runtime: Runtime, *, max_batches: int | None = None) -> DrainResult:
    """Fold and judge the tracking inbox's pending records, batch by batch, as of now."""
    return drain_pending(
        runtime.sessions,
        runtime.clock.now(),
        runtime.rules,
        limit=runtime.settings.inbox_batch,
        max_batches=max_batches,
    )


def run_drainer(runtime: Runtime, stop: threading.Event) -> None:
    """Drain the inbox continuously: batch after batch while records are pending, then ask
    again every ``INBOX_IDLE_SECONDS``; a failure is logged, never fatal (the failed batch
    rolled back and is claimed again after :func:`drain_retry_wait`, longer the more drains
    failed in a row: a database that is down is not hammered)."""
    log.info("inbox drainer started")
    failures = 0
    while not stop.is_set():
        try:
            # One batch at a time, so `now` is fresh for each and `stop` is heard between them.
            result = drain_inbox(runtime, max_batches=1)
        except Exception:
            failures += 1
            wait = drain_retry_wait(failures)
            log.exception("draining the tracking inbox failed; will retry in %.0f s", wait)
            stop.wait(wait)
            continue
        failures = 0
        if not result.records:
            stop.wait(INBOX_IDLE_SECONDS)
    log.info("inbox drainer stopped")


def sweep_once(runtime: Runtime) -> SweepResult:
    """Deadlines first, then cases whose windows passed and complaint tasks gone overdue, then
    the analytics aggregates of the days that changed."""
    now = runtime.clock.now()
    result = run_sweep(runtime.sessions, now, runtime.settings, ctx=runtime.rules)
    with unit_of_work(runtime.sessions) as session:
        result.appeals_expired = expire_overdue(session, now)
        result.tasks_escalated = escalate_overdue(session, now)
    with unit_of_work(runtime.sessions) as session:
        refresh_aggregates(session, now, ctx=runtime.rules)
    # Alerts last, so this sweep's warnings and breaches go out now; sending runs outside
    # any transaction.
    dispatch_alerts(
        runtime.sessions,
        now,
        runtime.rules,
        locale=runtime.settings.default_locale,
        senders=runtime.alert_senders,
    )
    return result


def send_tracking_subscriptions(runtime: Runtime) -> SubscriptionRun:
    """Queued 快递100 / 快递鸟 subscriptions (and due resubscriptions) go out, through the
    egress guard, and 抖店 route registrations through the shop's gateway client; no
    transaction is open while an aggregator or the platform answers."""
    senders = {"douyin": RouteRegistrar(runtime.sessions, runtime.platforms)}
    with SubscriptionClient(runtime.egress) as client:
        return send_due_subscriptions(
            runtime.sessions,
            runtime.clock.now(),
            client,
            runtime.platforms.box,
            senders=senders,
        )


def export_audit_head(runtime: Runtime) -> None:
    """The audit chain's head to its file and the log, so records cut later show."""
    with unit_of_work(runtime.sessions) as session:
        export_head(session, runtime.settings.resolved_audit_head_file(), runtime.clock.now())


def prune_old_login_failures(runtime: Runtime) -> int:
    """Failed logins older than the throttle's window, which no wait counts any more."""
    with unit_of_work(runtime.sessions) as session:
        return prune_login_failures(
            session, ThrottlePolicy.from_settings(runtime.settings), runtime.clock.now()
        )


def create_partitions_ahead(runtime: Runtime) -> list[Month]:
    """The monthly partitions of tracking events for this month and the next two, before any
    event needs them (PostgreSQL; a no-op on SQLite). An event of a month still without one
    is kept in the DEFAULT partition and moved when its month is created."""
    with unit_of_work(runtime.sessions) as session:
        return ensure_ahead(session.connection(), runtime.clock.now())


def sync_platforms(runtime: Runtime) -> None:
    """Connected shops' orders from their platform (抖店), each shop every
    ``platforms.sync_every``; a refusal is kept on the connection's row (admin page). Then the
    pushed messages a stopped process stored but never applied."""
    now = runtime.clock.now()
    for summary in sync_due(runtime.sessions, runtime.platforms, runtime.rules, now):
        if summary.error is not None:
            log.warning("platform sync of shop %s failed: %s", summary.shop_code, summary.error)
        elif summary.orders:
            log.info("platform sync of shop %s: %d orders", summary.shop_code, summary.orders)
    apply_stranded(runtime.sessions, runtime.platforms, runtime.rules, now)


def run_worker(runtime: Runtime, stop: threading.Event) -> None:
    """Sweep and export the audit head, then wait ``worker_interval_seconds``; a failure is
    logged, never fatal."""
    interval = runtime.settings.worker_interval_seconds
    log.info("worker started, sweeping every %.0f s", interval)
    while not stop.is_set():
        try:
            result = sweep_once(runtime)
            if result.changed:
                log.info("sweep: %s", result.describe())
        except Exception:
            log.exception("sweep failed; will retry in %.0f s", interval)
        try:
            subscriptions = send_tracking_subscriptions(runtime)
            if subscriptions.changed:
                log.info("tracking subscriptions: %s", subscriptions)
        except Exception:
            log.exception("sending tracking subscriptions failed; will retry in %.0f s", interval)
        try:
            sync_platforms(runtime)
        except Exception:
            log.exception("platform sync failed; will retry in %.0f s", interval)
        try:
            created = create_partitions_ahead(runtime)
            if created:
                log.info("tracking event partitions created: %s", ", ".join(map(str, created)))
        except Exception:
            log.exception("creating partitions failed; will retry in %.0f s", interval)
        try:
            pruned = prune_old_login_failures(runtime)
            if pruned:
                log.info("login failures past the throttle window deleted: %d", pruned)
        except Exception:
            log.exception("pruning login failures failed; will retry in %.0f s", interval)
        try:
            export_audit_head(runtime)
        except Exception:
            log.exception("exporting the audit head failed; will retry in %.0f s", interval)
        stop.wait(interval)
    log.info("worker stopped")


class BackgroundWorker:
    """The sweep and the inbox drainer as two daemon threads of this process (``lanshou
    serve``), started by :func:`start_background_worker`."""

    def __init__(self, runtime: Runtime) -> None:
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(
                target=run_worker, args=(runtime, self.stop_event), name="lanshou-worker"
            ),
            threading.Thread(
                target=run_drainer, args=(runtime, self.stop_event), name="lanshou-inbox"
            ),
        ]
        for thread in self.threads:
            thread.daemon = True  # a stop that gives up on them does not wait for them
            thread.start()

    def stop(self, timeout: float) -> bool:
        """Tell both threads to stop and wait up to ``timeout`` seconds for them: the drainer
        finishes the batch it is judging (an inbox batch is one transaction, short), the sweep
        the step it is in. False if one is still running then (its transaction rolls back when
        the process exits; the next start picks everything up, see the module docstring)."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        running = [t.name for t in self.threads if t.is_alive()]
        if running:
            log.warning(
                "still running after %.0f s, left to stop with the process: %s",
                timeout,
                ", ".join(running),
            )
        return not running


def start_background_worker(runtime: Runtime) -> BackgroundWorker:
    """The sweep and the inbox drainer, started as two daemon threads of this process."""
    return BackgroundWorker(runtime)
