"""Progress streams' bookkeeping: the per-user cap, a queue that drops a slow stream instead of
blocking the tail, the `reconnect` event, and the dashboard panel of the stream gauges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord, TopicPartition

from api.job_tail import QUEUE_RECORDS, Subscription
from api.progress_stream import reconnect_event
from api.stream_slots import StreamSlots, TooManyStreams

DASHBOARD = Path(__file__).parents[3] / "docker/grafana/dashboards/beatstitch-clips.json"


def _record(offset: int, key: bytes = b"render-1") -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t.render.jobs", 0, offset, 0, 0, key, b"{}", None, len(key), 2, ())


def test_a_user_beyond_the_cap_is_told_to_close_a_stream() -> None:
    slots = StreamSlots(per_user=2)
    slots.take("u1")
    slots.take("u1")
    slots.take("u2")
    with pytest.raises(TooManyStreams, match="You already follow 2 progress streams at once"):
        slots.take("u1")
    slots.give_back("u1")
    slots.take("u1")
    assert slots.open_of("u1") == 2 and slots.open_of("u2") == 1


async def test_a_stream_too_slow_for_the_tail_is_dropped_not_waited_for() -> None:
    sub = Subscription("render-1", TopicPartition("t.render.jobs", 0), 0, 0)
    for offset in range(QUEUE_RECORDS + 5):
        sub.push(_record(offset))  # never blocks: the tail goes on
    assert sub.ended == "too_slow"
    # What it had queued is still handed out (its client resumes after the last one) ...
    taken = await sub.take(0)
    assert taken is not None and [r.offset for r in taken] == list(range(QUEUE_RECORDS))
    # ... then it ends.
    assert await sub.take(0) is None


def test_the_reconnect_event_says_how_to_resume() -> None:
    event = reconnect_event("max_lifetime", 41, 300)
    data = json.loads(str(event.data))
    assert (event.event, event.id, event.retry) == ("reconnect", "41", 1000)
    assert data["last_event_id"] == "41" and data["reason"] == "max_lifetime"
    assert "at most 300 s" in data["message"] and "Last-Event-ID: 41" in data["message"]


def test_the_dashboard_shows_the_stream_gauges() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = " ".join(t["expr"] for p in panels for t in p.get("targets", []))
    assert "api_sse_streams" in exprs and "api_sse_kafka_consumers" in exprs
