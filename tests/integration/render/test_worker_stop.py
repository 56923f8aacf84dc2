"""A worker stopped mid-render (SIGTERM, a rolling restart): the other one finishes the render,
no placeholder, and nothing the stopping worker reports is caused by its stopping."""

from __future__ import annotations

import signal
from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.ledger import fold_and_check
from tests.support.pipeline import clip_events_of, lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker

# What a clip task's end looks like in a worker's log.
OUTCOME_LINES = {
    "render_worker.clip_task_completed",
    "render_worker.placeholder_inserted",
    "render_worker.clip_task_failed",
}


async def test_a_sigterm_mid_render_leaves_the_tasks_to_the_other_worker(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-stop", bars=12, beats_per_cut=2)
    segments = len(prepared.edl.segments)
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with (
        running_worker({**env, "BEATSTITCH_WORKER_ID": "stopping"}, cwd=tmp_path) as first,
        running_worker({**env, "BEATSTITCH_WORKER_ID": "staying"}, cwd=tmp_path) as second,
    ):
        for w in (first, second):
            await w.wait_for(lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120)
        await first.wait_for(lambda ln: ln["event"] == "render_worker.partitions_assigned")
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-stop"))
        await first.wait_for(
            lambda ln: ln["event"] == "render_worker.clip_task_completed", timeout_s=120
        )
        first.proc.send_signal(signal.SIGTERM)
        assert await first.proc.wait() == 0, first.output()
        try:
            await second.wait_for(
                lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=120
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nthe stopped worker said:\n{first.output()}") from None

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    stats = lifecycle[-1].payload.clip_stats
    assert stats.total_clips == segments
    assert (stats.placeholder_tasks, stats.failed_tasks) == (0, 0)

    stop_at = next(
        i for i, ln in enumerate(first.lines) if ln["event"] == "render_worker.stop_requested"
    )
    before = [ln for ln in first.lines[:stop_at] if ln["event"] in OUTCOME_LINES]
    after = [ln for ln in first.lines[stop_at:] if ln["event"] in OUTCOME_LINES]
    assert before and not after, "a stopping worker reported a task's end"
    assert before[0]["event"] == "render_worker.clip_task_completed"
    assert not any("cannot schedule new futures" in line for line in first.raw)
    assert not any("Crashed" in line for line in first.raw), first.output()

    events = await clip_events_of(kafka_bootstrap, topic_prefix, "job-stop", segments)
    starts = {e.payload.worker_id for e in events if e.type == "ClipTaskStarted"}
    assert starts == {"stopping", "staying"}
    failures = [e for e in events if e.type in ("ClipTaskFailed", "ClipTaskFellBack")]
    assert failures == []
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    # A task running on the staying worker when the rebalance moved its partition runs again
    # (at-least-once): a second outcome in the log, counted once by every fold.
    statuses = await fold_and_check(
        kafka_bootstrap, topic_prefix, url, {"job-stop"}, one_outcome_in_log=False
    )
    assert statuses == {"job-stop": "complete"}
