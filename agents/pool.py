"""The worker's process pool: CPU work off the event loop, so heartbeats never stall."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from agents.clip_job import ready, with_codec_threads
from engine.encoding import threads_for_parallelism

T = TypeVar("T")


class Pool:
    """CPU work off the event loop, so heartbeats never stall behind a long clip."""

    def __init__(
        self,
        size: int,
        initializer: Callable[[], None] | None = None,
        parallelism: Callable[[], int] = lambda: 1,
    ) -> None:
        # spawn, not fork: the parent holds Kafka connections and an event loop.
        self._executor = ProcessPoolExecutor(
            size, mp_context=multiprocessing.get_context("spawn"), initializer=initializer
        )
        self._parallelism = parallelism

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a pool process and wait for it without blocking the loop."""
        # The live max_parallelism decides the codec threads: tasks that fill the cores
        # get one each, so they do not fight over them.
        threads = threads_for_parallelism(self._parallelism())
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, with_codec_threads, threads, fn, *args
        )

    async def warm_up(self, size: int) -> int:
        """Start every pool process now (importing PyAV takes a while), not on the first render."""
        # A burst of submissions makes the executor spawn one process per call.
        return len(set(await asyncio.gather(*(self.run(ready) for _ in range(size)))))

    def close(self) -> None:
        """Stop the pool processes."""
        self._executor.shutdown(wait=False, cancel_futures=True)
