"""The ingest pipeline's CPU stages (feed parse, extraction, summary, fingerprint) in a process pool.

In threads these stages hold the GIL, so the event loop and the database thread wait behind them: every
store round trip then waits out a thread switch, and writes, which run one feed at a time in order,
became the critical path. In worker processes they run on every core and leave the loop free.

Workers start with `forkserver` (the parent has threads: the database's, the resolver's, the default
executor's, which `fork` would copy mid-lock). The forkserver imports the heavy libraries once, so each
worker forks with them loaded and shares those pages; the initializer then runs one small job.
Jobs are module-level functions taking plain picklable records. `workers=0` runs the same
functions in the default thread pool instead (tests, one-core machines).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


PRELOAD = ["bot.fetch.extract", "bot.fetch.feeds", "bot.fetch.htmltext", "bot.pipeline.build", "numpy",
           "summaries", "sumy", "nltk", "trafilatura"]
"""Imported once by the forkserver, so the workers fork with them loaded and share their pages."""


def default_workers() -> int:
    return os.cpu_count() or 1


def _initializer(parent: int) -> None:
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    from bot.pipeline.build import warm

    try:
        warm()
    except Exception:  # a failed warm-up only costs the first job its set-up time
        log.exception("ingest worker warm-up failed")


def _exit_with(parent: int) -> None:
    """End this worker when the bot's process ends, however it ends.

    A worker waits for jobs on a pipe that it holds both ends of, and the forkserver lives as long as any
    worker does, so after a `kill -9` of the bot neither would ever notice on its own.
    """
    try:
        handle = os.pidfd_open(parent)
    except (AttributeError, OSError):  # before Linux 5.3: look every second
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                continue
    else:
        select.select([handle], [], [])
    os._exit(0)


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
        self._lock = threading.Lock()  # the start thread and the loop's thread may both create the executor
        self._started = threading.Event()  # every worker is running: a submit no longer starts a process

    def __enter__(self) -> CpuPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            return self._current()

    def _current(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("the ingest worker pool is closed")
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)  # no effect once the forkserver runs (it has them then)
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                                 initializer=_initializer, initargs=(os.getpid(),))
        return self._executor

    def start(self) -> None:
        """Start every worker now, in the background, so that the first poll does not wait for imports.

        Starting a process waits for the forkserver, which imports the heavy libraries first: that (and
        every submit, which may start a process) runs off the event loop's thread.
        """
        if self.workers:
            threading.Thread(target=self._start_all, name="ingest-pool-start", daemon=True).start()

    def _start_all(self) -> None:
        try:
            pool = self._pool()
            for _ in range(self.workers):
                pool.submit(os.getpid)
            self._started.set()
        except Exception:  # closed meanwhile, or broken: the first job reports it
            log.debug("ingest pool not started", exc_info=True)

    def pids(self) -> list[int]:
        """The workers' process ids (for the start-up benchmark's memory figures)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return list(processes)

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        if not self.workers:
            return await asyncio.to_thread(fn, *args)
        for attempt in (1, 2):
            pool = self._pool()
            try:
                if self._started.is_set():
                    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
                return await asyncio.wrap_future(await asyncio.to_thread(pool.submit, fn, *args))
            except BrokenProcessPool:
                with self._lock:
                    replace = self._executor is pool
                    if replace:
                        log.error("an ingest worker process died; starting a new pool")
                        self._executor = None
                        self._started.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                if replace:
                    self.start()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
