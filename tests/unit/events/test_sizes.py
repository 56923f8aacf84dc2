"""Sizes are checked before producing, and a dead letter of a huge message stays small."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest

from events.base import make_event
from events.dead_letter import KEPT_BYTES, dead_letter_for
from events.kafka_io import MAX_EVENT_BYTES, EventProducer, EventTooLarge
from events.payloads import RenderFailed


async def test_an_event_too_large_for_kafka_is_refused_and_nothing_is_produced() -> None:
    small = make_event(RenderFailed(render_job_id="job-1", error="x"), trace_id="t")
    huge = make_event(
        RenderFailed(render_job_id="job-2", error="x" * MAX_EVENT_BYTES), trace_id="t"
    )
    # No broker at this address: the refusal comes before any connection is tried.
    producer = EventProducer("127.0.0.1:9", "p")
    with pytest.raises(EventTooLarge) as refused:
        await producer.send_many([small, huge])
    assert "the RenderFailed event of job-2 is 900,2" in str(refused.value)
    assert "over the 900,000 bytes a Kafka message may hold here" in str(refused.value)
    assert "nothing was produced" in str(refused.value)


def test_a_dead_letter_keeps_the_head_the_size_and_the_hash_of_a_huge_message() -> None:
    value = bytes(range(256)) * 8192  # 2 MiB, as a foreign producer might send
    letter = dead_letter_for(
        reason="not JSON",
        topic="beatstitch.render.jobs",
        partition=0,
        offset=7,
        key=b"job-1",
        value=value,
        consumer="planner",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert letter.truncated and letter.original_size == len(value)
    assert letter.original_sha256 == hashlib.sha256(value).hexdigest()
    assert letter.original_value() == value[:KEPT_BYTES]
    assert len(letter.model_dump_json()) < MAX_EVENT_BYTES
    small = dead_letter_for(
        reason="r",
        topic="t",
        partition=0,
        offset=0,
        key=None,
        value=b"{}",
        consumer="c",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert not small.truncated and small.original_value() == b"{}"
    assert (
        json.loads(small.model_dump_json())["original_value_b64"]
        == base64.b64encode(b"{}").decode()
    )
