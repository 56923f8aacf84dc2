"""The worker's process pool: the live max_parallelism decides each task's codec threads."""

from __future__ import annotations

import io
import os

import av

from agents.pool import Pool
from engine.encoding import EncodeSettings, add_video_stream, threads_for_parallelism


def encoder_threads() -> int:
    """The codec threads an encoder opened in this (pool) process gets."""
    enc = EncodeSettings(width=64, height=64, fps=24, preset="ultrafast", crf=23)
    with av.open(io.BytesIO(), "w", format="mp4") as out:
        return add_video_stream(out, enc).codec_context.thread_count


async def test_tasks_run_with_the_threads_the_live_parallelism_calls_for() -> None:
    parallelism = {"now": 1}
    pool = Pool(1, parallelism=lambda: parallelism["now"])
    try:
        cores = os.cpu_count() or 1
        parallelism["now"] = cores  # enough tasks at once to fill the cores
        assert await pool.run(encoder_threads) == threads_for_parallelism(cores)
        parallelism["now"] = 1  # an operator lowers max_parallelism: the next task adapts
        assert await pool.run(encoder_threads) == threads_for_parallelism(1)
    finally:
        pool.close()
