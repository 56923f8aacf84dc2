"""A render that stops moving ends at its deadline, and the clips that end later change nothing."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from events.base import make_event
from events.codec import decode
from events.kafka_io import EventProducer
from events.topic_reader import follow
from events.topics import Topic, physical_name
from tests.support.media_server import media_server
from tests.support.pipeline import (
    allow_remote,
    from_remote,
    lifecycle_until,
    small_render,
    worker_env,
)
from tests.support.projecting import project, rows
from tests.support.worker import running_worker


async def test_a_render_whose_clips_hang_fails_at_its_deadline_once(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-late", bars=2, beats_per_cut=4, videos=1, stills=0)
    segments = len(prepared.edl.segments)
    with contextlib.ExitStack() as server:
        base, hits = server.enter_context(media_server(tmp_path))
        # Every clip reads from a server that never answers, for longer than the deadline.
        request = from_remote(prepared.request, f"{base}/stall/x.mp4")
        env = worker_env(
            kafka_bootstrap,
            topic_prefix,
            tmp_path / "artifacts",
            **allow_remote(base),
            BEATSTITCH_CLIP_READ_TIMEOUT_S="25",
            BEATSTITCH_CLIP_CONNECT_TIMEOUT_S="25",
            BEATSTITCH_RENDER_DEADLINE_S="4",
        )
        async with running_worker(env, cwd=tmp_path) as worker:
            await worker.wait_for(
                lambda ln: (
                    ln["event"] == "render_worker.partitions_assigned" and ln["partitions"] > 0
                ),
                timeout_s=120,
            )
            async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
                await producer.send(make_event(request, trace_id="trace-late"))
            await worker.wait_for(
                lambda ln: ln["event"] == "render_worker.render_deadline", timeout_s=120
            )
            assert await asyncio.to_thread(hits.wait, "stall", 120)  # the clips hang there
            lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderFailed")
            failed = lifecycle[-1].payload
            assert failed.error_code == "deadline"
            listed = ", ".join(str(i) for i in range(segments))
            assert f"{segments} of {segments} clip tasks never finished: segments {listed}" in (
                failed.error
            )
            # Now the server goes away: the clips fall back to their local copies, late.
            server.close()
            for n in range(1, segments + 1):
                await worker.wait_for(
                    lambda ln, n=n: (
                        sum(
                            x["event"] == "render_worker.outcome_after_render_ended"
                            for x in worker.lines
                        )
                        >= n
                    ),
                    timeout_s=120,
                )
    jobs = physical_name(topic_prefix, Topic.RENDER_JOBS)
    async with follow(kafka_bootstrap, [jobs], until_end=True) as reader:
        ended = [
            e.type
            async for r in reader.records()
            if (e := decode(r.value)).type in ("RenderCompleted", "RenderFailed")
        ]
    assert ended == ["RenderFailed"]
    assert not (tmp_path / "artifacts" / "renders" / "job-late.mp4").exists()
    url = f"sqlite:///{tmp_path / 'rm.db'}"
    await project(kafka_bootstrap, topic_prefix, url)
    (job,) = rows(url, "SELECT status FROM render_jobs")
    assert job["status"] == "failed"
