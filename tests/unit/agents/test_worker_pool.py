"""The worker's process pool: the live max_parallelism decides each task's codec threads."""

from __future__ import annotations

import os

from agents.pool import Pool
from engine.encoding import codec_threads, threads_for_parallelism


async def test_tasks_run_with_the_threads_the_live_parallelism_calls_for() -> None:
    parallelism = {"now": 1}
    pool = Pool(1, parallelism=lambda: parallelism["now"])
    try:
        cores = os.cpu_count() or 1
        parallelism["now"] = cores  # enough tasks at once to fill the cores
        assert await pool.run(codec_threads) == threads_for_parallelism(cores)
        parallelism["now"] = 1  # an operator lowers max_parallelism: the next task adapts
        assert await pool.run(codec_threads) == threads_for_parallelism(1)
    finally:
        pool.close()
