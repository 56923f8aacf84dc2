"""A worker SIGKILLed in the middle of a render: another one finishes it, nothing counted twice."""

from __future__ import annotations

from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.ledger import fold_and_check
from tests.support.pipeline import lifecycle_until, small_render, worker_env
from tests.support.projecting import clip_stats_of, rows
from tests.support.worker import running_worker


async def test_a_killed_worker_s_tasks_run_elsewhere_and_count_once(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-crash", bars=12, beats_per_cut=2)
    segments = len(prepared.edl.segments)
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as first:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-crash"))
        for n in range(1, 4):
            await first.wait_for(
                lambda ln, n=n: (
                    ln["event"] == "render_worker.clip_task_completed"
                    and sum(x["event"] == "render_worker.clip_task_completed" for x in first.lines)
                    >= n
                ),
                timeout_s=120,
            )
        first.kill()  # SIGKILL: no goodbye to the group, no flush, no commit
        await first.proc.wait()
    done_before = sum(ln["event"] == "render_worker.clip_task_completed" for ln in first.lines)
    assert done_before < segments, "the kill must come before the render finished"

    async with running_worker(env, cwd=tmp_path) as second:
        await second.wait_for(lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=120)

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    assert lifecycle[-1].payload.clip_stats.total_clips == segments
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    # A SIGKILLed worker may have produced an outcome it never committed: redone, counted once.
    statuses = await fold_and_check(
        kafka_bootstrap, topic_prefix, url, {"job-crash"}, one_outcome_in_log=False
    )
    assert statuses == {"job-crash": "complete"}
    stats = clip_stats_of(url, "job-crash")
    assert stats["total_tasks"] == stats["total_clips"] == segments
    (job,) = rows(url, "SELECT status FROM render_jobs")
    assert job["status"] == "complete"
    tasks = rows(url, "SELECT status FROM clip_tasks")
    assert len(tasks) == segments and {t["status"] for t in tasks} == {"success"}
