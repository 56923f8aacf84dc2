"""The 60-segment render through Kafka: the limits hold, measured from the events' times."""

from __future__ import annotations

from pathlib import Path

from engine.probe import probe
from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.pipeline import (
    clip_events_of,
    lifecycle_until,
    measured_limits,
    small_render,
    worker_env,
)
from tests.support.projecting import clip_stats_of, project
from tests.support.worker import running_worker


async def test_slow_case_sixty_segments_reach_four_at_once_and_two_per_video(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-60", bars=30, beats_per_cut=2)  # 120 beats
    segments = len(prepared.edl.segments)
    assert segments == 60
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as worker:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-60"))
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=600)
    events = await clip_events_of(kafka_bootstrap, topic_prefix, "job-60", segments)
    overall, per_video = measured_limits(events)
    print(f"measured from events: peak {overall} at once, {per_video} per video")
    assert overall >= 4  # max_parallelism 4 by default
    assert per_video <= 2  # per_video_limit 2 by default

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    done = lifecycle[-1].payload
    assert done.clip_stats.total_clips == 60 and done.clip_stats.peak_parallelism >= 4
    out = probe(done.output)
    assert abs((out.duration_ms or 0) - prepared.edl.total_duration_ms) <= 1000 / 12 + 1

    url = f"sqlite:///{tmp_path / 'rm.db'}"
    await project(kafka_bootstrap, topic_prefix, url)
    stats = clip_stats_of(url, "job-60")
    # The fold counts in log order, the measurement in time order: both see four at once.
    assert stats["total_clips"] == 60 and stats["peak_parallelism"] >= 4
