"""Produce the demo's chunks, in a forked helper process when the load is big.

Generation is pure Python and the database load is mostly C (SQLite) or another process
(PostgreSQL), so on two cores a forked generator nearly hides one behind the other. The child
inherits the factory (and its random state) by fork, so the rows are exactly those the
in-process path makes. Where fork is unavailable (Windows, macOS defaults) we stay in-process.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import traceback
from collections.abc import Iterator
from multiprocessing.queues import Queue
from typing import Any

from lanshou.demo.timeline import Chunk, OrderFactory

PARALLEL_FROM_ORDERS = 100_000


def _make(factory: OrderFactory, times: list[int], first: int, size: int) -> Chunk:
    return factory.make(times[first : first + size], first)


def _produce(
    factory: OrderFactory, times: list[int], size: int, out: Queue[tuple[str, Any]]
) -> None:
    try:
        for first in range(0, len(times), size):
            out.put(("chunk", _make(factory, times, first, size)))
        out.put(("done", (factory.tally, factory.ids)))
    except BaseException:
        out.put(("error", traceback.format_exc()))


def chunks(factory: OrderFactory, times: list[int], size: int) -> Iterator[Chunk]:
    """Yield the chunks in order; afterwards ``factory.tally`` and ``factory.ids`` are final."""
    if len(times) < PARALLEL_FROM_ORDERS or "fork" not in mp.get_all_start_methods():
        for first in range(0, len(times), size):
            yield _make(factory, times, first, size)
        return
    ctx = mp.get_context("fork")
    out: Queue[tuple[str, Any]] = ctx.Queue(maxsize=2)
    child = ctx.Process(target=_produce, args=(factory, times, size, out), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, payload = out.get(timeout=5)
            except queue_module.Empty:
                if not child.is_alive():
                    raise RuntimeError("the demo generator process died") from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "done":
                factory.tally, factory.ids = payload
                return
            else:
                raise RuntimeError(f"the demo generator process failed:\n{payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
