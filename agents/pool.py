"""The worker's process pool: CPU work off the event loop, so heartbeats never stall."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import structlog

from agents.clip_job import ready, with_codec_threads
from engine.encoding import threads_for_parallelism

T = TypeVar("T")

log = structlog.get_logger("render_worker")

# Times run_surviving_crashes tries a call again after its pool process died.
CRASH_RETRIES = 2


class PoolClosed(Exception):
    """The pool is closing because the worker stops: the work is not done, and no outcome
    may be reported for it (its task runs again on the next owner)."""


class PoolChildDied(Exception):
    """A pool process died under a call (killed, out of memory, a crash in native code);
    the pool has been rebuilt and the call may be tried again."""


class Pool:
    """CPU work off the event loop, so heartbeats never stall behind a long clip."""

    def __init__(
        self,
        size: int,
        initializer: Callable[[], None] | None = None,
        parallelism: Callable[[], int] = lambda: 1,
    ) -> None:
        self._size = size
        self._initializer = initializer
        self._executor = self._new_executor()
        self._parallelism = parallelism
        self._closed = False
        self.rebuilds = 0

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent holds Kafka connections and an event loop.
        return ProcessPoolExecutor(
            self._size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self._initializer,
        )

    @property
    def closed(self) -> bool:
        """True once close() has been called."""
        return self._closed

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a pool process and wait for it without blocking the loop.

        Raises PoolClosed once the worker stops, PoolChildDied when a pool process died
        under the call (after rebuilding the pool)."""
        if self._closed:
            raise PoolClosed("the worker is stopping")
        # The live max_parallelism decides the codec threads: tasks that fill the cores
        # get one each, so they do not fight over them.
        threads = threads_for_parallelism(self._parallelism())
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(
                executor, with_codec_threads, threads, fn, *args
            )
        except BrokenProcessPool as exc:
            if self._closed:
                raise PoolClosed("the worker is stopping") from exc
            self._rebuild(executor)
            raise PoolChildDied(f"a pool process died: {exc}") from exc
        except RuntimeError as exc:
            # "cannot schedule new futures after shutdown": close() won the race.
            if self._closed:
                raise PoolClosed("the worker is stopping") from exc
            raise
        except asyncio.CancelledError:
            # close() cancels calls not yet started; only a cancel of our own task is ours.
            task = asyncio.current_task()
            if self._closed and task is not None and not task.cancelling():
                raise PoolClosed("the worker is stopping") from None
            raise

    async def run_surviving_crashes(self, fn: Callable[..., T], *args: Any) -> T:
        """run(), tried again on the rebuilt pool when a pool process died under it (a few
        times): for work whose caller has no retry of its own (the assembler's)."""
        for attempt in range(1, CRASH_RETRIES + 1):
            try:
                return await self.run(fn, *args)
            except PoolChildDied as exc:
                log.warning(
                    "render_worker.pool_call_retrying",
                    trace_id=None,
                    reason="worker_crash",
                    function=getattr(fn, "__name__", str(fn)),
                    attempt=attempt,
                    error=str(exc),
                )
        return await self.run(fn, *args)

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        # Every call that was running on the broken executor fails at once; only the first
        # replaces it.
        if self._executor is not broken:
            return
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()
        self.rebuilds += 1
        log.error("render_worker.pool_rebuilt", trace_id=None, rebuilds=self.rebuilds)

    async def warm_up(self, size: int) -> int:
        """Start every pool process now (importing PyAV takes a while), not on the first render.

        Returns how many processes answered; 0 if the worker stopped meanwhile."""
        # A burst of submissions makes the executor spawn one process per call.
        try:
            return len(set(await asyncio.gather(*(self.run(ready) for _ in range(size)))))
        except (PoolClosed, PoolChildDied):
            return 0

    def close(self) -> None:
        """Stop the pool processes; calls from now on raise PoolClosed."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
