"""The ingest pipeline's CPU stages (feed parse, extraction, summary, fingerprint) in a process pool.

In threads these stages hold the GIL, so the event loop and the database thread wait behind them: every
store round trip then waits out a thread switch, and writes, which run one feed at a time in order,
became the critical path. In worker processes they run on every core and leave the loop free.

Workers start with `forkserver` (the parent has threads: the database's, the resolver's, the default
executor's, which `fork` would copy mid-lock) and import and exercise the heavy libraries in their
initializer. Jobs are module-level functions taking plain picklable records. `workers=0` runs the same
functions in the default thread pool instead (tests, one-core machines).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def default_workers() -> int:
    return os.cpu_count() or 1


def _initializer() -> None:
    from bot.pipeline.build import warm

    try:
        warm()
    except Exception:  # a failed warm-up only costs the first job its set-up time
        log.exception("ingest worker warm-up failed")


class CpuPool:
    """A process pool for the pipeline's CPU stages; its lifetime belongs to the running app (bot.app).

    A worker that dies (a hostile page crashing lxml, the OOM killer) breaks a `ProcessPoolExecutor` for
    good; the pool is then replaced, and the job that was running is tried once more on the new one, so
    only a job that kills its worker twice fails (as a failed entry, like any other exception).
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def __enter__(self) -> CpuPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("the ingest worker pool is closed")
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("forkserver"),
                initializer=_initializer)
        return self._executor

    def start(self) -> None:
        """Start every worker now (and warm it), so that the first poll does not wait for imports."""
        if self.workers:
            pool = self._pool()
            for _ in range(self.workers):
                pool.submit(os.getpid)

    def pids(self) -> list[int]:
        """The workers' process ids (for the start-up benchmark's memory figures)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return list(processes)

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        if not self.workers:
            return await asyncio.to_thread(fn, *args)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._pool()
            try:
                return await loop.run_in_executor(pool, fn, *args)
            except BrokenProcessPool:
                if self._executor is pool:
                    log.error("an ingest worker process died; starting a new pool")
                    self._executor = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
