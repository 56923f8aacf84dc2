"""The projector against the real broker and both databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import json

from events.base import make_event
from events.codec import encode
from events.kafka_io import EventProducer
from events.topic_reader import follow, partition_for_key
from events.topics import Topic, physical_name
from projections.db import make_engine
from projections.digest import database_digest
from tests.support.clip_events import render_payloads, stamp
from tests.support.projecting import clip_stats_of, project, rows
from tests.support.samples import sample_payloads


async def test_a_render_folds_into_rows_with_the_right_clip_stats(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> None:
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(stamp(render_payloads("job-a", tasks=6)))
    stats = await project(kafka_bootstrap, topic_prefix, database_url)

    # requested + started, 3 per task, 1 + 4 extra for the fallback and retry tasks, completed
    assert stats.events == 2 + 6 * 3 + 1 + 4 + 1
    (job,) = rows(database_url, "SELECT status, planned_tasks, output_path FROM render_jobs")
    assert job == {"status": "complete", "planned_tasks": 6, "output_path": "out/job-a.mp4"}
    cs = clip_stats_of(database_url, "job-a")
    assert (cs["total_tasks"], cs["success_tasks"], cs["failed_tasks"]) == (6, 5, 1)
    assert (cs["placeholder_tasks"], cs["total_clips"], cs["peak_parallelism"]) == (1, 6, 2)
    assert cs["fallback_reason_counts"] == {"cdn_error": 1, "not_found": 1, "timeout": 1}
    assert cs["avg_task_duration_ms"] == 350.0  # 100..600
    assert cs["p95_task_duration_ms"] == 600.0
    tasks = rows(database_url, "SELECT status, retries FROM clip_tasks ORDER BY segment_index")
    assert [t["status"] for t in tasks] == [
        "success",
        "fallback-local",
        "fallback-placeholder",
        "success",
        "success",
        "success",
    ]
    assert tasks[2]["retries"] == 1


async def test_the_same_events_delivered_twice_change_nothing(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> None:
    events = stamp(render_payloads("job-b", tasks=4))
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(events)
        await project(kafka_bootstrap, topic_prefix, database_url)
        before = database_digest(make_engine(database_url))
        await producer.send_many(events)  # same event ids, new offsets
    stats = await project(kafka_bootstrap, topic_prefix, database_url)
    assert stats.events == len(events)
    assert database_digest(make_engine(database_url)) == before


async def test_undecodable_messages_go_to_the_dead_letter_topic_and_folding_goes_on(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> None:
    clip_topic = physical_name(topic_prefix, Topic.CLIP_EVENTS)
    wrong_topic_event = make_event(sample_payloads()[0], trace_id="t")  # RenderRequested
    out_of_range = json.loads(encode(make_event(sample_payloads()[2], trace_id="t")))
    out_of_range["payload"]["progress"] = 250
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_raw(clip_topic, b"\x00not json at all", key=b"job-c")
        await producer.send_raw(clip_topic, encode(wrong_topic_event), key=b"job-1")
        await producer.send_raw(
            physical_name(topic_prefix, Topic.RENDER_JOBS),
            json.dumps(out_of_range).encode(),
            key=b"job-1",
        )
        await producer.send_many(stamp(render_payloads("job-c", tasks=2)))
    stats = await project(kafka_bootstrap, topic_prefix, database_url)

    assert stats.dead_letters == 3
    assert clip_stats_of(database_url, "job-c")["total_tasks"] == 2
    dead_letters = physical_name(topic_prefix, Topic.DEAD_LETTER)
    async with follow(kafka_bootstrap, [dead_letters], until_end=True) as reader:
        letters = [json.loads(record.value) async for record in reader.records()]
    assert len(letters) == 3
    # What an operator reading the dead-letter topic sees: why, and exactly where from.
    reasons = sorted(letter["reason"] for letter in letters)
    assert reasons[0].startswith("RenderRequested belongs on render.jobs, found on clip.events")
    assert reasons[1].startswith("invalid RenderProgress v1: payload.progress")
    assert reasons[2].startswith("not JSON")
    garbage = next(x for x in letters if x["reason"].startswith("not JSON"))
    partition = partition_for_key(b"job-c", 3)
    assert (garbage["original_topic"], garbage["original_partition"]) == (clip_topic, partition)
    assert garbage["original_offset"] == 0 and garbage["original_key"] == "job-c"
