"""A crafted event a handler cannot process, from a producer that is not ours (kcat): it goes
to the dead-letter topic with the handler's error and its origin, is counted, and the render
behind it on the same partition completes.

The event: a RenderRequested whose first video is inlined as a data: URL of about 905 KB.
The request fits in a Kafka message, but every clip task carries its segment's source, so
the planner's ClipTaskQueued for that video is over the 900,000 bytes an event may have;
the send refuses it (EventTooLarge, nothing produced) and the planner's handler raises.

What an operator sees: a `render_worker.handler_error` log line naming the consumer, the
error and the message's topic, partition and offset; `render_handler_errors_total` counted
for the planner and EventTooLarge; in the dead-letter topic, the message (its first 64 KB,
its size and sha256) with the reason `handler_error: EventTooLarge: the ClipTaskQueued
event of <video> is N bytes, over the 900,000 bytes a Kafka message may hold here; nothing
was produced`. The other renders on that partition go on.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path

from aiokafka.structs import TopicPartition

from agents.planning import plan_render
from events.base import make_event
from events.codec import encode
from events.dead_letter import DeadLetter
from events.kafka_io import MAX_EVENT_BYTES
from events.payloads import RenderRequested
from events.topic_reader import follow, partition_for_key
from events.topics import Topic, physical_name, spec_for
from local_stack.ports import free_tcp_ports
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.pipeline import lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker

pytestmark = needs_kcat

NORMAL = "job-after-crafted"
# kcat's own cap on a message (librdkafka's message.max.bytes); the broker's is a little more.
KCAT_MAX_BYTES = 1_000_000


def same_partition_as(key: str) -> str:
    """A render id whose render.jobs partition is the one `key`'s renders use."""
    partitions = spec_for(Topic.RENDER_JOBS).partitions
    wanted = partition_for_key(key.encode(), partitions)
    return next(
        job
        for job in (f"job-crafted-{i}" for i in range(1000))
        if partition_for_key(job.encode(), partitions) == wanted
    )


def crafted_request(request: RenderRequested, job: str) -> RenderRequested:
    """The request under another id, its first segment's video inlined as a data: URL."""
    inlined = request.edl.segments[0].asset_id
    url = "data:video/mp4;base64," + "A" * 905_000
    media = [
        m.model_copy(update={"remote_url": url}) if m.asset_id == inlined else m
        for m in request.media
    ]
    return request.model_copy(update={"render_job_id": job, "media": media})


async def test_a_crafted_event_a_handler_cannot_process_is_dead_lettered_and_the_partition_goes_on(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, NORMAL, bars=2)
    crafted_job = same_partition_as(NORMAL)
    crafted = crafted_request(prepared.request, crafted_job)
    message = json.dumps(
        foreign_event(
            "RenderRequested",
            2,
            crafted_job,
            crafted.model_dump(mode="json"),
            event_id="00000000-0000-4000-8000-00000000c4af",
            trace_id="trace-crafted",
        )
    )
    # It fits in a message, and passes decoding; only a task planned from it is too large.
    assert len(message) < KCAT_MAX_BYTES
    plan = plan_render(make_event(crafted, trace_id="t"))
    assert plan.failed is None
    assert max(len(encode(make_event(t, trace_id="t"))) for t in plan.tasks) > MAX_EVENT_BYTES

    jobs_topic = physical_name(topic_prefix, Topic.RENDER_JOBS)
    partition = partition_for_key(NORMAL.encode(), spec_for(Topic.RENDER_JOBS).partitions)
    (port,) = free_tcp_ports(1)
    env = worker_env(
        kafka_bootstrap,
        topic_prefix,
        tmp_path / "artifacts",
        BEATSTITCH_WORKER_METRICS_PORT=str(port),
    )
    async with running_worker(env, cwd=tmp_path) as worker:
        sent = kcat_produce(kafka_bootstrap, jobs_topic, crafted_job, message)
        assert sent.returncode == 0, sent.stderr
        sent = kcat_produce(
            kafka_bootstrap,
            jobs_topic,
            NORMAL,
            encode(make_event(prepared.request, trace_id="trace-normal")).decode(),
        )
        assert sent.returncode == 0, sent.stderr
        error = await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.handler_error", timeout_s=120
        )
        await worker.wait_for(lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=240)
        lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()

    # The render behind the crafted event, on the same partition, completed.
    done = lifecycle[-1].payload
    assert done.render_job_id == NORMAL and Path(done.output).is_file()
    assert done.clip_stats.total_clips == len(prepared.request.edl.segments)
    # Nothing of the crafted render was planned: no RenderStarted, no half plan.
    assert {e.type for e in lifecycle if e.payload.render_job_id == crafted_job} == {
        "RenderRequested"
    }

    tp = TopicPartition(jobs_topic, partition)
    async with follow(kafka_bootstrap, [tp], until_end=True) as reader:
        offsets = {r.key: r.offset async for r in reader.records()}
    crafted_offset = offsets[crafted_job.encode()]
    assert crafted_offset < offsets[NORMAL.encode()]  # the normal render was behind it

    # The worker's log line and the counter.
    assert error["consumer"] == "planner"
    assert (error["topic"], error["partition"], error["offset"]) == (
        jobs_topic,
        partition,
        crafted_offset,
    )
    assert error["error"].startswith("EventTooLarge: the ClipTaskQueued event of")
    counted = 'render_handler_errors_total{consumer="planner",reason="EventTooLarge"} 1.0'
    assert counted in metrics

    # The dead letter, read as an operator would: why, and exactly where from.
    dead_topic = physical_name(topic_prefix, Topic.DEAD_LETTER)
    async with follow(kafka_bootstrap, [dead_topic], until_end=True) as reader:
        letters = [DeadLetter.model_validate_json(r.value) async for r in reader.records()]
    [letter] = letters
    assert letter.reason.startswith("handler_error: EventTooLarge: the ClipTaskQueued event of ")
    assert "over the 900,000 bytes a Kafka message may hold here" in letter.reason
    assert letter.consumer == "planner"
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        jobs_topic,
        partition,
        crafted_offset,
    )
    assert letter.original_key == crafted_job
    raw = message.encode()
    assert letter.original_size == len(raw)
    assert letter.original_sha256 == hashlib.sha256(raw).hexdigest()
    assert letter.truncated and raw.startswith(letter.original_value())
