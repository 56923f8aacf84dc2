"""max_parallelism changed in the middle of a render changes how many clips run at once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from events.base import make_event
from events.codec import encode
from events.kafka_io import EventProducer
from events.payloads import RenderClipConfig, RenderConfigUpdated
from events.topics import Topic, physical_name
from tests.support.pipeline import (
    clip_events_of,
    intervals,
    max_overlap,
    small_render,
    worker_env,
)
from tests.support.worker import running_worker


def config_update(version: int, max_parallelism: int) -> bytes:
    update = RenderConfigUpdated(
        version=version, config=RenderClipConfig(max_parallelism=max_parallelism)
    )
    return encode(make_event(update, trace_id=f"cfg-{version}"))


async def test_raising_max_parallelism_mid_render_raises_the_measured_peak(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-hot", bars=12, beats_per_cut=2, videos=4, stills=2)
    segments = len(prepared.edl.segments)
    topic = physical_name(topic_prefix, Topic.RENDER_CONFIG)
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_raw(topic, config_update(1, 1), key=b"render_clip_config")
        async with running_worker(env, cwd=tmp_path) as worker:
            await worker.wait_for(lambda ln: ln.get("config_version") == 1)
            await producer.send(make_event(prepared.request, trace_id="trace-hot"))
            for n in range(1, 5):
                await worker.wait_for(
                    lambda ln, n=n: (
                        sum(x["event"] == "render_worker.clip_task_completed" for x in worker.lines)
                        >= n
                    ),
                    timeout_s=120,
                )
            await producer.send_raw(topic, config_update(2, 4), key=b"render_clip_config")
            applied = await worker.wait_for(lambda ln: ln.get("config_version") == 2)
            await worker.wait_for(
                lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=300
            )
    switch = datetime.fromisoformat(applied["timestamp"])
    spans = intervals(await clip_events_of(kafka_bootstrap, topic_prefix, "job-hot", segments))
    before = [(s, e) for _, s, e in spans.values() if e <= switch]
    after = [(s, e) for _, s, e in spans.values() if s >= switch]
    print(f"peak before the change {max_overlap(before)}, after {max_overlap(after)}")
    assert len(before) >= 4 and max_overlap(before) == 1
    assert max_overlap(after) >= 3
