"""Interop with a Kafka client nobody here wrote (Debian's kcat, on librdkafka).

A producer in another language builds events from the exported JSON Schemas alone; an
analytics consumer validates what we write against the same files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from events.base import make_event
from events.kafka_io import EventProducer
from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat, kcat_produce, needs_kcat
from tests.support.projecting import clip_stats_of, project, rows
from tests.support.samples import sample_payloads

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
pytestmark = needs_kcat


def schema(event_type: str, version: int) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{event_type}.v{version}.schema.json").read_text())


async def test_kcat_produces_a_clip_event_that_the_projector_folds(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    payload = {
        "task_id": "task-kcat",
        "render_job_id": "job-kcat",
        "video_id": "video-kcat",
        "segment_index": 0,
        "attempt": 0,
        "source_type": "local",
        "duration_ms": 250,
        "clip_path": "clips/kcat.mp4",
    }
    event = foreign_event(
        "ClipTaskSucceeded",
        2,
        "job-kcat",
        payload,
        event_id="6f1c2d3e-0000-4000-8000-00000000kcat",
        trace_id="trace-from-kcat",
        occurred_at="2026-05-01T12:00:00Z",
    )
    jsonschema.validate(event, schema("ClipTaskSucceeded", 2))
    topic = physical_name(topic_prefix, Topic.CLIP_EVENTS)
    sent = kcat_produce(kafka_bootstrap, topic, "job-kcat", json.dumps(event))
    assert sent.returncode == 0, sent.stderr

    url = f"sqlite:///{tmp_path / 'rm.db'}"
    stats = await project(kafka_bootstrap, topic_prefix, url)
    assert stats.events == 1 and stats.dead_letters == 0
    (task,) = rows(url, "SELECT task_id, status, duration_ms FROM clip_tasks")
    # A local clip with no fallback before it: the task's own first source, so a success.
    assert task == {"task_id": "task-kcat", "status": "success", "duration_ms": 250}
    assert clip_stats_of(url, "job-kcat")["success_tasks"] == 1


async def test_kcat_reads_our_events_and_they_validate_against_the_schemas(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    payloads = sample_payloads()
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many([make_event(p, trace_id="trace-out") for p in payloads])

    seen = []
    for topic in Topic:
        out = kcat(
            "-C",
            "-b",
            kafka_bootstrap,
            "-t",
            physical_name(topic_prefix, topic),
            "-o",
            "beginning",
            "-e",
            "-J",
            "-q",
        )
        assert out.returncode == 0, out.stderr
        for line in out.stdout.splitlines():
            message = json.loads(line)
            value = json.loads(message["payload"])
            jsonschema.Draft202012Validator(
                schema(value["type"], value["version"]),
                format_checker=jsonschema.FormatChecker(),
            ).validate(value)
            assert message["key"] == value["key"]
            headers = dict(zip(message["headers"][0::2], message["headers"][1::2], strict=True))
            assert headers["event_type"] == value["type"]
            seen.append((value["type"], value["version"]))
    assert sorted(seen) == sorted((p.event_type, p.event_version) for p in payloads)
