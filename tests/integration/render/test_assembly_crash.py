"""A worker SIGKILLed while it joins a render: the next owner of the partition joins again, and
the render ends complete, once."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from events.base import make_event
from events.codec import decode
from events.kafka_io import EventProducer
from events.topic_reader import follow
from events.topics import Topic, physical_name
from tests.support.ledger import fold_and_check
from tests.support.pipeline import lifecycle_until, small_render, worker_env
from tests.support.projecting import clip_stats_of, rows
from tests.support.worker import running_worker

OUTCOMES = ("RenderCompleted", "RenderFailed")


def children(pid: int) -> list[int]:
    """The processes `pid` started (the worker's process pool)."""
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]


async def saved_assembling(bootstrap: str, prefix: str, job: str) -> None:
    """Wait until the assembler's changelog holds the render as assembling."""
    changelog = f"{prefix}-workers-assembly-changelog"
    async with asyncio.timeout(60), follow(bootstrap, [changelog]) as reader:
        async for r in reader.records():
            if job.encode() in (r.key or b"") and b'"assembling"' in (r.value or b""):
                return


async def outcomes(bootstrap: str, prefix: str) -> list[str]:
    """The render outcomes render.jobs holds now."""
    jobs = physical_name(prefix, Topic.RENDER_JOBS)
    async with follow(bootstrap, [jobs], until_end=True) as reader:
        return [e.type async for r in reader.records() if (e := decode(r.value)).type in OUTCOMES]


async def test_a_worker_killed_during_assembly_is_finished_by_the_next_one_once(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-join", bars=8, beats_per_cut=2)
    segments = len(prepared.edl.segments)
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as first:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-join"))
        await first.wait_for(
            lambda ln: ln["event"] == "render_worker.assembly_started", timeout_s=180
        )
        # Hold the join where it is (its work is in the pool) until the table has saved it
        # as assembling: a crash now is the one the recovered table alone must finish (a
        # clip outcome delivered again folds to nothing new).
        for child in children(first.proc.pid):
            os.kill(child, signal.SIGSTOP)
        await saved_assembling(kafka_bootstrap, topic_prefix, "job-join")
        first.kill()  # SIGKILL mid-join: no outcome, no goodbye to the group, no commit
        await first.proc.wait()
    assert await outcomes(kafka_bootstrap, topic_prefix) == [], "the kill came after the join"
    clips = tmp_path / "artifacts" / "render_tmp" / "job_job-join"
    assert clips.is_dir()  # what the next join needs is still there

    async with running_worker(env, cwd=tmp_path) as second:
        started = await second.wait_for(
            lambda ln: ln["event"] == "render_worker.assembly_started", timeout_s=120
        )
        await second.wait_for(lambda ln: ln["event"] == "render_worker.render_tmp_removed")
    assert started["resumed"] is True  # found assembling in the recovered table

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    done = lifecycle[-1].payload
    assert done.clip_stats.total_clips == segments
    output = tmp_path / "artifacts" / "renders" / "job-join.mp4"
    assert done.output == str(output) and output.stat().st_size == done.file_size
    assert await outcomes(kafka_bootstrap, topic_prefix) == ["RenderCompleted"]
    assert not clips.exists()
    # The render's entry left the table: the changelog's last word on it is a tombstone.
    changelog = f"{topic_prefix}-workers-assembly-changelog"
    async with follow(kafka_bootstrap, [changelog], until_end=True) as reader:
        last = [r.value async for r in reader.records() if b"job-join" in (r.key or b"")][-1]
    assert last is None
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    # SIGKILLed before its last clip.tasks offsets were committed, the first worker leaves
    # its finished tasks to run again: a second outcome each in the log, counted once.
    statuses = await fold_and_check(
        kafka_bootstrap, topic_prefix, url, {"job-join"}, one_outcome_in_log=False
    )
    assert statuses == {"job-join": "complete"}
    (job,) = rows(url, "SELECT status FROM render_jobs")
    assert job["status"] == "complete"
    assert clip_stats_of(url, "job-join")["total_clips"] == segments
