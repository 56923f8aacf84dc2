"""A pool process killed during a beat analysis (an OOM kill, a decoder's segfault): the
worker rebuilds its pool, analyses the track again and reports one completed analysis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from engine.sample_media import write_song
from events.kafka_io import EventProducer
from tests.integration.agents.test_beat_analysis import completions, request
from tests.support.pipeline import worker_env
from tests.support.worker import pool_processes, running_worker

RETRYING = "render_worker.beat_analysis_retrying"


async def test_a_pool_process_killed_mid_analysis_costs_a_retry_not_the_track(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    song = write_song(tmp_path / "song", bpm=120.0, bars=48)  # 96 s: seconds of analysis
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as worker:
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120)
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(request("track-crash", song))
        # Kill every pool process until the analysis says it lost one (at most 30 s); then
        # leave the rebuilt pool alone so the retry can finish.
        async with asyncio.timeout(30):
            while not any(ln["event"] == RETRYING for ln in worker.lines):
                for pid in pool_processes(worker.proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                await asyncio.sleep(0.5)
        done = await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.beat_analysis_completed", timeout_s=120
        )
    (completed,) = await completions(kafka_bootstrap, topic_prefix, 1)
    assert completed.payload.status == "completed" and completed.payload.beat_count > 100
    assert done["audio_track_id"] == "track-crash"
    retries = [ln for ln in worker.lines if ln["event"] == RETRYING]
    assert retries and all(ln["reason"] == "worker_crash" for ln in retries)
    assert any(ln["event"] == "render_worker.pool_rebuilt" for ln in worker.lines)
