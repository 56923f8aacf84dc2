"""A pool process killed under a clip (as an OOM kill or a decoder's segfault would): the
worker rebuilds its pool, the work retries with reason worker_crash and the render completes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.ledger import fold_and_check
from tests.support.pipeline import clip_events_of, lifecycle_until, small_render, worker_env
from tests.support.worker import pool_processes, running_worker


async def test_a_killed_pool_process_costs_one_retry_not_the_worker(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-child", bars=8, beats_per_cut=2)
    segments = len(prepared.edl.segments)
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as worker:
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120)
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-child"))
        await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.clip_task_completed", timeout_s=120
        )
        children = pool_processes(worker.proc.pid)
        assert children, "the worker has no pool processes"
        for pid in children:  # whichever runs a clip now dies under it
            os.kill(pid, signal.SIGKILL)
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.pool_rebuilt")
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=120)

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    stats = lifecycle[-1].payload.clip_stats
    assert stats.total_clips == segments and stats.placeholder_tasks == 0
    events = await clip_events_of(kafka_bootstrap, topic_prefix, "job-child", segments)
    # Clips, transition pieces and the music share the pool: whichever ran at the kill
    # retried with reason worker_crash, a clip task as an event, an assembler call in the log.
    clip_retries = [
        e
        for e in events
        if e.type == "ClipTaskRetrying" and e.payload.reason.value == "worker_crash"
    ]
    call_retries = [
        ln
        for ln in worker.lines
        if ln["event"] == "render_worker.pool_call_retrying" and ln["reason"] == "worker_crash"
    ]
    assert clip_retries or call_retries, "nothing that ran on the pool saw its process die"
    assert [ln for ln in worker.lines if ln["event"] == "render_worker.pool_rebuilt"]
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    statuses = await fold_and_check(kafka_bootstrap, topic_prefix, url, {"job-child"})
    assert statuses == {"job-child": "complete"}
