"""Cancelling a render: its queued tasks do not run, it ends cancelled, its clips are gone."""

from __future__ import annotations

from pathlib import Path

from events.base import make_event
from events.codec import encode
from events.kafka_io import EventProducer
from events.payloads import RenderCancelled, RenderClipConfig, RenderConfigUpdated
from events.topics import Topic, physical_name
from tests.support.pipeline import clip_events_of, small_render, worker_env
from tests.support.projecting import project, rows
from tests.support.worker import running_worker


async def test_a_cancelled_render_stops_running_clips_and_leaves_no_files(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-cancel", bars=12, beats_per_cut=2)
    segments = len(prepared.edl.segments)
    artifacts = tmp_path / "artifacts"
    env = worker_env(kafka_bootstrap, topic_prefix, artifacts)
    slow = RenderConfigUpdated(version=1, config=RenderClipConfig(max_parallelism=1))
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_raw(
            physical_name(topic_prefix, Topic.RENDER_CONFIG),
            encode(make_event(slow, trace_id="cfg")),
            key=b"render_clip_config",
        )
        async with running_worker(env, cwd=tmp_path) as worker:
            await worker.wait_for(lambda ln: ln.get("config_version") == 1)
            await producer.send(make_event(prepared.request, trace_id="trace-cancel"))
            await worker.wait_for(lambda ln: ln["event"] == "render_worker.clip_task_completed")
            cancel = RenderCancelled(render_job_id="job-cancel", requested_by="user", reason="oops")
            await producer.send(make_event(cancel, trace_id="trace-cancel"))
            await worker.wait_for(lambda ln: ln["event"] == "render_worker.render_cancelled")
            # The assembler removes the job's folder once its own work in the pool has ended.
            await worker.wait_for(lambda ln: ln["event"] == "render_worker.render_tmp_removed")
            events = await clip_events_of(kafka_bootstrap, topic_prefix, "job-cancel", segments)
            assert not any(ln["event"] == "render_worker.clip_stats" for ln in worker.lines)

    succeeded = [e for e in events if e.type == "ClipTaskSucceeded"]
    cancelled = [e for e in events if e.type == "ClipTaskFailed"]
    assert 1 <= len(succeeded) < segments // 2
    assert {e.payload.reason.value for e in cancelled} == {"cancelled"}
    assert len(succeeded) + len(cancelled) == segments
    assert not (artifacts / "render_tmp" / "job_job-cancel").exists()
    assert not (artifacts / "renders" / "job-cancel.mp4").exists()

    url = f"sqlite:///{tmp_path / 'rm.db'}"
    await project(kafka_bootstrap, topic_prefix, url)
    (job,) = rows(url, "SELECT status FROM render_jobs")
    assert job["status"] == "cancelled"
