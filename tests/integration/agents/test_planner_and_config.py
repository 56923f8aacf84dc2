"""A real worker process against the real broker: planning renders and hot config."""

from __future__ import annotations

import json
import time
from typing import Any

from events.base import make_event
from events.codec import decode, encode
from events.kafka_io import EventProducer
from events.payloads import RenderClipConfig, RenderConfigUpdated
from events.topic_reader import follow
from events.topics import Topic, physical_name
from tests.support.sample_requests import render_request
from tests.support.worker import running_worker


def worker_env(bootstrap: str, prefix: str) -> dict[str, str]:
    return {"BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap, "BEATSTITCH_TOPIC_PREFIX": prefix}


async def read_events(bootstrap: str, topic: str, count: int) -> list[Any]:
    found: list[Any] = []
    async with follow(bootstrap, [topic]) as reader:
        async for record in reader.records():
            found.append(record)
            if len(found) >= count:
                break
    return found


async def test_the_planner_turns_a_request_into_clip_tasks_keyed_by_video(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    req = render_request("job-plan", beats_per_cut=2)
    bad = render_request("job-bad").model_copy(update={"edl_hash": "0" * 64})
    async with running_worker(worker_env(kafka_bootstrap, topic_prefix)) as worker:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            sent = make_event(req, trace_id="trace-plan")
            await producer.send_many([sent, make_event(bad, trace_id="trace-bad")])
        planned = await worker.wait_for(lambda ln: ln["event"] == "render_worker.render_planned")
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.render_rejected")
    assert planned["trace_id"] == "trace-plan" and planned["tasks"] == 8

    tasks = await read_events(kafka_bootstrap, physical_name(topic_prefix, Topic.CLIP_TASKS), 8)
    for record in tasks:
        env = decode(record.value)
        assert record.key.decode() == env.payload.video_id  # one partition owns a video
        assert env.trace_id == "trace-plan" and env.causation_id == sent.event_id
    jobs = await read_events(kafka_bootstrap, physical_name(topic_prefix, Topic.RENDER_JOBS), 4)
    types = sorted(decode(r.value).type for r in jobs)
    assert types == ["RenderFailed", "RenderRequested", "RenderRequested", "RenderStarted"]
    failed = next(decode(r.value) for r in jobs if decode(r.value).type == "RenderFailed")
    assert failed.payload.error_code == "edl_hash_mismatch"


async def test_config_updates_apply_at_once_and_bad_ones_are_ignored_with_a_warning(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = physical_name(topic_prefix, Topic.RENDER_CONFIG)

    def update(version: int, **values: Any) -> bytes:
        config = RenderClipConfig(**values)
        return encode(
            make_event(
                RenderConfigUpdated(version=version, config=config), trace_id=f"cfg-{version}"
            )
        )

    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_raw(topic, update(1, max_parallelism=3), key=b"render_clip_config")
        async with running_worker(worker_env(kafka_bootstrap, topic_prefix)) as worker:
            # History first: the worker reads the topic from its start.
            first = await worker.wait_for(lambda ln: ln.get("config_version") == 1)
            assert first["max_parallelism"] == 3

            sent_at = time.monotonic()
            await producer.send_raw(
                topic, update(2, max_parallelism=5, per_video_limit=1), key=b"render_clip_config"
            )
            applied = await worker.wait_for(lambda ln: ln.get("config_version") == 2)
            latency = time.monotonic() - sent_at
            print(f"config version 2 applied {latency * 1000:.0f} ms after it was produced")
            assert applied["event"] == "render_worker.config_hot_reload"
            assert applied["trace_id"] == "cfg-2"
            assert (applied["max_parallelism"], applied["per_video_limit"]) == (5, 1)

            # Straight onto the topic, bypassing any API validation: out of range.
            wire = json.loads(update(3))
            wire["payload"]["config"]["max_parallelism"] = 9
            await producer.send_raw(topic, json.dumps(wire).encode(), key=b"render_clip_config")
            rejected = await worker.wait_for(
                lambda ln: ln["event"] == "render_worker.config_rejected"
            )
            # What an operator sees: a warning naming the bad field, and the version kept.
            assert rejected["level"] == "warning"
            assert "payload.config.max_parallelism" in rejected["reason"]
            assert rejected["kept_version"] == 2
