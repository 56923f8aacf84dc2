"""A render's clip events read from the log again, for the assembler's upkeep: the log is the
truth when a table entry stopped moving although its outcomes are in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiokafka import TopicPartition

from agents.assembly_state import JobAssembly
from events.base import Envelope
from events.codec import DecodeError, decode
from events.topic_reader import Since, Start, follow
from events.topics import Topic, physical_name

# Producers' clocks differ a little: start reading a minute before the request's time.
CLOCK_SLACK = timedelta(minutes=1)


async def clip_events_of(bootstrap: str, prefix: str, state: JobAssembly) -> list[Envelope[Any]]:
    """The render's clip events on its partition of clip.events, from its request's time on."""
    if state.partition is None:
        return []
    tp = TopicPartition(physical_name(prefix, Topic.CLIP_EVENTS), state.partition)
    since = state.requested_at or state.first_seen_at
    start: Start = "beginning"
    if since is not None:
        start = Since(int((since - CLOCK_SLACK).timestamp() * 1000))
    found: list[Envelope[Any]] = []
    async with follow(bootstrap, [tp], start=start, until_end=True) as reader:
        async for record in reader.records():
            if record.value is None:
                continue
            try:
                env = decode(record.value)
            except DecodeError:
                continue  # the projector dead-letters it
            if getattr(env.payload, "render_job_id", None) == state.render_job_id:
                found.append(env)
    return found
